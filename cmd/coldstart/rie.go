package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/s3store"
	"github.com/facegate/facegate/pkg/sandbox"
)

// side is one callback implementation run under the emulator.
type side struct {
	name      string
	bootstrap string
	env       []string
	// noop marks the no-op bootstrap, which is given empty events and answers {}.
	noop bool
}

// sample is what one cold start of a side showed.
type sample struct {
	listen time.Duration   // emulator exec → accepting invocations
	first  time.Duration   // first invocation posted → answered: the function's init and first request
	warm   []time.Duration // each later invocation
}

// emulatorTable runs the Go callback (Lambda build), its Node.js twin and a no-op
// bootstrap under AWS's Runtime Interface Emulator, in turn, o.rieRuns times each, then
// each callback for o.invocations more callbacks to read its peak RSS, and prints the
// medians.
func emulatorTable(w io.Writer, o options, env *services, work string) error {
	ctx := context.Background()
	rie := o.rie
	if rie == "" {
		out, err := exec.CommandContext(ctx, "go", "tool", "-n", "aws-lambda-rie").Output()
		if err != nil {
			return fmt.Errorf("go tool -n aws-lambda-rie: %w (run in the module, or give -rie)", err)
		}
		rie = strings.TrimSpace(string(out))
	}
	noop := filepath.Join(work, "noop-bootstrap")
	if err := runtimetest.GoBuild(".", noop, "./bench/noop-bootstrap"); err != nil {
		return err
	}
	nodeBoot, err := nodeBootstrap(o.node, work)
	if err != nil {
		return err
	}
	goEnv := append(env.functionEnv("lambda"), "FACEGATE_LOG_LEVEL=info")
	callback := o.callback
	if callback == "" {
		callback = filepath.Join(o.dist, o.arch, "lambda", "callback")
	}
	sides := []side{
		{name: "Go callback (Lambda build)", bootstrap: callback, env: goEnv},
		{name: "Node.js twin", bootstrap: nodeBoot, env: env.functionEnv("lambda")},
		{name: "no-op bootstrap", bootstrap: noop, noop: true},
	}
	for _, s := range sides[:2] {
		if _, err := os.Stat(s.bootstrap); err != nil {
			return fmt.Errorf("%w (run make package first)", err)
		}
	}
	starter, err := newStarter(env)
	if err != nil {
		return err
	}

	samples := make([][]sample, len(sides))
	for i := range o.rieRuns {
		// Each run takes the sides in a different order, so that neither always comes
		// first after the machine was idle.
		for k := range sides {
			j := (i + k) % len(sides)
			events := make([][]byte, 1+o.warm)
			for e := range events {
				if events[e], err = starter.callbackEvent(sides[j].noop); err != nil {
					return err
				}
			}
			s, err := measure(ctx, rie, sides[j], events)
			if err != nil {
				return fmt.Errorf("%s, run %d: %w", sides[j].name, i+1, err)
			}
			samples[j] = append(samples[j], s)
		}
	}
	var rss [2]int64
	var cpu [2]time.Duration
	for j := range 2 {
		if rss[j], cpu[j], err = peakRSS(ctx, rie, sides[j], starter, o.invocations); err != nil {
			return fmt.Errorf("%s, peak RSS: %w", sides[j].name, err)
		}
	}

	med := func(j int, pick func(sample) []time.Duration) time.Duration {
		var all []time.Duration
		for _, s := range samples[j] {
			all = append(all, pick(s)...)
		}
		return median(all)
	}
	// own is a side's first invocation less the no-op bootstrap's in the same run: the
	// function's init and first request without what the emulator spends starting any
	// process and handing it the event.
	ownRuns := func(j int) []time.Duration {
		var d []time.Duration
		for i := range samples[j] {
			d = append(d, samples[j][i].first-samples[2][i].first)
		}
		return d
	}
	own := func(j int) time.Duration { return median(ownRuns(j)) }
	spread := func(d []time.Duration) string {
		q1, q3 := quartiles(d)
		return fmt.Sprintf("%s–%s", strings.TrimSuffix(ms(q1), " ms"), ms(q3))
	}
	listen := func(s sample) []time.Duration { return []time.Duration{s.listen} }
	first := func(s sample) []time.Duration { return []time.Duration{s.first} }
	warm := func(s sample) []time.Duration { return s.warm }
	times := func(a, b time.Duration) string { return fmt.Sprintf("%.0f×", float64(a)/float64(b)) }

	fmt.Fprintf(w, "The callback under AWS's Runtime Interface Emulator (%s builds): %d cold starts of each, taken in turn, "+
		"each followed by %d warm callbacks; medians. A real callback reads the session from S3, reads the result from "+
		"Tencent (the sandbox), stores it and answers the redirect. The no-op bootstrap answers {} at once: its figures "+
		"are the emulator's own.\n\n", o.arch, o.rieRuns, o.warm)
	fmt.Fprintln(w, "| measure | Go callback (Lambda build) | Node.js twin | Node.js ÷ Go | no-op bootstrap |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| the emulator's own start (exec → accepting invocations) | %s | %s | – | %s |\n", ms(med(0, listen)), ms(med(1, listen)), ms(med(2, listen)))
	fmt.Fprintf(w, "| first invocation: posted → answered, the emulator's process start included | %s | %s | %s | %s |\n",
		ms(med(0, first)), ms(med(1, first)), times(med(1, first), med(0, first)), ms(med(2, first)))
	fmt.Fprintf(w, "| **function init + first answered real callback** (the first invocation less the no-op's, per run) | **%s** | **%s** | **%s** | – |\n",
		ms(own(0)), ms(own(1)), times(own(1), own(0)))
	fmt.Fprintf(w, "| the same, middle half of the runs (25th–75th percentile) | %s | %s | – | – |\n", spread(ownRuns(0)), spread(ownRuns(1)))
	fmt.Fprintf(w, "| warm callback invocation | %s | %s | %s | %s |\n", ms(med(0, warm)), ms(med(1, warm)), times(med(1, warm), med(0, warm)), ms(med(2, warm)))
	fmt.Fprintf(w, "| CPU time of the function process per callback, over %d warm callbacks (utime + stime) | %s | %s | %s | – |\n",
		o.invocations, msFine(cpu[0]/time.Duration(o.invocations)), msFine(cpu[1]/time.Duration(o.invocations)), times(cpu[1], cpu[0]))
	fmt.Fprintf(w, "| peak RSS (VmHWM) of the function process after %d callbacks | %.1f MiB | %.1f MiB | %.1f× | – |\n",
		o.invocations, float64(rss[0])/(1<<20), float64(rss[1])/(1<<20), float64(rss[1])/float64(rss[0]))
	return nil
}

// nodeBootstrap writes the twin's bootstrap: a custom runtime that runs node on its
// index.js, as a Lambda zip of it would.
func nodeBootstrap(dir, work string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "node_modules")); err != nil {
		return "", fmt.Errorf("%w (npm ci in %s; make coldstart does it)", err, dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", err
	}
	path := filepath.Join(work, "node-bootstrap")
	script := "#!/bin/sh\nexec " + node + " " + filepath.Join(abs, "index.js") + "\n"
	return path, os.WriteFile(path, []byte(script), 0o755)
}

// measure starts the emulator with s's bootstrap, then posts events: the first starts
// the function, the rest find it warm.
func measure(ctx context.Context, rie string, s side, events [][]byte) (sample, error) {
	e, err := startEmulator(ctx, rie, s)
	if err != nil {
		return sample{}, err
	}
	defer e.p.Stop(stopGrace)
	out := sample{listen: e.listen}
	for i, ev := range events {
		t0 := time.Now()
		answer, err := e.invoke(ctx, ev)
		d := time.Since(t0)
		if err == nil {
			err = checkCallback(s, answer)
		}
		if err != nil {
			return sample{}, fmt.Errorf("%w\n%s", err, e.p.Output())
		}
		if i == 0 {
			out.first = d
		} else {
			out.warm = append(out.warm, d)
		}
	}
	return out, nil
}

// emulator is a running RIE.
type emulator struct {
	p      *runtimetest.Process
	url    string
	client *http.Client
	listen time.Duration
}

func startEmulator(ctx context.Context, rie string, s side) (*emulator, error) {
	port, err := runtimetest.FreePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := runtimetest.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	t0 := time.Now()
	p, err := runtimetest.StartProcess(s.env, rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", "127.0.0.1:"+apiPort, s.bootstrap)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := runtimetest.WaitUntil(wctx, p, pollInterval, runtimetest.Dialable(addr)); err != nil {
		p.Stop(stopGrace)
		return nil, fmt.Errorf("the emulator did not listen: %w\n%s", err, p.Output())
	}
	return &emulator{p: p, url: "http://" + addr + "/2015-03-31/functions/function/invocations", listen: time.Since(t0),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}}, nil
}

func (e *emulator) invoke(ctx context.Context, event []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("the emulator answered HTTP %d: %s", resp.StatusCode, body)
	}
	return body, err
}

// checkCallback accepts a callback's answer only when it is the redirect back to the
// merchant with the verification passed: anything else timed something other than the
// work.
func checkCallback(s side, answer []byte) error {
	if s.noop {
		return nil
	}
	var r struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
	}
	if json.Unmarshal(answer, &r) != nil {
		return fmt.Errorf("the answer is not a gateway response: %.300s", answer)
	}
	loc := r.Headers["Location"] + r.Headers["location"]
	if r.StatusCode != http.StatusFound || !strings.HasPrefix(loc, returnTo+"?") || !strings.Contains(loc, "status=passed") {
		return fmt.Errorf("the callback answered %d to %q, want 302 to %s with status=passed: %.300s", r.StatusCode, loc, returnTo, answer)
	}
	return nil
}

// peakRSS runs a first callback and then n more through one emulator, and returns the
// function process's VmHWM, in bytes, and the CPU time it spent on the n.
func peakRSS(ctx context.Context, rie string, s side, st *starter, n int) (int64, time.Duration, error) {
	e, err := startEmulator(ctx, rie, s)
	if err != nil {
		return 0, 0, err
	}
	defer e.p.Stop(stopGrace)
	child := 0
	var cpu0 time.Duration
	for i := range n + 1 {
		ev, err := st.callbackEvent(false)
		if err != nil {
			return 0, 0, err
		}
		answer, err := e.invoke(ctx, ev)
		if err == nil {
			err = checkCallback(s, answer)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%w\n%s", err, e.p.Output())
		}
		if i == 0 {
			if child, err = childOf(e.p.Pid()); err != nil {
				return 0, 0, err
			}
			if cpu0, err = cpuTime(child); err != nil {
				return 0, 0, err
			}
		}
	}
	cpu1, err := cpuTime(child)
	if err != nil {
		return 0, 0, err
	}
	hwm, err := vmHWM(child)
	return hwm, cpu1 - cpu0, err
}

// cpuTime is a process's user and system CPU time so far, from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// After "pid (comm) ", utime and stime are the 12th and 13th fields, in clock ticks
	// of 1/100 s (USER_HZ on Linux).
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %v %v", pid, err1, err2)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// quartiles are the 25th and 75th percentiles of d.
func quartiles(d []time.Duration) (time.Duration, time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/4], s[(3*len(s))/4]
}

// msFine is a duration in milliseconds with two decimals.
func msFine(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// childOf returns the one child process of pid: the function the emulator started.
func childOf(pid int) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so read after its ")".
		rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			return child, nil
		}
	}
	return 0, fmt.Errorf("the emulator (pid %d) has no child process", pid)
}

// vmHWM reads a process's peak resident set size from /proc/<pid>/status.
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// starter starts verifications the way the start function does, in this process, on
// the S3 bucket both callbacks read, and has the sandbox pass each: every callback
// event is then one a user's browser would send after passing Tencent's check.
type starter struct {
	start http.Handler
	sb    *services
}

func newStarter(env *services) (*starter, error) {
	vars := map[string]string{}
	for _, kv := range env.functionEnv("lambda") {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	cfg, err := app.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		return nil, err
	}
	client, err := faceid.New(cfg.FaceID)
	if err != nil {
		return nil, err
	}
	store, err := s3store.NewFromConfig(env.s3.Config(), env.s3.AWSConfig())
	if err != nil {
		return nil, err
	}
	svc, err := core.New(cfg.Core, core.Deps{FaceID: client, Store: store})
	if err != nil {
		return nil, err
	}
	h, err := svc.Handler("start")
	if err != nil {
		return nil, err
	}
	return &starter{start: h, sb: env}, nil
}

// callbackEvent starts a verification, passes it, and returns the HTTP API (payload
// 2.0) event of its callback, binding cookie included; {} for the no-op bootstrap.
func (st *starter) callbackEvent(noop bool) ([]byte, error) {
	if noop {
		return []byte(`{}`), nil
	}
	req := httptest.NewRequest(http.MethodGet, "https://api.example.com/start?returnTo="+url.QueryEscape(returnTo)+"&mode=3", nil)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)")
	rec := httptest.NewRecorder()
	st.start.ServeHTTP(rec, req)
	loc, err := url.Parse(rec.Header().Get("Location"))
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusFound || err != nil || len(cookies) != 1 || loc.Query().Get("token") == "" {
		return nil, fmt.Errorf("start answered %d %s", rec.Code, rec.Body)
	}
	token := loc.Query().Get("token")
	if err := st.sb.sb.SetOutcome(token, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
		return nil, err
	}
	q := "token=" + url.QueryEscape(token)
	return json.Marshal(map[string]any{
		"version": "2.0", "routeKey": "GET /callback", "rawPath": "/callback", "rawQueryString": q,
		"cookies": []string{cookies[0].Name + "=" + cookies[0].Value},
		"headers": map[string]string{"host": "api.example.com", "accept": "text/html",
			"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)"},
		"requestContext": map[string]any{"domainName": "api.example.com", "requestId": "coldstart", "stage": "$default",
			"http": map[string]string{"method": "GET", "path": "/callback", "sourceIp": "203.0.113.1"}},
		"isBase64Encoded": false,
	})
}
