package conformance

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/sandbox/sandboxtest"
)

// nodeDir holds the Node.js suite, its package.json and package-lock.json.
const nodeDir = "node"

// TestNodeSDK runs node/suite.js: Tencent's Node.js SDK for the international site
// (tencentcloud-sdk-nodejs-intl-en, the version package-lock.json pins) against a fresh
// sandbox on a loopback port, which is not 443, so the SDK's habit of signing the host
// without its port is exercised. The suite runs every check with TC3-HMAC-SHA256 and
// signature v1 (HmacSHA256, HmacSHA1), each as a POST and a GET.
func TestNodeSDK(t *testing.T) {
	if os.Getenv("FACEGATE_SKIP_NODE") == "1" {
		t.Skip("FACEGATE_SKIP_NODE=1")
	}
	node, npm := lookTool(t, "node"), lookTool(t, "npm")
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "tencentcloud-sdk-nodejs-intl-en", "package.json")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = nodeDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in conformance/%s: %v\n%s", nodeDir, err, out)
		}
	}

	srv := sandboxtest.New(t, sandbox.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "suite.js")
	cmd.Dir = nodeDir
	cmd.Env = append(withoutProxy(os.Environ()), "SANDBOX_ENDPOINT="+srv.Endpoint())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil || !strings.Contains(out.String(), " passed, 0 failed") {
		t.Fatalf("the Node.js SDK suite failed (%v):\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	t.Log(strings.Join(lines[max(0, len(lines)-2):], "\n"))
}

// lookTool finds a command the suite needs or fails saying how to get it.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run `make test`, which installs Debian's nodejs and npm "+
			"(scripts/install-node.sh), or set FACEGATE_SKIP_NODE=1 to skip only the Node.js SDK tests", name)
	}
	return path
}

// withoutProxy drops proxy settings: the SDK sends every request through http_proxy when
// it is set, and the sandbox is on loopback.
func withoutProxy(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToLower(name) {
		case "http_proxy", "https_proxy", "all_proxy":
			continue
		}
		out = append(out, kv)
	}
	return out
}
