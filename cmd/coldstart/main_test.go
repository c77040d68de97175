package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
)

// buildDist builds fn the way make build does, in both platform builds, into a dist
// folder: dist/<arch>/lambda/<fn> and dist/<arch>/scf/<fn>.
func buildDist(t *testing.T, fn string) string {
	t.Helper()
	dist := t.TempDir()
	for _, variant := range []string{"lambda", "scf"} {
		if err := runtimetest.GoBuildVariant("../..", filepath.Join(dist, runtime.GOARCH, variant, fn), "./functions/"+fn, variant); err != nil {
			t.Fatal(err)
		}
	}
	return dist
}

// TestMeasuresEveryRuntime builds one real function and measures one cold start on
// each runtime: every protocol stand-in must get an answer for a figure to appear.
func TestMeasuresEveryRuntime(t *testing.T) {
	dist := buildDist(t, "result")
	var out bytes.Buffer
	err := run([]string{"-dist", dist, "-runs", "1", "-functions", "result", "-bootstrap", "../../deploy/scf_bootstrap"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| result \|( [0-9]+\.[0-9] ms \|){3}$`)
	if !row.Match(out.Bytes()) {
		t.Errorf("no complete row for result:\n%s", out.String())
	}
}

// TestMeasuresTheSweepOnItsRuntimes: the sweep function answers scheduled events only,
// on Lambda and as an SCF event function; a figure appears for those two and "-" for
// SCF web functions, which it is never deployed as.
func TestMeasuresTheSweepOnItsRuntimes(t *testing.T) {
	dist := buildDist(t, "sweep")
	var out bytes.Buffer
	err := run([]string{"-dist", dist, "-runs", "1", "-functions", "sweep", "-bootstrap", "../../deploy/scf_bootstrap"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| sweep \|( [0-9]+\.[0-9] ms \|){2} - \|$`)
	if !row.Match(out.Bytes()) {
		t.Errorf("no row for sweep with figures on lambda and scf-event only:\n%s", out.String())
	}
}

// TestComparesWithTheNodeTwin runs the emulator table once, small: the Go callback, the
// Node.js twin (installed with npm ci from bench/node-callback's lock file) and the
// no-op bootstrap under AWS's RIE must each answer real callbacks (checkCallback holds
// every answer to a 302 with status=passed) for their figures to appear.
func TestComparesWithTheNodeTwin(t *testing.T) {
	if os.Getenv("FACEGATE_SKIP_NODE") == "1" {
		t.Skip("FACEGATE_SKIP_NODE=1")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("npm is missing (make test installs it; FACEGATE_SKIP_NODE=1 skips this test): %v", err)
	}
	nodeDir := filepath.Join("..", "..", "bench", "node-callback")
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "@aws-sdk", "client-s3")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = nodeDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in bench/node-callback: %v\n%s", err, out)
		}
	}
	rie := filepath.Join(t.TempDir(), "aws-lambda-rie")
	if err := runtimetest.GoBuild("../..", rie, runtimetest.RIEPackage); err != nil {
		t.Fatal(err)
	}
	dist := buildDist(t, "callback")
	// The no-op bootstrap is built from the module root.
	wd, _ := os.Getwd()
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out bytes.Buffer
	err = run([]string{"-dist", dist, "-runs", "1", "-functions", "callback", "-bootstrap", "deploy/scf_bootstrap",
		"-node", "bench/node-callback", "-rie", rie, "-rie-runs", "1", "-warm", "1", "-invocations", "3"}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, row := range []string{
		`(?m)^\| \*\*function init \+ first answered real callback\*\* .* \| \*\*[0-9.]+ ms\*\* \| \*\*[0-9.]+ ms\*\* \| \*\*[0-9]+×\*\* \| – \|$`,
		`(?m)^\| warm callback invocation \|( [0-9.]+ ms \|){2} [0-9]+× \| [0-9.]+ ms \|$`,
		`(?m)^\| peak RSS \(VmHWM\) of the function process after 3 callbacks \| [0-9.]+ MiB \| [0-9.]+ MiB \|`,
	} {
		if !regexp.MustCompile(row).Match(out.Bytes()) {
			t.Errorf("no row matching %s:\n%s", row, out.String())
		}
	}
}

// TestOnlyA4xxCounts: a start-up that fails (a 5xx, or no HTTP status at all) must not
// produce a figure.
func TestOnlyA4xxCounts(t *testing.T) {
	for status, ok := range map[int]bool{0: false, 200: false, 302: false, 400: true, 401: true, 499: true, 500: false, 502: false} {
		if err := checkStatus(status); (err == nil) != ok {
			t.Errorf("checkStatus(%d) = %v", status, err)
		}
	}
}
