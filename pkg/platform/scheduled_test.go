package platform_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
)

// Scheduled events, played against the probe (testdata/fn) with a Scheduled function
// whose behaviour FACEGATE_PROBE_SCHEDULED chooses: which events reach it on each
// runtime, what the platform is answered, how failures and panics end, and that the
// answer beats the invocation's deadline. The real sweep function runs in
// sweep_test.go.

// scheduledEvents are the recorded events that must run Scheduled on Lambda: an
// EventBridge Scheduler schedule without Input ({}), one with Input, and an EventBridge
// rule's CloudWatch scheduled event; and a schedule whose Input is not an object.
var scheduledEvents = map[string]string{
	"scheduler without input": "lambda-scheduler-default.json",
	"scheduler with input":    "lambda-scheduler-input.json",
	"eventbridge rule":        "lambda-eventbridge-rule.json",
}

// probeDeadline finds the deadline the probe's Scheduled function saw for the
// invocation with request id id, from its log line.
func probeDeadline(t *testing.T, p *runtimetest.Process, id string) time.Time {
	t.Helper()
	var ms float64
	if !waitLog(p, func(r map[string]any) bool {
		if r["msg"] != "probe scheduled" || r["request_id"] != id {
			return false
		}
		ms, _ = r["deadline_ms"].(float64)
		return true
	}) {
		t.Fatalf("Scheduled did not run for %s:\n%s", id, p.Output())
	}
	return time.UnixMilli(int64(ms))
}

// wantReserve checks that Scheduled's deadline came before the invocation's by the
// adapter's reserve: a tenth of the time, at most a second.
func wantReserve(t *testing.T, got, invocation time.Time, limit time.Duration) {
	t.Helper()
	reserve := min(limit/10, time.Second)
	if d := invocation.Sub(got); d < reserve-50*time.Millisecond || d > reserve+250*time.Millisecond {
		t.Errorf("Scheduled's deadline is %v before the invocation's, want about %v", d, reserve)
	}
}

func TestLambdaScheduledEvents(t *testing.T) {
	start := func(t *testing.T, mode string) (*runtimetest.RuntimeAPI, *runtimetest.Process) {
		api := runtimetest.NewRuntimeAPI(t)
		p := runtimetest.Start(t, []string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), "FACEGATE_PROBE_SCHEDULED=" + mode}, binaries["lambda/probe"])
		return api, p
	}
	api, p := start(t, "ok")

	for name, file := range scheduledEvents {
		t.Run(name, func(t *testing.T) {
			res := runtimetest.InvokeLambda(t, api, p, readTestdata(t, file))
			if res.Kind != runtimetest.KindResponse || string(res.Body) != `{"ok":true}` {
				t.Fatalf("posted %s: %s", res.Kind, res.Body)
			}
			wantReserve(t, probeDeadline(t, p, res.RequestID), res.Deadline, runtimetest.DefaultLambdaTimeout)
			if !waitLog(p, func(r map[string]any) bool {
				return r["msg"] == "scheduled run finished" && r["request_id"] == res.RequestID && r["function"] == "probe"
			}) {
				t.Errorf("no log line for the run with request_id %s:\n%s", res.RequestID, p.Output())
			}
		})
	}

	t.Run("input that is not an object", func(t *testing.T) {
		for _, input := range []string{`"sweep"`, `[1,2]`, `null`, `{"version":0}`} {
			if res := runtimetest.InvokeLambda(t, api, p, []byte(input)); res.Kind != runtimetest.KindResponse {
				t.Errorf("%s: posted %s: %s", input, res.Kind, res.Body)
			}
		}
	})

	t.Run("HTTP events still reach the handler", func(t *testing.T) {
		for _, file := range []string{"lambda-rest-v1-start.json", "lambda-httpapi-v2-start.json", "lambda-furl-start.json"} {
			res := runtimetest.InvokeLambda(t, api, p, readTestdata(t, file))
			if res.Kind != runtimetest.KindResponse || field[int](t, fields(t, res.Body), "statusCode") != http.StatusFound {
				t.Errorf("%s: posted %s: %s", file, res.Kind, res.Body)
			}
		}
	})

	t.Run("an event that is not JSON is refused", func(t *testing.T) {
		res := runtimetest.InvokeLambda(t, api, p, []byte(`not json`))
		if res.Kind != runtimetest.KindError || !strings.Contains(string(res.Body), "not an HTTP request") {
			t.Errorf("posted %s: %s", res.Kind, res.Body)
		}
	})

	t.Run("a short deadline is met", func(t *testing.T) {
		api, p := start(t, "wait")
		const limit = 2 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		res, err := api.Invoke(ctx, p, readTestdata(t, "lambda-scheduler-default.json"))
		if err != nil {
			t.Fatalf("no answer before the deadline: %v\n%s", err, p.Output())
		}
		if res.Kind != runtimetest.KindResponse {
			t.Errorf("posted %s: %s", res.Kind, res.Body)
		}
		wantReserve(t, probeDeadline(t, p, res.RequestID), res.Deadline, limit)
	})

	t.Run("a failed run is a failed invocation", func(t *testing.T) {
		api, p := start(t, "fail")
		res := runtimetest.InvokeLambda(t, api, p, readTestdata(t, "lambda-eventbridge-rule.json"))
		var e struct{ ErrorMessage, ErrorType string }
		if res.Kind != runtimetest.KindError || json.Unmarshal(res.Body, &e) != nil ||
			!strings.Contains(e.ErrorMessage, "probe: the scheduled work failed") {
			t.Errorf("posted %s: %s", res.Kind, res.Body)
		}
		if !waitLog(p, func(r map[string]any) bool {
			return r["msg"] == "scheduled run failed" && r["request_id"] == res.RequestID && r["level"] == "ERROR"
		}) {
			t.Errorf("the failure was not logged with request_id %s:\n%s", res.RequestID, p.Output())
		}
	})

	t.Run("a panic fails the invocation, not the process", func(t *testing.T) {
		api, p := start(t, "panic")
		res := runtimetest.InvokeLambda(t, api, p, readTestdata(t, "lambda-scheduler-default.json"))
		if res.Kind != runtimetest.KindError || !strings.Contains(string(res.Body), "panicked") {
			t.Errorf("posted %s: %s", res.Kind, res.Body)
		}
		if res := runtimetest.InvokeLambda(t, api, p, readTestdata(t, "lambda-rest-v1-start.json")); res.Kind != runtimetest.KindResponse {
			t.Errorf("after the panic: posted %s: %s", res.Kind, res.Body)
		}
		if strings.Contains(p.Output(), "AKIDprobe") {
			t.Error("the panic value reached the logs")
		}
	})
}

func TestSCFTimerEvents(t *testing.T) {
	start := func(t *testing.T, mode string) (*runtimetest.SCFRuntime, *runtimetest.Process) {
		port := runtimetest.Port(t)
		p := runtimetest.Start(t, []string{"_LAMBDA_SERVER_PORT=" + port, "TENCENTCLOUD_RUNENV=SCF", "FACEGATE_PROBE_SCHEDULED=" + mode}, binaries["scf/probe"])
		return runtimetest.ConnectSCF(t, p, port), p
	}
	// invoke sends payload with a time limit and returns what was sent and answered.
	invoke := func(t *testing.T, rt *runtimetest.SCFRuntime, payload []byte, limit time.Duration) (runtimetest.InvokeRequest, runtimetest.InvokeResponse) {
		t.Helper()
		req := rt.NewRequest(payload, limit)
		resp, err := rt.Invoke(ctxTimeout(t), req)
		if err != nil {
			t.Fatal(err)
		}
		return req, resp
	}
	rt, p := start(t, "ok")

	t.Run("timer event", func(t *testing.T) {
		const limit = 20 * time.Second
		req, resp := invoke(t, rt, readTestdata(t, "scf-timer.json"), limit)
		if resp.Error != nil || string(resp.Payload) != `{"ok":true}` {
			t.Fatalf("resp = %+v (payload %s)", resp.Error, resp.Payload)
		}
		wantReserve(t, probeDeadline(t, p, req.RequestId), req.Deadline.Time(), limit)
		if !waitLog(p, func(r map[string]any) bool {
			return r["msg"] == "scheduled run finished" && r["request_id"] == req.RequestId && r["trigger"] == "timer"
		}) {
			t.Errorf("no log line for the run with request_id %s:\n%s", req.RequestId, p.Output())
		}
	})

	t.Run("HTTP events still reach the handler", func(t *testing.T) {
		for _, file := range []string{"scf-apigw-start.json", "scf-url-start.json"} {
			_, resp := invoke(t, rt, readTestdata(t, file), 20*time.Second)
			if resp.Error != nil || field[int](t, fields(t, resp.Payload), "statusCode") != http.StatusFound {
				t.Errorf("%s: resp = %+v (payload %s)", file, resp.Error, resp.Payload)
			}
		}
	})

	t.Run("other events are refused", func(t *testing.T) {
		for _, event := range []string{`{}`, `{"Type":"Cos","Records":[]}`, `"timer"`, `not json`} {
			_, resp := invoke(t, rt, []byte(event), 20*time.Second)
			if resp.Error == nil || resp.Error.Type != "HandlerError" || !strings.Contains(resp.Error.Message, "not an HTTP request") {
				t.Errorf("%s: resp = %+v", event, resp)
			}
		}
	})

	t.Run("a short deadline is met", func(t *testing.T) {
		rt, p := start(t, "wait")
		const limit = 2 * time.Second
		req, resp := invoke(t, rt, readTestdata(t, "scf-timer.json"), limit)
		if time.Now().After(req.Deadline.Time()) {
			t.Errorf("answered %v after the deadline", time.Since(req.Deadline.Time()))
		}
		if resp.Error != nil {
			t.Errorf("resp = %+v", resp.Error)
		}
		wantReserve(t, probeDeadline(t, p, req.RequestId), req.Deadline.Time(), limit)
	})

	t.Run("a failed run is a failed invocation", func(t *testing.T) {
		rt, _ := start(t, "fail")
		_, resp := invoke(t, rt, readTestdata(t, "scf-timer.json"), 20*time.Second)
		if resp.Error == nil || resp.Error.Type != "HandlerError" || !strings.Contains(resp.Error.Message, "probe: the scheduled work failed") || resp.Payload != nil {
			t.Errorf("resp = %+v", resp)
		}
	})

	t.Run("a panic fails the invocation, not the process", func(t *testing.T) {
		rt, p := start(t, "panic")
		_, resp := invoke(t, rt, readTestdata(t, "scf-timer.json"), 20*time.Second)
		if resp.Error == nil || !strings.Contains(resp.Error.Message, "panicked") {
			t.Errorf("resp = %+v", resp)
		}
		if _, resp := invoke(t, rt, readTestdata(t, "scf-apigw-start.json"), 20*time.Second); resp.Error != nil {
			t.Errorf("after the panic: %+v", resp.Error)
		}
		if strings.Contains(p.Output(), "AKIDprobe") {
			t.Error("the panic value reached the logs")
		}
	})
}

// TestSCFWebRefusesScheduledFunctions: SCF web functions receive HTTP requests only, so a
// function that runs on timer events must not start as one (it would never run).
func TestSCFWebRefusesScheduledFunctions(t *testing.T) {
	addr := "127.0.0.1:" + runtimetest.Port(t)
	p := runtimetest.Start(t, []string{"FACEGATE_SCF_WEB_ADDR=" + addr, "TENCENTCLOUD_RUNENV=SCF", "FACEGATE_PROBE_SCHEDULED=ok"}, binaries["scf/probe"])
	p.MayFail = true
	if err := p.Wait(); err == nil || !strings.Contains(p.Output(), "deploy it as an event function") {
		t.Errorf("exit %v, output %s", err, p.Output())
	}
}
