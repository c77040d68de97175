// Package kittest is what the tests of the merchant's kit (docs/integration.md and
// examples/) share: facegate's local stack started in-process as a merchant would
// configure it, the browser's side of a verification, the interpreters the kit's other
// languages need, and merchant programs run as real processes.
package kittest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/cmd/local/stack"
)

// The merchant of the guide and the examples: its H5 page's origin, the returnTo
// allowlist entry facegate is given, and the return page under it.
const (
	ShopOrigin = "https://shop.example.com"
	ReturnTo   = ShopOrigin + "/kyc/"
	ReturnPage = ShopOrigin + "/kyc/done"
)

// NewSecret returns a random secret of 64 hex digits, as `openssl rand -hex 32` makes.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails: crypto/rand crashes the program rather than return an error
	return hex.EncodeToString(b)
}

// StartStack starts the local stack on free loopback ports with env over its local
// defaults (the sandbox as Tencent, files as the store), and a store folder of the test's
// own unless env names one. Every variable a test relies on must be in env: the local
// defaults change. Records the stack logs at WARN go to the test's log, and one at ERROR
// fails the test. The stack stops when the test ends.
func StartStack(t *testing.T, env map[string]string) *stack.Stack {
	t.Helper()
	all := map[string]string{"FACEGATE_LOCAL_DIR": t.TempDir()}
	for k, v := range env {
		all[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := stack.Start(ctx, stack.Options{
		GatewayAddr: "127.0.0.1:0",
		SandboxAddr: "127.0.0.1:0",
		PageAddr:    "127.0.0.1:0",
		Getenv:      func(name string) string { return all[name] },
		Logger:      slog.New(testLog{t}),
	})
	if err != nil {
		cancel()
		t.Fatalf("start the local stack: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = st.Wait()
	})
	return st
}

// testLog sends the stack's records at WARN to the test's log and fails it at ERROR.
type testLog struct{ t *testing.T }

func (h testLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h testLog) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h testLog) WithGroup(string) slog.Handler                { return h }
func (h testLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	if r.Level >= slog.LevelError {
		h.t.Errorf("facegate logged an error: %s%s", r.Message, b.String())
	} else {
		h.t.Logf("facegate: %s%s", r.Message, b.String())
	}
	return nil
}

// LoopbackURL is the stack's gateway as 127.0.0.1 rather than localhost, for programs
// whose HTTP client may try ::1 first, where the stack does not listen.
func LoopbackURL(st *stack.Stack) string {
	return strings.Replace(st.Gateway, "//localhost:", "//127.0.0.1:", 1)
}

// RequireTool finds a language's interpreter or fails the test, unless skipVar=1 skips it.
func RequireTool(t *testing.T, tool, debianPackage, skipVar string) string {
	t.Helper()
	if os.Getenv(skipVar) == "1" {
		t.Skipf("%s=1: not running the %s parts of the merchant's kit", skipVar, tool)
	}
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is not installed: run `make test`, which installs Debian's %s, or set %s=1 to skip "+
			"only the checks that need it", tool, debianPackage, skipVar)
	}
	return path
}

// FreePort returns a loopback port that was free a moment ago, for a program that must
// be told its port before it starts (facegate needs the webhook URL at start-up).
func FreePort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	return port
}

// Client is an HTTP client that never follows redirects: the redirects are what the
// kit's tests check, as a browser's address bar would show them.
var Client = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// Do sends a request and returns the answer with its body read.
func Do(t *testing.T, method, rawURL string, header http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, redact(rawURL), err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, data
}

// redact drops a URL's query, which may hold tokens, from failure messages.
func redact(rawURL string) string {
	before, _, _ := strings.Cut(rawURL, "?")
	return before
}

// Navigation is what a browser got from following a link to GET /start: the BizToken in
// Tencent's (the sandbox's) page address, and the binding cookie /start set.
type Navigation struct {
	Token   string
	Cookies []*http.Cookie
}

// Navigate opens startURL as a browser's navigation would and expects /start to send it
// on to the sandbox's verification page.
func Navigate(t *testing.T, st *stack.Stack, startURL string) Navigation {
	t.Helper()
	res, body := Do(t, http.MethodGet, startURL, http.Header{"Accept": {"text/html"}}, nil)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, st.SandboxPage+"/") {
		t.Fatalf("navigation to /start: %d to %q, want 302 to the sandbox's page\n%s", res.StatusCode, redact(loc), body)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("verification page address without a token: %q", redact(loc))
	}
	return Navigation{Token: u.Query().Get("token"), Cookies: res.Cookies()}
}

// Refused opens startURL as a browser would, expects /start to send it back to the
// merchant's return page with status=error, and returns the code.
func Refused(t *testing.T, startURL string) string {
	t.Helper()
	res, body := Do(t, http.MethodGet, startURL, http.Header{"Accept": {"text/html"}}, nil)
	loc := res.Header.Get("Location")
	u, err := url.Parse(loc)
	if res.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc, ShopOrigin+"/") || u.Query().Get("status") != "error" {
		t.Fatalf("refused navigation: %d to %q, want 302 back to the shop with status=error\n%s", res.StatusCode, loc, body)
	}
	return u.Query().Get("code")
}

// Finish plays the user on Tencent's page: the sandbox's control API records outcome
// ("pass", "liveness_fail", …) for token.
func Finish(t *testing.T, st *stack.Stack, token, outcome string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"BizToken": token, "Outcome": map[string]string{"Result": outcome}})
	res, data := Do(t, http.MethodPost, st.SandboxAPI+"/_sandbox/outcome", http.Header{"Content-Type": {"application/json"}}, body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("sandbox outcome: %d %s", res.StatusCode, data)
	}
}

// Return follows Tencent's redirect to /callback with the browser's cookies and returns
// where the callback sent the browser: the merchant's return page with token, ticket and
// status.
func Return(t *testing.T, st *stack.Stack, token string, cookies []*http.Cookie) *url.URL {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, st.Gateway+"/callback?token="+url.QueryEscape(token), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	u, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || u.Query().Get("ticket") == "" {
		t.Fatalf("callback: %d to %q, want 302 to the return page with a ticket\n%s", res.StatusCode, redact(res.Header.Get("Location")), body)
	}
	return u
}

// Merchant sends a request to facegate with the merchant key and returns the status and
// the JSON answer decoded into a map (nil when there is none).
func Merchant(t *testing.T, st *stack.Stack, key, method, pathAndQuery string) (int, map[string]any) {
	t.Helper()
	res, data := Do(t, method, st.Gateway+pathAndQuery, http.Header{"Authorization": {"Bearer " + key}, "Accept": {"application/json"}}, nil)
	var out map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, redact(pathAndQuery), res.StatusCode, data)
		}
	}
	return res.StatusCode, out
}

// ErrorCode is the code of an error answer decoded by Merchant.
func ErrorCode(answer map[string]any) string {
	e, _ := answer["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// Process is a program of the kit running as a process of its own.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{}
}

// StartProcess runs name with args in dir, with env added to this process's environment,
// until the test ends. Its output is kept for failure messages.
func StartProcess(t *testing.T, dir string, env []string, name string, args ...string) *Process {
	t.Helper()
	p := &Process{name: name, cmd: exec.Command(name, args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.Output())
		}
	})
	return p
}

// Output is what the process has printed so far.
func (p *Process) Output() string { return p.out.String() }

// WaitReady waits until the process answers GET url with a status below 500, and fails
// the test if it exits or does not answer within timeout.
func (p *Process) WaitReady(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it answered (%v):\n%s", p.name, p.cmd.ProcessState, p.Output())
		default:
		}
		res, err := client.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode < 500 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %s within %s:\n%s", p.name, url, timeout, p.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer that a process's output and the test may use at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
