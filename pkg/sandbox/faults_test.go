package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRateLimitPerAction(t *testing.T) {
	e := newTestEnv(t, Options{RateLimit: DefaultRateLimit})
	body := `{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`
	for i := range DefaultRateLimit {
		if r := e.call(actionResultIntl, body); r.Code != codeBizTokenIllegal {
			t.Fatalf("request %d in the second: %q", i+1, r.Code)
		}
	}
	if r := e.call(actionResultIntl, body); r.Code != codeRequestLimitExceeded {
		t.Fatalf("request 21 in the same second: %q", r.Code)
	}
	// Other actions have their own bucket.
	if r := e.call(actionCreateURL, `{"TargetAction":"ApplyWebVerificationToken"}`); r.Code != "" {
		t.Fatalf("another action: %q", r.Code)
	}
	e.clock.Advance(100 * time.Millisecond) // refills two requests
	for i := range 2 {
		if r := e.call(actionResultIntl, body); r.Code != codeBizTokenIllegal {
			t.Fatalf("refilled request %d: %q", i+1, r.Code)
		}
	}
	if r := e.call(actionResultIntl, body); r.Code != codeRequestLimitExceeded {
		t.Fatalf("after the refill: %q", r.Code)
	}
	e.clock.Advance(time.Second)
	if r := e.call(actionResultIntl, body); r.Code != codeBizTokenIllegal {
		t.Fatalf("next second: %q", r.Code)
	}
}

func TestRateLimitDisabled(t *testing.T) {
	e := newTestEnv(t, Options{RateLimit: -1})
	for range 3 * DefaultRateLimit {
		if r := e.call(actionCreateURL, `{"TargetAction":"ApplyWebVerificationToken"}`); r.Code != "" {
			t.Fatalf("code %q with the limiter off", r.Code)
		}
	}
}

func TestInjectedErrors(t *testing.T) {
	e := newTestEnv(t, Options{Faults: Faults{InternalErrorRate: 1}})
	for range 5 {
		if r := e.call(actionApplyIntl, applyBody(nil)); r.Code != codeInternalError {
			t.Fatalf("InternalErrorRate 1: %q", r.Code)
		}
	}
	e.sb.SetFaults(Faults{ThrottleRate: 1})
	for range 5 {
		if r := e.call(actionApplyIntl, applyBody(nil)); r.Code != codeRequestLimitExceeded {
			t.Fatalf("ThrottleRate 1: %q", r.Code)
		}
	}
	e.sb.SetFaults(Faults{ThrottleRate: -3, InternalErrorRate: 0})
	mustOK(t, e.call(actionApplyIntl, applyBody(nil)))
}

// A rate draws per request: with a seeded source, some requests fail and some pass.
func TestInjectedErrorRate(t *testing.T) {
	e := newTestEnv(t, Options{Rand: &countingReader{}, Faults: Faults{InternalErrorRate: 0.5}})
	failed := 0
	for range 40 {
		if r := e.call(actionCreateURL, `{"TargetAction":"ApplyWebVerificationToken"}`); r.Code == codeInternalError {
			failed++
		}
	}
	if failed == 0 || failed == 40 {
		t.Fatalf("%d of 40 failed at rate 0.5", failed)
	}
}

// countingReader is a deterministic byte source counting in steps of 97 (wrapping), enough
// spread for fault draws.
type countingReader struct{ n byte }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		c.n += 97
		p[i] = c.n
	}
	return len(p), nil
}

func postSigned(ctx context.Context, url, action string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	signed := newAPIRequest(action, body, time.Now())
	req.Header = signed.Header
	req.Host = testHost
	return http.DefaultClient.Do(req)
}

func TestDropConnection(t *testing.T) {
	sb, api, _ := startServers(t, Options{Faults: Faults{DropRate: 1}})
	body := []byte(`{"TargetAction":"ApplyWebVerificationToken"}`)
	resp, err := postSigned(context.Background(), api.URL, actionCreateURL, body)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %s", resp.Status)
	}
	sb.SetFaults(Faults{})
	resp, err = postSigned(context.Background(), api.URL, actionCreateURL, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if r := parseEnvelope(t, resp.StatusCode, b); r.Code != "" {
		t.Fatalf("after clearing faults: %q", r.Code)
	}
}

// Latency holds the answer back; a client that gives up first sees its own deadline, and
// the handler stops waiting when the client leaves.
func TestLatency(t *testing.T) {
	sb, api, _ := startServers(t, Options{Faults: Faults{Latency: time.Hour}})
	body := []byte(`{"TargetAction":"ApplyWebVerificationToken"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := postSigned(ctx, api.URL, actionCreateURL, body)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the client's deadline", err)
	}
	sb.SetFaults(Faults{Latency: time.Millisecond})
	resp, err := postSigned(context.Background(), api.URL, actionCreateURL, body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := sb.currentFaults().LatencyMs; got != 1 {
		t.Fatalf("LatencyMs %d", got)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
}

// DropAfterRate runs the action and loses only the answer: the token exists, the control
// API lists it, and the result action reads it.
func TestDropAfterHandling(t *testing.T) {
	sb, api, _ := startServers(t, Options{Faults: Faults{DropAfterRate: 1}})
	body, err := json.Marshal(applyParams())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := postSigned(context.Background(), api.URL, actionApplyIntl, body)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("apply answered %s", resp.Status)
	}
	tokens := sb.RecentTokens()
	if len(tokens) != 1 || tokens[0].State != stateIssued {
		t.Fatalf("tokens after the lost answer: %+v", tokens)
	}
	sb.SetFaults(Faults{})
	resp, err = postSigned(context.Background(), api.URL, actionResultIntl, []byte(`{"BizToken":"`+tokens[0].BizToken+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := parseEnvelope(t, resp.StatusCode, b)
	var res intlResultView
	mustOK(t, r).decode(t, &res)
	if res.ErrorCode != nil || res.Extra == nil || *res.Extra != "order-42" {
		t.Fatalf("result of the token whose answer was lost: %s", r.Raw)
	}
}

// Injected throttling answers the code chosen, so clients can be tested against the one
// their SDK's retry does not cover.
func TestInjectedThrottleCode(t *testing.T) {
	e := newTestEnv(t, Options{})
	for code, want := range map[string]string{
		"":                             codeRequestLimitExceeded,
		codeRequestLimitExceeded:       codeRequestLimitExceeded,
		codeFailedRequestLimitExceeded: codeFailedRequestLimitExceeded,
		"Unknown":                      codeRequestLimitExceeded,
	} {
		e.sb.SetFaults(Faults{ThrottleRate: 1, ThrottleCode: code})
		if r := e.call(actionApplyIntl, applyBody(nil)); r.Code != want {
			t.Errorf("ThrottleCode %q: %q, want %q", code, r.Code, want)
		}
	}
}
