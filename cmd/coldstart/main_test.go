package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"github.com/facegate/facegate/internal/runtimetest"
)

// TestMeasuresEveryRuntime builds one real function and measures one cold start on
// each runtime: every protocol stand-in must get an answer for a figure to appear.
func TestMeasuresEveryRuntime(t *testing.T) {
	dist := t.TempDir()
	bin := filepath.Join(dist, runtime.GOARCH, "result")
	if err := runtimetest.GoBuild("../..", bin, "./functions/result"); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	err := run([]string{"-dist", dist, "-runs", "1", "-functions", "result", "-bootstrap", "../../deploy/scf_bootstrap"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| result \| - \| - \| - \|( [0-9]+\.[0-9] ms \|){4}$`)
	if !row.Match(out.Bytes()) {
		t.Errorf("no complete row for result:\n%s", out.String())
	}
}

// TestMeasuresTheSweepOnItsRuntimes: the sweep function answers scheduled events only,
// on Lambda and as an SCF event function; a figure appears for those two and "-" for
// the runtimes it is never deployed on.
func TestMeasuresTheSweepOnItsRuntimes(t *testing.T) {
	dist := t.TempDir()
	bin := filepath.Join(dist, runtime.GOARCH, "sweep")
	if err := runtimetest.GoBuild("../..", bin, "./functions/sweep"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run([]string{"-dist", dist, "-runs", "1", "-functions", "sweep", "-bootstrap", "../../deploy/scf_bootstrap"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| sweep \| - \| - \| - \|( [0-9]+\.[0-9] ms \|){2} - \| - \|$`)
	if !row.Match(out.Bytes()) {
		t.Errorf("no row for sweep with figures on lambda and scf-event only:\n%s", out.String())
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
