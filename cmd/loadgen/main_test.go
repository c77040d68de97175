package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/cmd/local/stack"
)

func noEnv(string) string { return "" }

func TestRunInProcess(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-n", "24", "-c", "3", "-duration", "30s"}, noEnv, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	table := out.String()
	for _, want := range []string{
		"| complete verifications | 24 in ",
		"| failed verifications | 0 |",
		"| POST /start | 24 | 0 |",
		"| sandbox outcome | 24 | 0 |",
		"| GET /callback | 24 | 0 |",
		"| GET /result | 24 | 0 |",
		"| whole verification | 24 | 0 |",
		"| peak RSS (VmHWM), stack and generator | ",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("output lacks %q:\n%s", want, table)
		}
	}
	if !regexp.MustCompile(`\| verifications/s \| [1-9]\d* \|`).MatchString(table) {
		t.Errorf("no positive rate:\n%s", table)
	}
}

// startStack runs a stack for -url to target, stopped when the test ends.
func startStack(t *testing.T) *stack.Stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := stack.Start(ctx, stack.Options{
		GatewayAddr: "127.0.0.1:0", SandboxAddr: "127.0.0.1:0", PageAddr: "127.0.0.1:0",
		Getenv:           localEnv(noEnv, t.TempDir()),
		Logger:           slog.New(slog.DiscardHandler),
		SandboxRateLimit: -1,
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = st.Wait()
	})
	return st
}

// With -url the generator drives a stack that is already running.
func TestRunAgainstRunningStack(t *testing.T) {
	st := startStack(t)
	var out bytes.Buffer
	args := []string{"-url", st.Gateway, "-control", st.SandboxAPI, "-n", "10", "-c", "2"}
	if err := run(t.Context(), args, noEnv, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "| whole verification | 10 | 0 |") ||
		!strings.Contains(out.String(), "| peak RSS (VmHWM), generator only | ") {
		t.Errorf("output:\n%s", out.String())
	}
}

// Failures are counted per stage and the run reports that nothing completed.
func TestRunCountsFailures(t *testing.T) {
	st := startStack(t)
	// The gateway is given as the control API: every outcome call fails with 404.
	var out bytes.Buffer
	err := run(t.Context(), []string{"-url", st.Gateway, "-control", st.Gateway, "-n", "4", "-c", "1"}, noEnv, &out)
	if err == nil || !strings.Contains(err.Error(), "no verification completed") {
		t.Fatalf("error %v", err)
	}
	for _, want := range []string{"| failed verifications | 4 |", "| sandbox outcome | 0 | 4 |", "first error in sandbox outcome: POST /_sandbox/outcome: status 404"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLoadStaysOnLoopback(t *testing.T) {
	for _, u := range []string{"http://localhost:8080", "http://127.0.0.1:1", "http://127.8.9.10", "http://[::1]:8080"} {
		if err := checkLoopback(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "http://192.168.1.2", "https://example.com", "http://0.0.0.0:8080",
		"ftp://127.0.0.1", "127.0.0.1:8080", "http://localhost.example.com"} {
		if err := checkLoopback(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	err := run(t.Context(), []string{"-url", "http://192.0.2.1:8080", "-n", "1"}, noEnv, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Errorf("run against a non-loopback address: %v", err)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 90: 90 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("one sample: %v", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("no samples: %v", got)
	}
}

func TestParseVmHWM(t *testing.T) {
	status := "Name:\tloadgen\nVmPeak:\t 1234 kB\nVmHWM:\t   25600 kB\nVmRSS:\t 20000 kB\n"
	if got := parseVmHWM([]byte(status)); got != 25600<<10 {
		t.Errorf("got %d", got)
	}
	if got := parseVmHWM([]byte("VmRSS:\t1 kB\n")); got != 0 {
		t.Errorf("missing VmHWM: %d", got)
	}
	if peakRSS() <= 0 {
		t.Error("no peak RSS read from /proc/self/status")
	}
}

// TestReadmeQuotesTheTable keeps the README's load-test tables in the shape this command
// prints: the same rows, in the same order, with the same columns.
func TestReadmeQuotesTheTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rep := newReport()
	rep.Completed, rep.Elapsed = 1, time.Second
	for _, s := range stages {
		rep.Latencies[s] = []time.Duration{time.Millisecond}
	}
	var out bytes.Buffer
	writeMarkdown(&out, rep, "setup", "stack and generator", 1<<20)

	// Each printed row's label (and column count) must be a row of the README, in order.
	rowLabel := regexp.MustCompile(`^(\| [^|]+ \|)(.*)$`)
	pos := 0
	for _, line := range strings.Split(out.String(), "\n") {
		m := rowLabel.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		i := strings.Index(string(readme[pos:]), "\n"+m[1])
		if i < 0 {
			t.Errorf("README has no row %q after the previous one", m[1])
			continue
		}
		pos += i + 1
		end := strings.IndexByte(string(readme[pos:]), '\n')
		got := string(readme[pos : pos+end])
		if strings.Count(got, "|") != strings.Count(line, "|") {
			t.Errorf("README row %q has other columns than the printed %q", got, line)
		}
	}
}
