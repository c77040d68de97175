package runtimetest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/scfrpc"
)

// Scheduled events, as the platforms send them: the stand-ins must carry them (and any
// other payload) byte for byte, not only HTTP events.
var (
	scfTimer        = []byte(`{"Type":"Timer","TriggerName":"sweep","Time":"2019-08-17T05:26:00Z","Message":""}`)
	cloudWatchEvent = []byte(`{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events",` +
		`"account":"123456789012","time":"2019-10-08T16:53:06Z","region":"ap-southeast-1",` +
		`"resources":["arn:aws:events:ap-southeast-1:123456789012:rule/sweep"],"detail":{}}`)
)

// lambdaClient is the function's side of the Runtime API, as aws-lambda-go speaks it. It
// runs on goroutines of its own, so it reports failures with Error, never Fatal.
type lambdaClient struct {
	t    *testing.T
	base string
}

func (c lambdaClient) next() (id string, deadlineMs int64, event []byte) {
	c.t.Helper()
	resp, err := http.Get(c.base + "/2018-06-01/runtime/invocation/next")
	if err != nil {
		c.t.Error(err)
		return "", 0, nil
	}
	defer resp.Body.Close()
	event, _ = io.ReadAll(resp.Body)
	deadlineMs, err = strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if err != nil {
		c.t.Errorf("Lambda-Runtime-Deadline-Ms: %v", err)
	}
	return resp.Header.Get("Lambda-Runtime-Aws-Request-Id"), deadlineMs, event
}

func (c lambdaClient) post(path, errorType, body string) int {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/2018-06-01/runtime/"+path, strings.NewReader(body))
	if errorType != "" {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRuntimeAPIDeliversAnyPayloadAndCollectsAnswers(t *testing.T) {
	api := runtimetest.NewRuntimeAPI(t)
	fn := lambdaClient{t: t, base: "http://" + api.Addr()}

	type function struct {
		id         string
		deadlineMs int64
		event      []byte
	}
	seen := make(chan function, 1)
	go func() {
		id, deadlineMs, event := fn.next()
		fn.post("invocation/"+id+"/response", "", `{"swept":3}`)
		if got := fn.post("invocation/"+id+"/response", "", `{}`); got != http.StatusBadRequest {
			t.Errorf("a second answer to one request: status %d, want 400", got)
		}
		seen <- function{id, deadlineMs, event}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
	defer cancel()
	res, err := api.Invoke(ctx, nil, scfTimer)
	if err != nil {
		t.Fatal(err)
	}
	got := <-seen
	if string(got.event) != string(scfTimer) {
		t.Errorf("event = %s, want %s", got.event, scfTimer)
	}
	want, _ := ctx.Deadline()
	if got.deadlineMs != want.UnixMilli() || !res.Deadline.Equal(time.UnixMilli(want.UnixMilli())) {
		t.Errorf("deadline handed out %d, reported %v; want %d", got.deadlineMs, res.Deadline, want.UnixMilli())
	}
	if res.Kind != runtimetest.KindResponse || string(res.Body) != `{"swept":3}` || res.RequestID != got.id || got.id == "" {
		t.Errorf("result = %+v (request id %q)", res, got.id)
	}

	go func() {
		id, _, _ := fn.next()
		fn.post("invocation/"+id+"/error", "Runtime.Unknown", `{"errorMessage":"no","errorType":"Unknown"}`)
	}()
	res = runtimetest.InvokeLambda(t, api, nil, cloudWatchEvent)
	if res.Kind != runtimetest.KindError || res.ErrorType != "Runtime.Unknown" || !strings.Contains(string(res.Body), `"errorMessage":"no"`) {
		t.Errorf("error result = %+v", res)
	}
}

func TestRuntimeAPIReportsInitErrors(t *testing.T) {
	api, err := runtimetest.ListenRuntimeAPI()
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	fn := lambdaClient{t: t, base: "http://" + api.Addr()}
	if got := fn.post("init/error", "Runtime.ConfigError", `{"errorMessage":"FACEGATE_STORE is not set"}`); got != http.StatusAccepted {
		t.Errorf("init error: status %d", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := api.Invoke(ctx, nil, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "FACEGATE_STORE is not set") {
		t.Errorf("Invoke after an init error = %v", err)
	}
	if got := api.InitErrors(); len(got) != 1 {
		t.Errorf("InitErrors = %q", got)
	}
}

func TestSCFRuntimeCarriesEveryField(t *testing.T) {
	var seen scfrpc.Invocation
	var payload []byte
	srv := &scfrpc.Server{Handler: func(ctx context.Context, p []byte) ([]byte, error) {
		seen, _ = scfrpc.FromContext(ctx)
		payload = p
		return []byte(`{"done":true}`), nil
	}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx, lis)

	rt, err := runtimetest.DialSCF(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	rt.FunctionName = "facegate-sweep"
	req := rt.NewRequest(scfTimer, 3*time.Second)
	if again := rt.NewRequest(nil, time.Second); again.RequestId == req.RequestId {
		t.Errorf("two requests share the id %q", req.RequestId)
	}
	if req.TimeLimitInMs != 3000 || time.Until(req.Deadline.Time()) > 3*time.Second || req.Deadline.Nanos%int64(time.Millisecond) != 0 {
		t.Errorf("time limit %d ms, deadline %v", req.TimeLimitInMs, req.Deadline.Time())
	}
	resp, err := rt.Invoke(ctx, req)
	if err != nil || resp.Error != nil || string(resp.Payload) != `{"done":true}` {
		t.Fatalf("Invoke = %+v, %v", resp, err)
	}
	if string(payload) != string(scfTimer) || seen.RequestID != req.RequestId || seen.FunctionName != "facegate-sweep" ||
		!seen.Deadline.Equal(req.Deadline.Time()) || seen.Region != "ap-singapore" || seen.MemoryLimitInMB != 128 {
		t.Errorf("the function saw %+v, payload %s; sent %+v", seen, payload, req)
	}
}

func TestProcessEnvironmentOutputAndStop(t *testing.T) {
	// The child keeps the output pipe open and ignores nothing: Stop must reach it
	// through the process group rather than wait for it.
	p := runtimetest.Start(t, []string{"FACEGATE_X=1"}, "/bin/sh", "-c", `env; echo to-stderr >&2; sleep 60 & wait`)
	runtimetest.WaitFor(t, p, "output", func() error {
		if !strings.Contains(p.Output(), "to-stderr") {
			return errors.New("not yet")
		}
		return nil
	})
	out := p.Output()
	if !strings.Contains(out, "FACEGATE_X=1\n") || !strings.Contains(out, "PATH=") || strings.Contains(out, "HOME=") {
		t.Errorf("environment = %s, want FACEGATE_X and PATH only", out)
	}
	start := time.Now()
	p.MayFail = true // SIGTERM ends sh with a signal status
	if err := p.Stop(5 * time.Second); err == nil || time.Since(start) > 4*time.Second {
		t.Errorf("Stop = %v after %v", err, time.Since(start))
	}
}

func TestWaitUntilNoticesAnExit(t *testing.T) {
	p, err := runtimetest.StartProcess(nil, "/bin/sh", "-c", "exit 3")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = runtimetest.WaitUntil(ctx, p, time.Millisecond, func() error { return errors.New("never ready") })
	if !errors.Is(err, runtimetest.ErrExited) || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("WaitUntil = %v", err)
	}
}
