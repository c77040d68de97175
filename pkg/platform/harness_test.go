package platform_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binaries holds the executables TestMain built: "probe" (testdata/fn) always,
// and "start", "callback", "result" when the functions build.
var binaries = map[string]string{}

// functionsBuildError says why the real functions were not built, if they were not.
var functionsBuildError error

// repoRoot is the module root, where go build runs.
const repoRoot = "../.."

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "platform-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Build once for the whole run, the way `make build` does (static, norpc tag).
	if err := goBuild(filepath.Join(dir, "probe"), "./pkg/platform/testdata/fn"); err != nil {
		fmt.Fprintln(os.Stderr, "build probe:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	binaries["probe"] = filepath.Join(dir, "probe")
	for _, fn := range []string{"start", "callback", "result"} {
		out := filepath.Join(dir, fn)
		if err := goBuild(out, "./functions/"+fn); err != nil {
			functionsBuildError = fmt.Errorf("build %s: %w", fn, err)
			break
		}
		binaries[fn] = out
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func goBuild(out, pkg string) error {
	// go test puts the go command that runs it first on PATH.
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", out, pkg)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, b)
	}
	return nil
}

// needFunctions fails a test of the real functions when they did not build.
func needFunctions(t *testing.T) {
	t.Helper()
	if functionsBuildError != nil {
		t.Fatalf("functions do not build: %v", functionsBuildError)
	}
}

// process is a started function binary with its log output captured.
type process struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
	// mayFail is set by tests that expect the process to exit with an error.
	mayFail bool
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProcess runs name with args and exactly env (plus PATH), and stops it
// with SIGTERM at the end of the test.
func startProcess(t *testing.T, env []string, name string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: logs, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if err := p.stop(); err != nil && !p.mayFail {
			t.Errorf("%s did not stop cleanly: %v\n%s", filepath.Base(name), err, logs)
		}
	})
	return p
}

// stop sends SIGTERM and waits for the exit; a process that ignores SIGTERM is
// killed after a while and reported.
func (p *process) stop() error {
	select {
	case err := <-p.done:
		p.done <- err
		return err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		err := <-p.done
		p.done <- err
		return fmt.Errorf("no exit 20 s after SIGTERM (killed: %v)", err)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return strconv.Itoa(lis.Addr().(*net.TCPAddr).Port)
}

// waitFor retries f until it succeeds or the process exits or a generous bound
// passes; it is how a platform waits for a fresh process to come up.
func waitFor(t *testing.T, p *process, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		select {
		case exit := <-p.done:
			p.done <- exit
			t.Fatalf("process exited (%v) before %s:\n%s", exit, what, p.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v\n%s", what, err, p.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ---- Lambda Runtime API stand-in ----

// runtimeAPI plays Lambda's side of the Runtime API: it hands out queued events
// on /next and collects what the function posts back.
type runtimeAPI struct {
	srv     *httptest.Server
	pending chan lambdaInvoke
	mu      sync.Mutex
	waiting map[string]chan lambdaResult
	seq     int
}

type lambdaInvoke struct {
	id       string
	deadline time.Time
	payload  []byte
}

// lambdaResult is what the function posted for one invocation.
type lambdaResult struct {
	kind string // "response" or "error"
	body []byte
}

func newRuntimeAPI(t *testing.T) *runtimeAPI {
	api := &runtimeAPI{pending: make(chan lambdaInvoke, 16), waiting: map[string]chan lambdaResult{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case inv := <-api.pending:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", inv.id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:ap-southeast-1:123456789012:function:facegate-probe")
			w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-5e1b4151-5ac6c58f5b5daa6532e4f0e3;Parent=1;Sampled=0")
			w.Header().Set("Content-Type", "application/json")
			w.Write(inv.payload)
		case <-r.Context().Done():
		}
	})
	deliver := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			api.mu.Lock()
			ch := api.waiting[r.PathValue("id")]
			api.mu.Unlock()
			if ch == nil {
				http.Error(w, "unknown request id", http.StatusBadRequest)
				return
			}
			ch <- lambdaResult{kind: kind, body: body}
			w.WriteHeader(http.StatusAccepted)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", deliver("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", deliver("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		t.Errorf("function reported an init error: %s", body)
		w.WriteHeader(http.StatusAccepted)
	})
	api.srv = httptest.NewServer(mux)
	t.Cleanup(api.srv.Close)
	return api
}

// addr is the value for AWS_LAMBDA_RUNTIME_API.
func (api *runtimeAPI) addr() string { return strings.TrimPrefix(api.srv.URL, "http://") }

// invoke queues payload and waits for the function's answer. It returns the
// request id it used, so logs can be matched.
func (api *runtimeAPI) invoke(t *testing.T, p *process, payload []byte) (string, time.Time, lambdaResult) {
	t.Helper()
	api.mu.Lock()
	api.seq++
	id := fmt.Sprintf("8476a536-e9f4-11e8-9739-%012d", api.seq)
	ch := make(chan lambdaResult, 1)
	api.waiting[id] = ch
	api.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second).Truncate(time.Millisecond)
	api.pending <- lambdaInvoke{id: id, deadline: deadline, payload: payload}
	select {
	case res := <-ch:
		return id, deadline, res
	case err := <-p.done:
		p.done <- err
		t.Fatalf("function exited (%v) during invocation:\n%s", err, p.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("no answer to invocation:\n%s", p.logs)
	}
	return "", time.Time{}, lambdaResult{}
}

// ---- SCF runtime stand-in ----

// scfRuntime plays SCF's side of the Go1 protocol over net/rpc. The message types
// are declared here, apart from package scfrpc, with the runtime's field names.
type scfRuntime struct {
	client *rpc.Client
}

type scfTimestamp struct {
	Seconds int64
	Nanos   int64
}

type scfInvokeRequest struct {
	Payload               []byte
	RequestId             string
	TraceId               string
	Deadline              scfTimestamp
	InvokedFunctionUnique string
	ClientContext         []byte
	Namespace             string
	FunctionName          string
	FunctionVersion       string
	MemoryLimitInMb       int32
	TimeLimitInMs         int32
	Environment           string
	TencentcloudRegion    string
	TencentcloudAppID     string
	TencentcloudUin       string
	FunctionTrace         string
}

type scfInvokeError struct {
	Message    string
	Type       string
	StackTrace []*struct {
		Path  string
		Line  int32
		Label string
	}
	ShouldExit bool
}

type scfInvokeResponse struct {
	Payload []byte
	Error   *scfInvokeError
}

type scfPing struct{}

// dialSCF connects to the function on port the way SCF's runtime does: dial and
// Ping until the process answers.
func dialSCF(t *testing.T, p *process, port string) *scfRuntime {
	t.Helper()
	var client *rpc.Client
	waitFor(t, p, "Function.Ping", func() error {
		c, err := rpc.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			return err
		}
		if err := c.Call("Function.Ping", scfPing{}, &scfPing{}); err != nil {
			c.Close()
			return err
		}
		client = c
		return nil
	})
	t.Cleanup(func() { client.Close() })
	return &scfRuntime{client: client}
}

var scfSeq struct {
	sync.Mutex
	n int
}

func (s *scfRuntime) invoke(t *testing.T, payload []byte, env string) (string, time.Time, scfInvokeResponse) {
	t.Helper()
	scfSeq.Lock()
	scfSeq.n++
	id := fmt.Sprintf("scf-req-%04d", scfSeq.n)
	scfSeq.Unlock()
	deadline := time.Now().Add(20 * time.Second).Truncate(time.Millisecond)
	req := scfInvokeRequest{
		Payload:            payload,
		RequestId:          id,
		Deadline:           scfTimestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		Namespace:          "default",
		FunctionName:       "facegate-probe",
		FunctionVersion:    "$LATEST",
		MemoryLimitInMb:    128,
		TimeLimitInMs:      20000,
		Environment:        env,
		TencentcloudRegion: "ap-singapore",
	}
	var resp scfInvokeResponse
	call := s.client.Go("Function.Invoke", req, &resp, nil)
	select {
	case <-call.Done:
	case <-time.After(30 * time.Second):
		t.Fatal("no answer to Function.Invoke")
	}
	if call.Error != nil {
		t.Fatalf("Function.Invoke: %v", call.Error)
	}
	return id, deadline, resp
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
func waitLog(p *process, match func(rec map[string]any) bool) bool {
	deadline := time.Now().Add(10 * time.Second)
	for {
		sc := bufio.NewScanner(strings.NewReader(p.logs.String()))
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
func logsRequest(p *process, id, fn string) bool {
	return waitLog(p, func(r map[string]any) bool {
		return r["request_id"] == id && (fn == "" || r["function"] == fn)
	})
}

// logsText reports whether some log line contains s.
func logsText(p *process, s string) bool {
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
