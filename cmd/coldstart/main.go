// Command coldstart measures what a cold start costs the built functions: for each
// function and runtime it starts the binary afresh, plays the platform's side (a
// Lambda Runtime API stand-in, SCF's Go1 net/rpc runtime, an HTTP client for SCF web
// functions via scf_bootstrap and for local runs), and times process start → first
// answered event. It prints the medians of -runs starts, with the package sizes, as a
// Markdown table. `make coldstart` runs it on the output of `make package`.
//
// The event is a request each function answers from configuration alone (a 4xx for a
// missing parameter), so the figure is the process's own start-up, not Tencent's or
// the store's latency. A scheduled function (-scheduled, the sweeper) is measured on
// Lambda and as an SCF event function, the runtimes it is deployed on, with a scheduled
// event and nothing due: its figure includes one look at an empty local store. Every
// server is on 127.0.0.1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

// runtimes in table order.
var runtimes = []string{"lambda", "scf-event", "scf-web", "local"}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	dist := fs.String("dist", "dist", "output of make package")
	arch := fs.String("arch", runtime.GOARCH, "which build to run (must run on this machine)")
	runs := fs.Int("runs", 15, "cold starts per function and runtime")
	functions := fs.String("functions", "start callback result sweep", "functions to measure")
	scheduled := fs.String("scheduled", "sweep", "functions that run on timer events only (measured on lambda and scf-event)")
	bootstrap := fs.String("bootstrap", "deploy/scf_bootstrap", "the scf_bootstrap of web functions")
	if err := fs.Parse(args); err != nil {
		return err
	}
	timerOnly := map[string]bool{}
	for _, fn := range strings.Fields(*scheduled) {
		timerOnly[fn] = true
	}
	if *runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	work, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	type row struct {
		fn      string
		sizes   map[string]int64
		medians map[string]time.Duration
	}
	var rows []row
	for _, fn := range strings.Fields(*functions) {
		bin := filepath.Join(*dist, *arch, fn)
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%w (run make package first)", err)
		}
		r := row{fn: fn, sizes: map[string]int64{}, medians: map[string]time.Duration{}}
		for _, pkg := range []string{"lambda", "scf-event", "scf-web"} {
			if info, err := os.Stat(filepath.Join(*dist, pkg+"-"+fn+"-"+*arch+".zip")); err == nil {
				r.sizes[pkg] = info.Size()
			}
		}
		m := &meter{fn: fn, bin: bin, bootstrap: *bootstrap, work: work, scheduled: timerOnly[fn]}
		for _, rt := range runtimes {
			if m.scheduled && (rt == "scf-web" || rt == "local") {
				continue // never deployed there: no timer events reach it
			}
			var samples []time.Duration
			for range *runs {
				d, err := m.once(rt)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", fn, rt, err)
				}
				samples = append(samples, d)
			}
			r.medians[rt] = median(samples)
		}
		rows = append(rows, r)
	}

	fmt.Fprintf(stdout, "Cold start: process start to first answered event, median of %d starts (%s/%s, %d CPUs, %s).\n\n",
		*runs, runtime.GOOS, *arch, runtime.NumCPU(), runtime.Version())
	fmt.Fprintln(stdout, "| function | Lambda zip | SCF event zip | SCF web zip | Lambda | SCF event | SCF web | local |")
	fmt.Fprintln(stdout, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(stdout, "| %s | %s | %s | %s |", r.fn, size(r.sizes["lambda"]), size(r.sizes["scf-event"]), size(r.sizes["scf-web"]))
		for _, rt := range runtimes {
			if d, ok := r.medians[rt]; ok {
				fmt.Fprintf(stdout, " %.1f ms |", float64(d.Microseconds())/1000)
			} else {
				fmt.Fprint(stdout, " - |")
			}
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

func size(n int64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// meter starts one function binary on each runtime.
type meter struct {
	fn, bin, bootstrap, work string
	// scheduled functions get a scheduled event instead of a request.
	scheduled bool
}

// env is a configuration each function accepts without reaching any service: the
// local store, and a Tencent endpoint that is never called by the measured request.
func (m *meter) env() []string {
	return []string{
		"FACEGATE_STORE=local",
		"FACEGATE_LOCAL_DIR=" + filepath.Join(m.work, "store"),
		"FACEGATE_CALLBACK_URL=https://api.example.com/callback",
		"FACEGATE_RETURN_TO=https://shop.example.com/done",
		"FACEGATE_TICKET_SECRETS=coldstart-ticket-secret-0123456789abcdef",
		"FACEGATE_TOKEN_KEYS=coldstart-token-key-0123456789abcdef0123",
		"FACEGATE_MERCHANT_KEYS=coldstart-merchant-key",
		"FACEGATE_SECRET_ID=AKIDcoldstart",
		"FACEGATE_SECRET_KEY=coldstart-secret-key",
		"FACEGATE_TENCENT_ENDPOINT=127.0.0.1:9",
		"FACEGATE_TENCENT_SCHEME=http",
		"FACEGATE_LOG_LEVEL=error",
	}
}

// path is the request every function answers at once: its own path without the
// parameters it needs.
func (m *meter) path() string { return "/" + m.fn }

func (m *meter) once(rt string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch rt {
	case "lambda":
		return m.lambda(ctx)
	case "scf-event":
		return m.scfEvent(ctx)
	case "scf-web":
		return m.http(ctx, true)
	default:
		return m.http(ctx, false)
	}
}

// Bounds on one measured start: how often readiness is polled (finely, since the
// figures are a few milliseconds), and how long a stopped function may take to exit.
const (
	pollInterval = 200 * time.Microsecond
	stopGrace    = 10 * time.Second
)

func (m *meter) lambda(ctx context.Context) (time.Duration, error) {
	event, _ := json.Marshal(map[string]any{
		"version": "2.0", "rawPath": m.path(), "rawQueryString": "",
		"headers":        map[string]string{"host": "api.example.com", "accept": "application/json"},
		"requestContext": map[string]any{"http": map[string]string{"method": "GET", "path": m.path(), "sourceIp": "203.0.113.1"}},
	})
	if m.scheduled {
		event = []byte(`{}`) // an EventBridge Scheduler schedule without Input
	}
	api, err := runtimetest.ListenRuntimeAPI()
	if err != nil {
		return 0, err
	}
	defer api.Close()

	t0 := time.Now()
	p, err := runtimetest.StartProcess(append(m.env(), "AWS_LAMBDA_RUNTIME_API="+api.Addr()), m.bin)
	if err != nil {
		return 0, err
	}
	defer p.Stop(stopGrace)
	res, err := api.Invoke(ctx, p, event)
	if err != nil {
		return 0, fmt.Errorf("%w\n%s", err, p.Output())
	}
	d := time.Since(t0)
	if res.Kind != runtimetest.KindResponse {
		return 0, fmt.Errorf("invocation error: %s", res.Body)
	}
	return d, m.check(res.Body)
}

// check accepts the answer the measured event must get: a 4xx from configuration alone
// (checkStatus), or a scheduled run's {"ok":true}.
func (m *meter) check(answer []byte) error {
	if m.scheduled {
		if string(answer) != `{"ok":true}` {
			return fmt.Errorf("the scheduled run answered %.200s, want {\"ok\":true}", answer)
		}
		return nil
	}
	var resp struct{ StatusCode int }
	if json.Unmarshal(answer, &resp) != nil {
		return fmt.Errorf("the answer is not a gateway response: %.200s", answer)
	}
	return checkStatus(resp.StatusCode)
}

// checkStatus accepts the answer the measured request must get: a 4xx the function
// gave from its configuration alone. Anything else means the figure timed something
// other than a working start-up.
func checkStatus(status int) error {
	if status < 400 || status > 499 {
		return fmt.Errorf("the function answered %d, want a 4xx", status)
	}
	return nil
}

func (m *meter) scfEvent(ctx context.Context) (time.Duration, error) {
	port, err := runtimetest.FreePort()
	if err != nil {
		return 0, err
	}
	event, _ := json.Marshal(map[string]any{
		"httpMethod": "GET", "path": m.path(), "queryString": map[string]any{},
		"headers":        map[string]string{"host": "api.example.com", "accept": "application/json"},
		"requestContext": map[string]any{"httpMethod": "GET", "path": m.path(), "sourceIp": "203.0.113.1", "requestId": "coldstart"},
	})
	if m.scheduled {
		event = []byte(`{"Type":"Timer","TriggerName":"sweep","Time":"2026-12-08T05:26:00Z","Message":""}`)
	}
	t0 := time.Now()
	p, err := runtimetest.StartProcess(append(m.env(), "_LAMBDA_SERVER_PORT="+port, "TENCENTCLOUD_RUNENV=SCF"), m.bin)
	if err != nil {
		return 0, err
	}
	defer p.Stop(stopGrace)
	var rt *runtimetest.SCFRuntime
	err = runtimetest.WaitUntil(ctx, p, pollInterval, func() error {
		var err error
		rt, err = runtimetest.DialSCF("127.0.0.1:" + port)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("the function never listened: %w\n%s", err, p.Output())
	}
	defer rt.Close()
	resp, err := rt.Invoke(ctx, rt.NewRequest(event, time.Minute))
	if err != nil {
		return 0, err
	}
	d := time.Since(t0)
	if resp.Error != nil {
		return 0, fmt.Errorf("invoke error %s: %s", resp.Error.Type, resp.Error.Message)
	}
	return d, m.check(resp.Payload)
}

// http measures an HTTP runtime: a web function started through scf_bootstrap (web)
// or the plain local server.
func (m *meter) http(ctx context.Context, web bool) (time.Duration, error) {
	port, err := runtimetest.FreePort()
	if err != nil {
		return 0, err
	}
	addr := "127.0.0.1:" + port
	bin, env := m.bin, append(m.env(), "PORT="+port)
	if web {
		if bin, err = m.webBootstrap(); err != nil {
			return 0, err
		}
		env = append(m.env(), "TENCENTCLOUD_RUNENV=SCF", "FACEGATE_SCF_WEB_ADDR="+addr)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	p, err := runtimetest.StartProcess(env, bin)
	if err != nil {
		return 0, err
	}
	defer p.Stop(stopGrace)
	var d time.Duration
	status := 0
	err = runtimetest.WaitUntil(ctx, p, pollInterval, func() error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+m.path(), nil)
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		d = time.Since(t0)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("the function never answered: %w\n%s", err, p.Output())
	}
	return d, checkStatus(status)
}

// webBootstrap writes scf_bootstrap with /var/user/ pointing at a copy of the binary
// named main, as SCF unpacks the web package.
func (m *meter) webBootstrap() (string, error) {
	dir := filepath.Join(m.work, "web-"+m.fn)
	script := filepath.Join(dir, "scf_bootstrap")
	if _, err := os.Stat(script); err == nil {
		return script, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return runtimetest.SCFWebBootstrap(dir, m.bootstrap, m.bin)
}
