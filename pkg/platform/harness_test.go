package platform_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
)

// binaries holds the executables TestMain built: "probe" (testdata/fn) always,
// and "start", "callback", "result", "sweep" when the functions build.
var binaries = map[string]string{}

// functionsBuildError says why the real functions were not built, if they were not.
var functionsBuildError error

// rieBinary is AWS's Runtime Interface Emulator, built by TestMain from the go.mod
// tool; rieBuildError says why it was not built, if it was not.
var (
	rieBinary     string
	rieBuildError error
)

// repoRoot is the module root, where go build runs.
const repoRoot = "../.."

func TestMain(m *testing.M) {
	// A fuzz worker runs one fuzz target, which needs none of the binaries: building
	// them in every worker would spend the fuzzing time on go build.
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "platform-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Build once for the whole run, the way `make build` does (static, norpc tag).
	if err := runtimetest.GoBuild(repoRoot, filepath.Join(dir, "probe"), "./pkg/platform/testdata/fn"); err != nil {
		fmt.Fprintln(os.Stderr, "build probe:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	binaries["probe"] = filepath.Join(dir, "probe")
	for _, fn := range []string{"start", "callback", "result", "sweep"} {
		out := filepath.Join(dir, fn)
		if err := runtimetest.GoBuild(repoRoot, out, "./functions/"+fn); err != nil {
			functionsBuildError = fmt.Errorf("build %s: %w", fn, err)
			break
		}
		binaries[fn] = out
	}
	rieBinary = filepath.Join(dir, "aws-lambda-rie")
	if err := runtimetest.GoBuild(repoRoot, rieBinary, runtimetest.RIEPackage); err != nil {
		rieBuildError = err
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needFunctions fails a test of the real functions when they did not build.
func needFunctions(t *testing.T) {
	t.Helper()
	if functionsBuildError != nil {
		t.Fatalf("functions do not build: %v", functionsBuildError)
	}
}

// sortedNames returns the keys of m in order.
func sortedNames[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// readTestdata returns a recorded event.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitLog reports whether the process logs a record satisfying match. Output
// reaches the test through a pipe, a moment after the answer it belongs to, so
// it polls for a while before giving up.
func waitLog(p *runtimetest.Process, match func(rec map[string]any) bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for {
		sc := bufio.NewScanner(strings.NewReader(p.Output()))
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil && match(rec) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logsRequest reports whether a record with request_id id (and function fn, if
// not empty) is logged.
func logsRequest(p *runtimetest.Process, id, fn string) bool {
	return waitLog(p, func(r map[string]any) bool {
		return r["request_id"] == id && (fn == "" || r["function"] == fn)
	})
}

// logsText reports whether some log line contains s.
func logsText(p *runtimetest.Process, s string) bool {
	return waitLog(p, func(r map[string]any) bool {
		b, _ := json.Marshal(r)
		return strings.Contains(string(b), s)
	})
}

// ctxTimeout is a generous bound for one HTTP exchange with a local process.
func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
