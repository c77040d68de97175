package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/cmd/local/stack"
)

// TestMain lets a test run this test binary as the command itself (FACEGATE_LOCAL_AS_MAIN=1),
// so that signals reach the real main, as they do under `make run`.
func TestMain(m *testing.M) {
	if os.Getenv("FACEGATE_LOCAL_AS_MAIN") == "1" {
		main() // exits by itself on an error
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var (
	demoLine    = regexp.MustCompile(`demo page\s+(http://localhost:\d+)/demo/`)
	sandboxLine = regexp.MustCompile(`sandbox API\s+(http://127\.0\.0\.1:\d+)`)
)

// output follows what run prints, line by line, through a pipe.
type output struct {
	lines chan string
	seen  []string
}

func newOutput(r io.Reader) *output {
	o := &output{lines: make(chan string, 64)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			o.lines <- sc.Text()
		}
		close(o.lines)
	}()
	return o
}

// waitFor reads lines until one matches re, for at most ten seconds, and returns the
// first group of the match.
func (o *output) waitFor(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	for _, l := range o.seen {
		if m := re.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-o.lines:
			if !ok {
				t.Fatalf("run ended without printing %q:\n%s", re, o)
			}
			o.seen = append(o.seen, l)
			if m := re.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-deadline:
			t.Fatalf("no %q in the output:\n%s", re, o)
		}
	}
}

// drain reads the rest of the output, until run closes it.
func (o *output) drain() {
	for l := range o.lines {
		o.seen = append(o.seen, l)
	}
}

func (o *output) String() string { return strings.Join(o.seen, "\n") }

// TestRun starts the command as `make run` does, on free ports with a .env file, loads
// the demo page, completes one verification over HTTP, and stops it like Ctrl-C.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "sessions")
	envFile := filepath.Join(dir, ".env")
	if err := os.WriteFile(envFile, []byte("# local settings\nFACEGATE_LOCAL_DIR="+data+"\nFACEGATE_TICKET_TTL=10m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The environment wins over .env (stack.EnvFunc's test shows it); here it overrides the
	// file's FACEGATE_TICKET_TTL.
	env := map[string]string{"FACEGATE_TICKET_TTL": "5m"}

	pr, pw := io.Pipe()
	out := newOutput(pr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-port", "0", "-sandbox-port", "0", "-page-port", "0", "-env-file", envFile},
			func(k string) string { return env[k] }, pw)
		pw.Close()
		done <- err
	}()
	gateway := out.waitFor(t, demoLine)
	control := out.waitFor(t, sandboxLine)
	out.waitFor(t, regexp.MustCompile(`(store)\s+local files`))
	for _, want := range []string{"SecretId AKID-sandbox-local", "local files in " + data, "Ctrl-C stops it", gateway + "/demo/events.html"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}

	client := &stack.Client{Gateway: gateway, Control: control, HTTP: stack.NewHTTPClient(1), MerchantKey: stack.LocalDefaults["FACEGATE_MERCHANT_KEYS"]}
	res, err := client.HTTP.Get(gateway + "/demo/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `<script type="module" src="index.js">`) {
		t.Fatalf("demo page: %d", res.StatusCode)
	}
	sum, err := client.Verify(t.Context(), gateway+"/demo/return.html", "pass")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != "passed" {
		t.Fatalf("summary %+v, want passed", sum)
	}
	if files, _ := filepath.Glob(filepath.Join(data, "*")); len(files) == 0 {
		t.Errorf("no session written under %s (from .env)", data)
	}

	cancel()
	out.drain()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.HasSuffix(out.String(), "stopped") {
		t.Errorf("no clean stop at the end of the output:\n%s", out)
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(envFile, []byte("not a setting\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(string) string { return "" }
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-no-such-flag"}, "flag provided but not defined"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-log-level", "loud"}, "-log-level"},
		{[]string{"-env-file", envFile}, "line 1"},
	} {
		var out bytes.Buffer
		err := run(t.Context(), c.args, getenv, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.args, err, c.want)
		}
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-h"}, getenv, &out); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "-sandbox-port") {
		t.Errorf("-h: %v, output %q", err, out.String())
	}
}

// TestCtrlCStopsCleanly runs the command as its own process, as `make run` does, and
// sends it the SIGINT a terminal sends on Ctrl-C: it must stop every server and exit 0.
func TestCtrlCStopsCleanly(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-port", "0", "-sandbox-port", "0", "-page-port", "0",
		"-env-file", filepath.Join(dir, "missing.env"))
	// Only this test's settings: Tencent credentials or a store set in the environment of
	// whoever runs the tests must not reach the child.
	cmd.Env = []string{"FACEGATE_LOCAL_AS_MAIN=1", "FACEGATE_LOCAL_DIR=" + dir, "PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // only matters when the test failed early
	out := newOutput(stdout)
	gateway := out.waitFor(t, demoLine)
	control := out.waitFor(t, sandboxLine)

	client := &stack.Client{Gateway: gateway, Control: control, HTTP: stack.NewHTTPClient(1), MerchantKey: stack.LocalDefaults["FACEGATE_MERCHANT_KEYS"]}
	if sum, err := client.Verify(t.Context(), gateway+"/demo/return.html", "pass"); err != nil || sum.Status != "passed" {
		t.Fatalf("verification before Ctrl-C: %+v, %v", sum, err)
	}
	client.HTTP.CloseIdleConnections()

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	out.drain()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after Ctrl-C: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	if !strings.HasSuffix(out.String(), "stopped") {
		t.Errorf("no clean stop at the end of the output:\n%s", out)
	}
	for _, origin := range []string{gateway, control} {
		if res, err := http.Get(origin + "/"); err == nil {
			res.Body.Close()
			t.Errorf("%s still answers after Ctrl-C", origin)
		}
	}
}

// TestRunOnTheLAN starts the command as `make run RUN_FLAGS="-lan -lan-addr …"` does, on
// a loopback address standing in for the machine's network address: it warns that anyone
// on the network can reach it, serves the demo page there, and the shop's start links,
// the sandbox page and the way back all name that address.
func TestRunOnTheLAN(t *testing.T) {
	dir := t.TempDir()
	pr, pw := io.Pipe()
	out := newOutput(pr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-lan", "-lan-addr", "127.0.0.1", "-port", "0", "-sandbox-port", "0", "-page-port", "0",
			"-env-file", filepath.Join(dir, "missing.env")},
			func(k string) string { return map[string]string{"FACEGATE_LOCAL_DIR": dir}[k] }, pw)
		pw.Close()
		done <- err
	}()
	gateway := out.waitFor(t, regexp.MustCompile(`demo page\s+(http://127\.0\.0\.1:\d+)/demo/`))
	control := out.waitFor(t, sandboxLine)
	for _, want := range []string{"anyone on this network can reach", "For the sandbox only", "on a phone     open " + gateway + "/demo/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}

	// The shop's start link, followed: the sandbox page is on the LAN address too.
	browser := stack.NewHTTPClient(1)
	res, err := browser.Post(gateway+"/demo/api/start", "application/json", strings.NewReader(`{"lang":"en","mode":3}`))
	if err != nil {
		t.Fatal(err)
	}
	var link struct{ StartURL string }
	err = json.NewDecoder(res.Body).Decode(&link)
	res.Body.Close()
	if err != nil || !strings.HasPrefix(link.StartURL, gateway+"/start?startToken=") {
		t.Fatalf("start link %q (%v)", link.StartURL, err)
	}
	res, err = browser.Get(link.StartURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "http://127.0.0.1:") || strings.Contains(loc, "localhost") {
		t.Fatalf("GET /start: %d to %q, want the sandbox page on the LAN address", res.StatusCode, loc)
	}
	client := &stack.Client{Gateway: gateway, Control: control, HTTP: browser, MerchantKey: stack.LocalDefaults["FACEGATE_MERCHANT_KEYS"]}
	started, err := client.Start(t.Context(), gateway+"/demo/return.html")
	if err != nil {
		t.Fatal(err)
	}
	if err := client.SetOutcome(t.Context(), started.Token, "pass"); err != nil {
		t.Fatal(err)
	}
	back, err := client.Callback(t.Context(), started)
	if err != nil || !strings.HasPrefix(back.Location, gateway+"/demo/return.html?") || back.Status != "passed" {
		t.Fatalf("callback: %v, status %q", err, back.Status)
	}

	cancel()
	out.drain()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestLANAddress(t *testing.T) {
	for _, bad := range []string{"localhost", "0.0.0.0", "192.168.1", "::"} {
		if _, err := lanHost(bad); err == nil || !strings.Contains(err.Error(), "-lan-addr") {
			t.Errorf("-lan-addr %s: %v", bad, err)
		}
	}
	if got, err := lanHost("10.0.0.7"); err != nil || got != "10.0.0.7" {
		t.Errorf("-lan-addr 10.0.0.7: %q, %v", got, err)
	}
	// Without -lan-addr: a private IPv4 address of this machine, or an error saying what
	// to do.
	got, err := lanHost("")
	if err != nil {
		if !strings.Contains(err.Error(), "-lan-addr") {
			t.Errorf("no address found, and the error does not say to give one: %v", err)
		}
		return
	}
	if ip := net.ParseIP(got); ip == nil || ip.To4() == nil || !ip.IsPrivate() {
		t.Errorf("found %q, want a private IPv4 address", got)
	}
}
