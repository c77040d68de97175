// Command coldstart measures what starting the built functions costs, and prints the
// README's tables. `make coldstart` runs it on the output of `make package`:
//
//  1. the zip sizes of every package, in MB (10^6 bytes);
//  2. process start → first answered event for each function on each runtime it is
//     deployed on, the Lambda build (dist/<arch>/lambda/<fn>) on a Lambda Runtime API
//     stand-in, the SCF build (dist/<arch>/scf/<fn>) as an event function (SCF's Go1
//     net/rpc protocol) and as a web function started by scf_bootstrap. The event is a
//     request each function answers from its configuration alone (a 4xx for a missing
//     parameter); a scheduled function (the sweeper) gets a scheduled event with
//     nothing due, so its figure includes one look at an empty bucket;
//  3. the callback under AWS's own Runtime Interface Emulator (the go.mod tool
//     aws-lambda-rie) beside a Node.js twin (bench/node-callback: Tencent's Node.js SDK
//     and AWS's S3 client, as a merchant would write it), run in turn, -rie-runs times
//     each: the emulator's own start, function init + the first answered real callback
//     (read the session from S3, read the result from Tencent, store it, answer the
//     redirect), a warm callback, and the function process's peak RSS (VmHWM) after
//     -invocations callbacks. A no-op bootstrap shows what the emulator and a process
//     start cost on their own.
//
// Tencent is the in-process sandbox (pkg/sandbox, its rate limit off), S3 and COS are
// storetest's servers (gofakes3 behind the real SDKs' protocols); everything is on
// 127.0.0.1. Figures are medians; what else runs on the machine moves them, so the
// tables name the machine and the command.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/cosstore"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/sandbox/sandboxtest"
	"github.com/facegate/facegate/pkg/storetest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

// runtimes in table order, with the build each runs.
var runtimes = []struct{ name, variant string }{{"lambda", "lambda"}, {"scf-event", "scf"}, {"scf-web", "scf"}}

// options are the command line.
type options struct {
	dist, arch, bootstrap, node, rie string
	callback                         string
	runs, rieRuns, warm, invocations int
	functions, timerOnly             []string
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.dist, "dist", "dist", "output of make package")
	fs.StringVar(&o.arch, "arch", runtime.GOARCH, "which build to run (must run on this machine)")
	fs.IntVar(&o.runs, "runs", 15, "cold starts per function and runtime")
	functions := fs.String("functions", "start callback result sweep", "functions to measure")
	scheduled := fs.String("scheduled", "sweep", "functions that run on timer events only (measured on lambda and scf-event)")
	fs.StringVar(&o.bootstrap, "bootstrap", "deploy/scf_bootstrap", "the scf_bootstrap of web functions")
	fs.StringVar(&o.node, "node", "", "the Node.js twin's folder, with node_modules installed (bench/node-callback); empty skips the emulator table")
	fs.StringVar(&o.rie, "rie", "", "the aws-lambda-rie binary (default: go tool -n aws-lambda-rie, which builds it)")
	fs.IntVar(&o.rieRuns, "rie-runs", 20, "cold starts of each callback under the emulator")
	fs.StringVar(&o.callback, "callback", "", "the Go callback run under the emulator (default: the Lambda build in -dist), to compare another build")
	fs.IntVar(&o.warm, "warm", 20, "warm callbacks after each cold one")
	fs.IntVar(&o.invocations, "invocations", 1000, "callbacks before the peak RSS is read")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.functions, o.timerOnly = strings.Fields(*functions), strings.Fields(*scheduled)
	if o.runs < 1 || o.rieRuns < 1 || o.invocations < 1 {
		return errors.New("-runs, -rie-runs and -invocations must be at least 1")
	}
	work, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	env, err := startServices()
	if err != nil {
		return err
	}
	defer env.close()

	fmt.Fprintf(stdout, "Measured with `make coldstart` on %s.\n\n", machine(o.node != ""))
	if err := sizeTable(stdout, o); err != nil {
		return err
	}
	if err := startTable(stdout, o, env, work); err != nil {
		return err
	}
	if o.node == "" {
		return nil
	}
	return emulatorTable(stdout, o, env, work)
}

// machine describes where the figures were taken: OS, architecture, CPU model and
// count, Go's version, and Node's when it runs.
func machine(withNode bool) string {
	cpu := ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v) + ", "
				break
			}
		}
		f.Close()
	}
	s := fmt.Sprintf("%s/%s, %s%d CPUs shared with other work, %s", runtime.GOOS, runtime.GOARCH, cpu, runtime.NumCPU(), runtime.Version())
	if withNode {
		if out, err := exec.Command("node", "--version").Output(); err == nil {
			s += ", Node.js " + strings.TrimSpace(string(out))
		}
	}
	return s
}

// sizeTable prints the size of every zip make package wrote, in MB (10^6 bytes).
func sizeTable(w io.Writer, o options) error {
	fmt.Fprintln(w, "Package sizes, MB (10^6 bytes); `make package` fails when one is over 4.0 MB:")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| package | %s |\n", strings.Join(o.functions, " | "))
	fmt.Fprintf(w, "|---|%s\n", strings.Repeat("---:|", len(o.functions)))
	for _, arch := range []string{"amd64", "arm64"} {
		for _, pkg := range []string{"lambda", "scf-event", "scf-web"} {
			fmt.Fprintf(w, "| %s %s |", pkg, arch)
			for _, fn := range o.functions {
				info, err := os.Stat(filepath.Join(o.dist, pkg+"-"+fn+"-"+arch+".zip"))
				switch {
				case err == nil:
					fmt.Fprintf(w, " %.2f |", float64(info.Size())/1e6)
				case os.IsNotExist(err):
					fmt.Fprint(w, " - |")
				default:
					return err
				}
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
	return nil
}

// startTable prints process start → first answered event, the median of o.runs starts.
func startTable(w io.Writer, o options, env *services, work string) error {
	type row struct {
		fn      string
		medians map[string]time.Duration
	}
	var rows []row
	for _, fn := range o.functions {
		r := row{fn: fn, medians: map[string]time.Duration{}}
		for _, rt := range runtimes {
			m := &meter{fn: fn, bin: filepath.Join(o.dist, o.arch, rt.variant, fn), bootstrap: o.bootstrap, work: work,
				scheduled: slices.Contains(o.timerOnly, fn), env: env.functionEnv(rt.variant)}
			if m.scheduled && rt.name == "scf-web" {
				continue // never deployed there: no timer events reach it
			}
			if _, err := os.Stat(m.bin); err != nil {
				return fmt.Errorf("%w (run make package first)", err)
			}
			var samples []time.Duration
			for range o.runs {
				d, err := m.once(rt.name)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", fn, rt.name, err)
				}
				samples = append(samples, d)
			}
			r.medians[rt.name] = median(samples)
		}
		rows = append(rows, r)
	}
	fmt.Fprintf(w, "Process start → first answered event, median of %d starts (%s builds; Lambda on a Runtime API stand-in):\n\n", o.runs, o.arch)
	fmt.Fprintln(w, "| function | Lambda | SCF event | SCF web |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s |", r.fn)
		for _, rt := range runtimes {
			if d, ok := r.medians[rt.name]; ok {
				fmt.Fprintf(w, " %s |", ms(d))
			} else {
				fmt.Fprint(w, " - |")
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// services are the sandbox and the two buckets every measured function talks to.
type services struct {
	sb  *sandboxtest.Server
	s3  *storetest.S3Server
	cos *storetest.COSServer
}

func startServices() (*services, error) {
	s := &services{sb: sandboxtest.Start(sandbox.Options{RateLimit: -1})}
	var err error
	if s.s3, err = storetest.StartS3Server(nil); err != nil {
		s.close()
		return nil, err
	}
	s.cos, err = storetest.StartCOSServer(nil, cosstore.Credentials{SecretID: sandbox.TestSecretID, SecretKey: sandbox.TestSecretKey})
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *services) close() {
	s.sb.Close()
	if s.s3 != nil {
		s.s3.Close()
	}
	if s.cos != nil {
		s.cos.Close()
	}
}

// Configuration every measured function gets.
const (
	callbackURL  = "https://api.example.com/callback"
	returnTo     = "https://shop.example.com/done"
	ticketSecret = "coldstart-ticket-secret-0123456789abcdef"
)

// functionEnv is a configuration of a function of build variant ("lambda" or "scf"):
// the sandbox as Tencent with its long-term keys, and the variant's bucket, S3 with the
// keys Lambda puts in the environment, or COS.
func (s *services) functionEnv(variant string) []string {
	env := []string{
		"FACEGATE_CALLBACK_URL=" + callbackURL,
		"FACEGATE_RETURN_TO=" + returnTo,
		"FACEGATE_TICKET_SECRETS=" + ticketSecret,
		"FACEGATE_TOKEN_KEYS=coldstart-token-key-0123456789abcdef0123",
		"FACEGATE_MERCHANT_KEYS=coldstart-merchant-key",
		"FACEGATE_ANONYMOUS_STARTS=true",
		"FACEGATE_SECRET_ID=" + sandbox.TestSecretID,
		"FACEGATE_SECRET_KEY=" + sandbox.TestSecretKey,
		"FACEGATE_TENCENT_ENDPOINT=" + s.sb.Endpoint(),
		"FACEGATE_TENCENT_SCHEME=http",
		"FACEGATE_LOG_LEVEL=error",
	}
	if variant == "lambda" {
		return append(env, "FACEGATE_STORE=s3", "FACEGATE_S3_BUCKET="+storetest.S3Bucket, "FACEGATE_S3_ENDPOINT="+s.s3.URL,
			"FACEGATE_S3_PATH_STYLE=true", "AWS_REGION="+storetest.S3Region,
			"AWS_ACCESS_KEY_ID="+storetest.S3AccessKey, "AWS_SECRET_ACCESS_KEY="+storetest.S3SecretKey, "AWS_SESSION_TOKEN="+storetest.S3SessionToken)
	}
	return append(env, "FACEGATE_STORE=cos", "FACEGATE_COS_BUCKET="+storetest.COSBucket, "FACEGATE_COS_REGION="+storetest.COSRegion,
		"FACEGATE_COS_ENDPOINT="+s.cos.URL)
}

// meter starts one function binary on each runtime.
type meter struct {
	fn, bin, bootstrap, work string
	env                      []string
	// scheduled functions get a scheduled event instead of a request.
	scheduled bool
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
	}
	return m.web(ctx)
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
	p, err := runtimetest.StartProcess(append(m.env, "AWS_LAMBDA_RUNTIME_API="+api.Addr()), m.bin)
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
	p, err := runtimetest.StartProcess(append(m.env, "_LAMBDA_SERVER_PORT="+port, "TENCENTCLOUD_RUNENV=SCF"), m.bin)
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

// web measures an SCF web function, started through scf_bootstrap.
func (m *meter) web(ctx context.Context) (time.Duration, error) {
	port, err := runtimetest.FreePort()
	if err != nil {
		return 0, err
	}
	addr := "127.0.0.1:" + port
	bin, err := m.webBootstrap()
	if err != nil {
		return 0, err
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	p, err := runtimetest.StartProcess(append(m.env, "TENCENTCLOUD_RUNENV=SCF", "FACEGATE_SCF_WEB_ADDR="+addr), bin)
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
