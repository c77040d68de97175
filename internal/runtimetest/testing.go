package runtimetest

import (
	"context"
	"errors"
	"time"
)

// T is the part of testing.TB the test forms use, so this package does not import
// testing into the programs (cmd/coldstart, cmd/emulate) that use its other half.
type T interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Bounds for the test forms: generous, because a loaded 2-core machine can take seconds
// to start a binary, yet finite, so a hung function fails its test instead of the run.
const (
	testReady   = 30 * time.Second // process start to ready
	testAnswer  = 30 * time.Second // one invocation
	testStop    = 20 * time.Second // SIGTERM to exit
	testPolling = 5 * time.Millisecond
	// testSCFLimit is the function timeout InvokeSCF announces, shorter than testAnswer
	// so a function that honours its deadline answers before the test gives up.
	testSCFLimit = 20 * time.Second
)

// Start is StartProcess for a test: the process is stopped when the test ends, and an
// unclean stop fails the test unless p.MayFail is set.
func Start(t T, env []string, name string, args ...string) *Process {
	t.Helper()
	p, err := StartProcess(env, name, args...)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := p.Stop(testStop); err != nil && !p.MayFail {
			t.Errorf("%s did not stop cleanly: %v\n%s", p.name, err, p.Output())
		}
	})
	return p
}

// Port is FreePort for a test.
func Port(t T) string {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	return port
}

// WaitFor is WaitUntil for a test: it fails the test, with p's output, when p exits
// before it is ready or does not get ready in time. what names the awaited state.
func WaitFor(t T, p *Process, what string, ready func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testReady)
	defer cancel()
	err := WaitUntil(ctx, p, testPolling, ready)
	switch {
	case errors.Is(err, ErrExited):
		t.Fatalf("%v before %s:\n%s", err, what, p.Output())
	case err != nil:
		t.Fatalf("%s: %v\n%s", what, err, p.Output())
	}
}

// NewRuntimeAPI is ListenRuntimeAPI for a test: the API closes when the test ends, and an
// init error the function reported fails the test. A test that expects an init error
// uses ListenRuntimeAPI and InitErrors instead.
func NewRuntimeAPI(t T) *RuntimeAPI {
	t.Helper()
	api, err := ListenRuntimeAPI()
	if err != nil {
		t.Fatalf("runtime api: %v", err)
	}
	t.Cleanup(func() {
		api.Close()
		for _, body := range api.InitErrors() {
			t.Errorf("function reported an init error: %s", body)
		}
	})
	return api
}

// InvokeLambda is RuntimeAPI.Invoke for a test, with a deadline of DefaultLambdaTimeout.
// A function that does not answer, or exits, fails the test with its output.
func InvokeLambda(t T, api *RuntimeAPI, p *Process, payload []byte) LambdaResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testAnswer)
	defer cancel()
	res, err := api.Invoke(ctx, p, payload)
	if err != nil {
		t.Fatalf("%v:\n%s", err, p.Output())
	}
	return res
}

// ConnectSCF connects to the event function p serves on loopback port the way SCF's
// runtime does, dialling and pinging until the process answers; the connection closes
// when the test ends.
func ConnectSCF(t T, p *Process, port string) *SCFRuntime {
	t.Helper()
	var rt *SCFRuntime
	WaitFor(t, p, "Function.Ping", func() error {
		var err error
		rt, err = DialSCF("127.0.0.1:" + port)
		return err
	})
	t.Cleanup(func() { rt.Close() })
	return rt
}

// InvokeSCF is SCFRuntime.Invoke for a test: it sends payload with env as the request's
// Environment ("" for none) and a 20 s time limit, and returns what it sent and what
// came back. A call that fails fails the test; a failed invocation is for the caller to
// check in the response's Error.
func InvokeSCF(t T, rt *SCFRuntime, payload []byte, env string) (InvokeRequest, InvokeResponse) {
	t.Helper()
	req := rt.NewRequest(payload, testSCFLimit)
	req.Environment = env
	ctx, cancel := context.WithTimeout(context.Background(), testAnswer)
	defer cancel()
	resp, err := rt.Invoke(ctx, req)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return req, resp
}

// NewRIE is StartRIE for a test: the emulator, and the function under it, stop when the
// test ends, and an unclean stop fails the test.
func NewRIE(t T, rie, bootstrap string, env []string) *RIE {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testReady)
	defer cancel()
	r, err := StartRIE(ctx, rie, bootstrap, env)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := r.Stop(testStop); err != nil {
			t.Errorf("the RIE did not stop cleanly: %v\n%s", err, r.Output())
		}
	})
	return r
}

// InvokeRIE is RIE.Invoke for a test: a failed exchange with the emulator fails the test,
// with what the emulator and the function logged.
func InvokeRIE(t T, r *RIE, payload []byte) LambdaResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testAnswer)
	defer cancel()
	res, err := r.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("%v\n%s", err, r.Output())
	}
	return res
}
