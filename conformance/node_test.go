package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	node := nodeWithSDK(t)
	srv := sandboxtest.New(t, sandbox.Options{})
	out, err := runNode(node, srv.Endpoint(), "suite.js")
	if err != nil || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("the Node.js SDK suite failed (%v):\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	t.Log(strings.Join(lines[max(0, len(lines)-2):], "\n"))
}

// TestNodeReadmeSnippet runs the README's Node.js snippet, with the sandbox's address for
// 127.0.0.1:8090, so that what merchants copy works.
func TestNodeReadmeSnippet(t *testing.T) {
	node := nodeWithSDK(t)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## The Tencent sandbox\n")
	section, _, _ = strings.Cut(section, "\n## ")
	_, snippet, found := strings.Cut(section, "\n```js\n")
	snippet, _, closed := strings.Cut(snippet, "\n```\n")
	if !found || !closed || !strings.Contains(snippet, "127.0.0.1:8090") {
		t.Fatal("the README's sandbox section has no js snippet for endpoint 127.0.0.1:8090")
	}
	srv := sandboxtest.New(t, sandbox.Options{})
	out, err := runNode(node, srv.Endpoint(), "-e", strings.ReplaceAll(snippet, "127.0.0.1:8090", srv.Endpoint()))
	token := strings.TrimSpace(out)
	if err != nil {
		t.Fatalf("snippet: %v\n%s", err, out)
	}
	if _, err := srv.TokenState(token); err != nil {
		t.Fatalf("the snippet printed %q, not a BizToken the sandbox issued", out)
	}
}

// nodeWithSDK returns the path of node with the SDK installed in conformance/node (by
// npm ci from package-lock.json when it is not). It skips t when FACEGATE_SKIP_NODE=1.
func nodeWithSDK(t *testing.T) string {
	t.Helper()
	if os.Getenv("FACEGATE_SKIP_NODE") == "1" {
		t.Skip("FACEGATE_SKIP_NODE=1")
	}
	node, npm := lookTool(t, "node"), lookTool(t, "npm")
	sdkInstalled.Do(func() {
		if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "tencentcloud-sdk-nodejs-intl-en", "package.json")); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = nodeDir
		if out, err := cmd.CombinedOutput(); err != nil {
			sdkInstallErr = fmt.Errorf("npm ci in conformance/%s: %w\n%s", nodeDir, err, out)
		}
	})
	if sdkInstallErr != nil {
		t.Fatal(sdkInstallErr)
	}
	return node
}

var (
	sdkInstalled  sync.Once
	sdkInstallErr error
)

// runNode runs node with args in conformance/node, SANDBOX_ENDPOINT set to endpoint, and
// returns its combined output.
func runNode(node, endpoint string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = nodeDir
	cmd.Env = append(withoutProxy(os.Environ()), "SANDBOX_ENDPOINT="+endpoint)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
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
