package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBrowserMissingFails proves the browser tests fail, not skip, when Chromium is
// missing or cannot start: CI must not go green without having run them. It runs this
// test binary again with a bad CHROMIUM and reads the verdict.
func TestBrowserMissingFails(t *testing.T) {
	if os.Getenv("FACEGATE_E2E_CHILD") == "1" {
		t.Skip("already the child run")
	}
	for _, c := range []struct{ chromium, says string }{
		{"/nonexistent/chromium", "Chromium not found"},
		{"/bin/false", "did not start"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCompatTable$", "-test.count=1")
		cmd.Env = append(without(os.Environ(), "FACEGATE_SKIP_BROWSER", "CHROMIUM"),
			"CHROMIUM="+c.chromium, "FACEGATE_E2E_CHILD=1", "ARTIFACTS_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("CHROMIUM=%s: the browser test passed:\n%s", c.chromium, out)
			continue
		}
		if !strings.Contains(string(out), "--- FAIL: TestCompatTable") || !strings.Contains(string(out), c.says) {
			t.Errorf("CHROMIUM=%s: want a failure saying %q, got:\n%s", c.chromium, c.says, out)
		}
	}
}

func without(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		keep := true
		for _, n := range names {
			keep = keep && !strings.HasPrefix(kv, n+"=")
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
