package scfrpc_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/scfrpc"
)

// fakeEnv is an environment the server applies InvokeRequest.Environment to.
type fakeEnv struct {
	mu   sync.Mutex
	vars map[string]string
}

func (e *fakeEnv) lookup(k string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.vars[k]
	return v, ok
}

func (e *fakeEnv) setenv(k, v string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vars[k] = v
	return nil
}

func (e *fakeEnv) get(k string) string {
	v, _ := e.lookup(k)
	return v
}

// start serves srv on a loopback port and returns the SCF runtime stand-in connected
// to it, and a stop function that cancels the server's context and returns what Serve
// returned. The stand-in declares the runtime's messages apart from this package's
// types: gob matches fields by name, so they must interoperate with the server exactly
// as the SCF runtime's own do.
func start(t *testing.T, srv *scfrpc.Server) (*runtimetest.SCFRuntime, func() error) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	rt, err := runtimetest.DialSCF(lis.Addr().String())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		rt.Close()
		stop()
	})
	return rt, stop
}

func TestPingAndInvoke(t *testing.T) {
	env := &fakeEnv{vars: map[string]string{"FACEGATE_STORE": "cos", "TENCENTCLOUD_SECRETID": "old-id"}}
	deadline := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	var seen scfrpc.Invocation
	var seenDeadline time.Time
	srv := &scfrpc.Server{
		LookupEnv: env.lookup,
		Setenv:    env.setenv,
		Handler: func(ctx context.Context, payload []byte) ([]byte, error) {
			seen, _ = scfrpc.FromContext(ctx)
			seenDeadline, _ = ctx.Deadline()
			return append([]byte("echo:"), payload...), nil
		},
	}
	rt, _ := start(t, srv)

	if err := rt.Ping(); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	req := runtimetest.InvokeRequest{
		Payload:            []byte(`{"k":1}`),
		RequestId:          "req-1",
		TraceId:            "trace-1",
		Deadline:           runtimetest.TimestampOf(deadline),
		FunctionName:       "facegate-start",
		FunctionVersion:    "$LATEST",
		Namespace:          "default",
		MemoryLimitInMb:    128,
		TimeLimitInMs:      3000,
		TencentcloudRegion: "ap-singapore",
		Environment:        `{"FACEGATE_STORE":"local","NEW_VAR":"x","NUM":42,"OBJ":{"a":1},"TENCENTCLOUD_SECRETID":"new-id","TENCENTCLOUD_SESSIONTOKEN":"tok"}`,
	}
	resp, err := rt.Invoke(t.Context(), req)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if resp.Error != nil {
		t.Fatalf("Invoke error: %+v", resp.Error)
	}
	if got := string(resp.Payload); got != `echo:{"k":1}` {
		t.Errorf("payload = %q", got)
	}
	want := scfrpc.Invocation{
		RequestID: "req-1", TraceID: "trace-1", FunctionName: "facegate-start", FunctionVersion: "$LATEST",
		Namespace: "default", Region: "ap-singapore", MemoryLimitInMB: 128, Deadline: deadline,
	}
	if !seen.Deadline.Equal(want.Deadline) {
		t.Errorf("Invocation.Deadline = %v, want %v", seen.Deadline, want.Deadline)
	}
	seen.Deadline = want.Deadline
	if seen != want {
		t.Errorf("Invocation = %+v, want %+v", seen, want)
	}
	if !seenDeadline.Equal(deadline) {
		t.Errorf("ctx deadline = %v, want %v", seenDeadline, deadline)
	}

	// Environment: configuration already present is kept; new variables are added;
	// the rotating role keys always take the newest value; non-scalars are skipped.
	for k, want := range map[string]string{
		"FACEGATE_STORE":            "cos",
		"NEW_VAR":                   "x",
		"NUM":                       "42",
		"TENCENTCLOUD_SECRETID":     "new-id",
		"TENCENTCLOUD_SESSIONTOKEN": "tok",
	} {
		if got := env.get(k); got != want {
			t.Errorf("env %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := env.lookup("OBJ"); ok {
		t.Error("an object value became an environment variable")
	}
}

func TestTimeLimitWithoutDeadline(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var got time.Time
	srv := &scfrpc.Server{
		Now: func() time.Time { return now },
		Handler: func(ctx context.Context, _ []byte) ([]byte, error) {
			got, _ = ctx.Deadline()
			return nil, nil
		},
	}
	rt, _ := start(t, srv)
	if _, err := rt.Invoke(t.Context(), runtimetest.InvokeRequest{TimeLimitInMs: 1500}); err != nil {
		t.Fatal(err)
	}
	if want := now.Add(1500 * time.Millisecond); !got.Equal(want) {
		t.Errorf("deadline = %v, want %v", got, want)
	}
}

func TestPanicBecomesErrorAndServerKeepsServing(t *testing.T) {
	secret := "AKIDsecretvalue"
	calls := 0
	srv := &scfrpc.Server{Handler: func(ctx context.Context, payload []byte) ([]byte, error) {
		calls++
		if string(payload) == "boom" {
			panic(errors.New("leaking " + secret))
		}
		return []byte("ok"), nil
	}}
	rt, _ := start(t, srv)

	resp, err := rt.Invoke(t.Context(), runtimetest.InvokeRequest{Payload: []byte("boom")})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if resp.Error == nil {
		t.Fatal("panic produced no error")
	}
	if resp.Error.Type != scfrpc.ErrorTypePanic || resp.Error.ShouldExit || resp.Payload != nil {
		t.Errorf("error = %+v, payload %q", resp.Error, resp.Payload)
	}
	if strings.Contains(resp.Error.Message, secret) {
		t.Errorf("panic message leaks the panic value: %q", resp.Error.Message)
	}
	if len(resp.Error.StackTrace) == 0 || !strings.Contains(resp.Error.StackTrace[0].Label, "scfrpc_test") {
		t.Errorf("stack trace does not start at the handler: %+v", resp.Error.StackTrace)
	}

	resp, err = rt.Invoke(t.Context(), runtimetest.InvokeRequest{Payload: []byte("fine")})
	if err != nil {
		t.Fatalf("Invoke after panic: %v", err)
	}
	if resp.Error != nil || string(resp.Payload) != "ok" || calls != 2 {
		t.Errorf("after panic: %+v %q calls=%d", resp.Error, resp.Payload, calls)
	}
}

func TestHandlerErrorAndBadEnvironment(t *testing.T) {
	srv := &scfrpc.Server{
		LookupEnv: (&fakeEnv{vars: map[string]string{}}).lookup,
		Setenv:    func(string, string) error { return nil },
		Handler: func(ctx context.Context, payload []byte) ([]byte, error) {
			return nil, errors.New("not an HTTP event")
		},
	}
	rt, _ := start(t, srv)

	resp, err := rt.Invoke(t.Context(), runtimetest.InvokeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Error == nil || resp.Error.Type != scfrpc.ErrorTypeHandler || resp.Error.Message != "not an HTTP event" {
		t.Errorf("handler error = %+v", resp.Error)
	}

	resp, err = rt.Invoke(t.Context(), runtimetest.InvokeRequest{Environment: `["not","an","object"]`})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Error == nil || resp.Error.Type != scfrpc.ErrorTypeEnvironment {
		t.Errorf("bad environment = %+v", resp.Error)
	}
}

func TestServeStopsOnCancelAfterRunningInvocation(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	// The invocation outlives the server's context: shutdown must not cancel it.
	srv := &scfrpc.Server{Handler: func(ctx context.Context, payload []byte) ([]byte, error) {
		close(entered)
		<-release
		if ctx.Err() != nil {
			return []byte("cancelled"), nil
		}
		return []byte("finished"), nil
	}}
	rt, stop := start(t, srv)

	type answer struct {
		resp runtimetest.InvokeResponse
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := rt.Invoke(context.Background(), runtimetest.InvokeRequest{})
		answered <- answer{resp, err}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	close(release)
	a := <-answered
	if a.err != nil {
		t.Fatalf("running invocation failed during shutdown: %v", a.err)
	}
	if got := string(a.resp.Payload); got != "finished" {
		t.Errorf("running invocation saw %q", got)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve returned %v after cancel", err)
	}
}

func TestServeRequiresHandler(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	if err := (&scfrpc.Server{}).Serve(context.Background(), lis); err == nil {
		t.Error("Serve without a handler succeeded")
	}
}

func BenchmarkInvoke(b *testing.B) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := &scfrpc.Server{Handler: func(ctx context.Context, p []byte) ([]byte, error) { return p, nil }}
	go srv.Serve(ctx, lis)
	rt, err := runtimetest.DialSCF(lis.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	req := runtimetest.InvokeRequest{Payload: []byte(`{"httpMethod":"GET","path":"/result"}`), RequestId: "r"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.Invoke(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// ctxRecorder keeps, for each record, the request id its context carries and its
// attributes.
type ctxRecorder struct {
	mu      sync.Mutex
	records []string
}

func (h *ctxRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *ctxRecorder) Handle(ctx context.Context, r slog.Record) error {
	inv, _ := scfrpc.FromContext(ctx)
	line := r.Message + " [ctx " + inv.RequestID + "]"
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	h.mu.Lock()
	h.records = append(h.records, line)
	h.mu.Unlock()
	return nil
}

func (h *ctxRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *ctxRecorder) WithGroup(string) slog.Handler      { return h }

// TestInvocationRecordsCarryTheRequestIDInTheirContext: a log handler finds the
// request id in the record's context (as platform.LogHandler does), so the record
// itself does not repeat it, and the panic value stays out.
func TestInvocationRecordsCarryTheRequestIDInTheirContext(t *testing.T) {
	rec := &ctxRecorder{}
	srv := &scfrpc.Server{
		Logger:  slog.New(rec),
		Handler: func(context.Context, []byte) ([]byte, error) { panic("secret-in-panic") },
	}
	rt, _ := start(t, srv)
	if _, err := rt.Invoke(t.Context(), runtimetest.InvokeRequest{RequestId: "req-log-1"}); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	found := false
	for _, line := range rec.records {
		if strings.Contains(line, "secret-in-panic") || strings.Contains(line, "request_id=") {
			t.Errorf("record %q repeats the request id or leaks the panic value", line)
		}
		found = found || strings.HasPrefix(line, "scf invoke: handler panicked [ctx req-log-1] ")
	}
	if !found {
		t.Errorf("no panic record with the invocation in its context: %q", rec.records)
	}
}
