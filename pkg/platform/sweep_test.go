package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/sandbox/sandboxtest"
	"github.com/facegate/facegate/pkg/storage"
	"github.com/facegate/facegate/pkg/webhook"
)

// The real sweep function (functions/sweep) on its platforms' scheduled events: each run
// must finish a verification whose user never came back (Tencent's answer stored in the
// session store, the merchant's webhook delivered), answer the platform before the
// invocation's deadline, and log the run with the platform's request id.

// sweepWebhookSecret signs the events the sweep function delivers in these tests.
const sweepWebhookSecret = "platform-test-webhook-secret-0123456789abcdef"

// webhookSink is the merchant's webhook endpoint: it verifies and keeps every event.
type webhookSink struct {
	url    string
	mu     sync.Mutex
	events []webhook.Event
}

func newWebhookSink(t *testing.T) *webhookSink {
	t.Helper()
	s := &webhookSink{}
	srv := httptest.NewServer(webhook.Handler([]string{sweepWebhookSecret}, func(_ context.Context, e webhook.Event) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.events = append(s.events, e)
		return nil
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// has reports whether the event of session's verification arrived, with status.
func (s *webhookSink) has(session, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.events, func(e webhook.Event) bool {
		return e.Data.Session == session && e.Data.Status == status
	})
}

// sweepEnv is functionEnv with webhooks to url.
func sweepEnv(sb *sandboxtest.Server, store []string, url string) []string {
	return append(functionEnv(sb, store),
		"FACEGATE_WEBHOOK_URL="+url,
		"FACEGATE_WEBHOOK_SECRETS="+sweepWebhookSecret)
}

// startedAgo starts a verification through the core with env's configuration, as the
// start function would have done ago in the past, and has the user pass it on Tencent's
// page without coming back: the session is due for the sweeper's first check (2 minutes
// after the start) and Tencent has a result for it. It returns the session id.
func startedAgo(t *testing.T, sb *sandboxtest.Server, env []string, store storage.Store, ago time.Duration) string {
	t.Helper()
	vars := map[string]string{}
	for _, kv := range append(env, longTermKeys...) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	cfg, err := app.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	client, err := faceid.New(cfg.FaceID)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := core.New(cfg.Core, core.Deps{FaceID: client, Store: store, Now: func() time.Time { return time.Now().Add(-ago) }})
	if err != nil {
		t.Fatal(err)
	}
	h, err := svc.Handler("start")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "https://"+flowHost+"/start", strings.NewReader(`{"returnTo":"`+flowReturnTo+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+flowMerchantKey)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var out struct{ Token, Session string }
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &out) != nil || out.Session == "" {
		t.Fatalf("start: %d %s", w.Code, w.Body)
	}
	if err := sb.SetOutcome(out.Token, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
		t.Fatal(err)
	}
	return out.Session
}

// storedStatus is the status of session's result in store, "" without one.
func storedStatus(t *testing.T, store storage.Store, session string) string {
	t.Helper()
	b, err := store.Get(t.Context(), "results/"+session+".json")
	if errors.Is(err, storage.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Status string }
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("stored result: %v", err)
	}
	return r.Status
}

func TestSweepFunctionOnScheduledEvents(t *testing.T) {
	needFunctions(t)
	sb := sandboxtest.New(t, sandbox.Options{})
	sink := newWebhookSink(t)
	s3, cos := s3Store(t), cosStore(t)
	lambdaEnv, scfEnv := sweepEnv(sb, s3.env, sink.url), sweepEnv(sb, cos.env, sink.url)

	// finished checks what one run must have done for session.
	finished := func(t *testing.T, p *runtimetest.Process, store storage.Store, session, requestID string) {
		t.Helper()
		if got := storedStatus(t, store, session); got != "passed" {
			t.Errorf("stored result status %q, want passed\n%s", got, p.Output())
		}
		if !sink.has(session, "passed") {
			t.Errorf("no webhook event for the session\n%s", p.Output())
		}
		if requestID != "" && !waitLog(p, func(r map[string]any) bool {
			return r["msg"] == "scheduled run finished" && r["request_id"] == requestID && r["function"] == "sweep"
		}) {
			t.Errorf("no log line for the run with request_id %s:\n%s", requestID, p.Output())
		}
	}

	t.Run("lambda", func(t *testing.T) {
		api := runtimetest.NewRuntimeAPI(t)
		p := runtimetest.Start(t, append([]string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), "AWS_LAMBDA_FUNCTION_NAME=facegate-sweep"}, append(lambdaEnv, longTermKeys...)...), binaries["lambda/sweep"])
		for name, file := range scheduledEvents {
			t.Run(name, func(t *testing.T) {
				session := startedAgo(t, sb, lambdaEnv, s3.store, 3*time.Minute)
				res := runtimetest.InvokeLambda(t, api, p, readTestdata(t, file))
				if res.Kind != runtimetest.KindResponse || string(res.Body) != `{"ok":true}` {
					t.Fatalf("posted %s: %s\n%s", res.Kind, res.Body, p.Output())
				}
				finished(t, p, s3.store, session, res.RequestID)
			})
		}
		t.Run("an HTTP event gets 404", func(t *testing.T) {
			res := runtimetest.InvokeLambda(t, api, p, readTestdata(t, "lambda-httpapi-v2-start.json"))
			if res.Kind != runtimetest.KindResponse || field[int](t, fields(t, res.Body), "statusCode") != http.StatusNotFound {
				t.Errorf("posted %s: %s", res.Kind, res.Body)
			}
		})
	})

	t.Run("scf event function", func(t *testing.T) {
		port := runtimetest.Port(t)
		p := runtimetest.Start(t, append([]string{"_LAMBDA_SERVER_PORT=" + port, "TENCENTCLOUD_RUNENV=SCF", "SCF_FUNCTIONNAME=facegate-sweep"}, append(scfEnv, roleKeys...)...), binaries["scf/sweep"])
		rt := runtimetest.ConnectSCF(t, p, port)
		session := startedAgo(t, sb, scfEnv, cos.store, 3*time.Minute)
		req, resp := runtimetest.InvokeSCF(t, rt, readTestdata(t, "scf-timer.json"), "")
		if resp.Error != nil || string(resp.Payload) != `{"ok":true}` {
			t.Fatalf("resp = %+v (payload %s)\n%s", resp.Error, resp.Payload, p.Output())
		}
		finished(t, p, cos.store, session, req.RequestId)
	})

	// AWS's own Runtime Interface Emulator, with the event an EventBridge Scheduler
	// schedule without Input delivers.
	t.Run("lambda under the RIE", func(t *testing.T) {
		if rieBuildError != nil {
			t.Fatalf("AWS's Runtime Interface Emulator (%s, a tool in go.mod) does not build: %v", runtimetest.RIEPackage, rieBuildError)
		}
		rie := runtimetest.NewRIE(t, rieBinary, binaries["lambda/sweep"], append([]string{"AWS_LAMBDA_FUNCTION_NAME=facegate-sweep"}, append(lambdaEnv, longTermKeys...)...))
		session := startedAgo(t, sb, lambdaEnv, s3.store, 3*time.Minute)
		res := runtimetest.InvokeRIE(t, rie, readTestdata(t, "lambda-scheduler-default.json"))
		if res.Kind != runtimetest.KindResponse || string(res.Body) != `{"ok":true}` {
			t.Fatalf("answered %s: %s\n%s", res.Kind, res.Body, rie.Output())
		}
		finished(t, rie.Process, s3.store, session, "")
		if !logsText(rie.Process, "scheduled run finished") {
			t.Errorf("the run was not logged:\n%s", rie.Output())
		}
	})

	if strings.Contains(sink.String(), sandbox.TestSecretKey) {
		t.Error("a secret reached a webhook")
	}
}

// String is every event the sink holds, for searching.
func (s *webhookSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.events)
	return string(b)
}

// TestSweepFunctionMeetsAShortDeadline: a merchant endpoint that never answers holds the
// sweeper's delivery until its context ends; the invocation must still be answered
// before its deadline (a platform that sees the deadline pass counts a timeout and
// recycles the instance), and the verification it finished stays stored.
func TestSweepFunctionMeetsAShortDeadline(t *testing.T) {
	needFunctions(t)
	sb := sandboxtest.New(t, sandbox.Options{})
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices the client hanging up only once the body has been read.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(hung.Close)
	s3, cos := s3Store(t), cosStore(t)
	lambdaEnv, scfEnv := sweepEnv(sb, s3.env, hung.URL), sweepEnv(sb, cos.env, hung.URL)
	const limit = 3 * time.Second

	t.Run("lambda", func(t *testing.T) {
		api := runtimetest.NewRuntimeAPI(t)
		p := runtimetest.Start(t, append([]string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr()}, append(lambdaEnv, longTermKeys...)...), binaries["lambda/sweep"])
		session := startedAgo(t, sb, lambdaEnv, s3.store, 3*time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		res, err := api.Invoke(ctx, p, readTestdata(t, "lambda-eventbridge-rule.json"))
		if err != nil {
			t.Fatalf("no answer within the %v deadline: %v\n%s", limit, err, p.Output())
		}
		if res.Kind != runtimetest.KindResponse {
			t.Errorf("posted %s: %s", res.Kind, res.Body)
		}
		if got := storedStatus(t, s3.store, session); got != "passed" {
			t.Errorf("stored result status %q, want passed", got)
		}
	})

	t.Run("scf event function", func(t *testing.T) {
		port := runtimetest.Port(t)
		p := runtimetest.Start(t, append([]string{"_LAMBDA_SERVER_PORT=" + port, "TENCENTCLOUD_RUNENV=SCF"}, append(scfEnv, roleKeys...)...), binaries["scf/sweep"])
		rt := runtimetest.ConnectSCF(t, p, port)
		session := startedAgo(t, sb, scfEnv, cos.store, 3*time.Minute)
		req := rt.NewRequest(readTestdata(t, "scf-timer.json"), limit)
		resp, err := rt.Invoke(ctxTimeout(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if late := time.Since(req.Deadline.Time()); late > 0 {
			t.Errorf("answered %v after the deadline\n%s", late, p.Output())
		}
		if resp.Error != nil {
			t.Errorf("resp = %+v", resp.Error)
		}
		if got := storedStatus(t, cos.store, session); got != "passed" {
			t.Errorf("stored result status %q, want passed", got)
		}
	})
}

// TestHTTPFunctionsRefuseScheduledEvents: a schedule pointed at start (or any function
// that only serves HTTP) is refused as before the sweeper existed, so a mistake in a
// template shows up as failed invocations instead of billed or silent work.
func TestHTTPFunctionsRefuseScheduledEvents(t *testing.T) {
	needFunctions(t)
	sb := sandboxtest.New(t, sandbox.Options{})

	api := runtimetest.NewRuntimeAPI(t)
	lambda := runtimetest.Start(t, append([]string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr()}, append(functionEnv(sb, s3Store(t).env), longTermKeys...)...), binaries["lambda/start"])
	for _, file := range []string{"lambda-scheduler-default.json", "lambda-scheduler-input.json", "lambda-eventbridge-rule.json"} {
		res := runtimetest.InvokeLambda(t, api, lambda, readTestdata(t, file))
		if res.Kind != runtimetest.KindError || !bytes.Contains(res.Body, []byte("not an HTTP request")) {
			t.Errorf("lambda start, %s: posted %s: %s", file, res.Kind, res.Body)
		}
	}

	port := runtimetest.Port(t)
	scf := runtimetest.Start(t, append([]string{"_LAMBDA_SERVER_PORT=" + port, "TENCENTCLOUD_RUNENV=SCF"}, append(functionEnv(sb, cosStore(t).env), roleKeys...)...), binaries["scf/start"])
	rt := runtimetest.ConnectSCF(t, scf, port)
	if _, resp := runtimetest.InvokeSCF(t, rt, readTestdata(t, "scf-timer.json"), ""); resp.Error == nil || resp.Error.Type != "HandlerError" {
		t.Errorf("scf start, timer event: %+v", resp)
	}
	if strings.Contains(lambda.Output()+scf.Output(), "scheduled run") {
		t.Error("start ran a scheduled event")
	}
}
