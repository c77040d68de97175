package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func (e *testEnv) control(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, httptest.NewRequest(method, "http://"+testHost+path, strings.NewReader(body)))
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		e.t.Fatalf("%s %s: not JSON: %s", method, path, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		e.t.Errorf("%s %s: Cache-Control %q", method, path, rec.Header().Get("Cache-Control"))
	}
	return rec.Code, out
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestControlOutcomeAndState(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyIntl(map[string]any{"CheckMode": 1, "IDCardType": "PhilippinesUMID", "Language": "th"}, "")
	status, st := e.control(http.MethodGet, "/_sandbox/tokens/"+tok, "")
	if status != http.StatusOK || st["State"] != stateIssued || num(st["CheckMode"]) != 1 || st["Language"] != "th" ||
		st["Action"] != actionApplyIntl {
		t.Fatalf("state %d %v", status, st)
	}
	status, st = e.control(http.MethodPost, "/_sandbox/outcome",
		`{"BizToken":"`+tok+`","Outcome":{"Result":"compare_fail","Similarity":12.5}}`)
	if status != http.StatusOK || st["State"] != stateFinished || num(st["ErrorCode"]) != 2016 {
		t.Fatalf("outcome %d %v", status, st)
	}
	v, _ := e.result(tok)
	if *v.ErrorCode != 2016 || v.VerificationDetailList[0]["Similarity"] != 12.5 {
		t.Fatalf("result %+v", v)
	}
	override := e.applyIntl(nil, "")
	status, st = e.control(http.MethodPost, "/_sandbox/outcome",
		`{"BizToken":"`+override+`","Outcome":{"Result":"liveness_fail","ErrorCode":1102}}`)
	if status != http.StatusOK || num(st["ErrorCode"]) != 1102 {
		t.Fatalf("override %d %v", status, st)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{http.MethodPost, "/_sandbox/outcome", `{"BizToken":"` + tok + `","Outcome":{"Result":"pass"}}`, http.StatusConflict, "already_finished"},
		{http.MethodPost, "/_sandbox/outcome", `{"BizToken":"` + override + `x","Outcome":{"Result":"pass"}}`, http.StatusNotFound, "unknown_token"},
		{http.MethodPost, "/_sandbox/outcome", `{"BizToken":"` + e.applyIntl(nil, "") + `","Outcome":{"Result":"document"}}`, http.StatusBadRequest, "invalid_outcome"},
		{http.MethodPost, "/_sandbox/outcome", `{"BizToken":"x","Outcome":{"Result":"pass"},"Extra":1}`, http.StatusBadRequest, "bad_request"},
		{http.MethodPost, "/_sandbox/outcome", `{"BizToken":"x"} {}`, http.StatusBadRequest, "bad_request"},
		{http.MethodGet, "/_sandbox/tokens/NOPE", "", http.StatusNotFound, "unknown_token"},
		{http.MethodGet, "/_sandbox/nothing", "", http.StatusNotFound, "not_found"},
	} {
		status, out := e.control(tc.method, tc.path, tc.body)
		if status != tc.status || errCode(out) != tc.code {
			t.Errorf("%s %s %s: %d %v", tc.method, tc.path, tc.body, status, out)
		}
	}
}

func TestControlClock(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyIntl(nil, "")
	status, out := e.control(http.MethodPost, "/_sandbox/clock", `{"AdvanceSeconds":601}`)
	if status != http.StatusOK || out["OffsetSeconds"] != 601.0 {
		t.Fatalf("clock %d %v", status, out)
	}
	// The control clock moves token windows; requests are still signed with the caller's
	// own clock, which the offset does not touch.
	st, _ := e.sb.TokenState(tok)
	if st.State != stateStartExpired {
		t.Fatalf("state %q after 601 s", st.State)
	}
	v, _ := e.result(tok)
	if v.ErrorCode == nil || *v.ErrorCode != resultTokenExpired {
		t.Fatalf("result after 601 s: %+v", v)
	}
	stale := newAPIRequest(actionResultIntl, []byte(`{"BizToken":"`+tok+`"}`), e.clock.Now().Add(-301*time.Second))
	if r := serve(t, e.api, stale); r.Code != codeAuthSignatureExpire {
		t.Fatalf("stale signature after the offset: %q", r.Code)
	}
	if status, _ := e.control(http.MethodPost, "/_sandbox/clock", `{"AdvanceSeconds":"soon"}`); status != http.StatusBadRequest {
		t.Fatalf("bad clock body: %d", status)
	}
	if _, out := e.control(http.MethodGet, "/_sandbox/clock", ""); out["OffsetSeconds"] != 601.0 {
		t.Fatalf("GET clock %v", out)
	}
}

func TestControlFaults(t *testing.T) {
	e := newTestEnv(t, Options{})
	status, out := e.control(http.MethodPut, "/_sandbox/faults", `{"LatencyMs":250,"InternalErrorRate":0.5,"ThrottleRate":0,"DropRate":0.25}`)
	if status != http.StatusOK || out["LatencyMs"] != 250.0 || out["DropRate"] != 0.25 {
		t.Fatalf("PUT %d %v", status, out)
	}
	if f := e.sb.faults.Load(); f.Latency != 250*time.Millisecond || f.InternalErrorRate != 0.5 {
		t.Fatalf("faults %+v", f)
	}
	status, out = e.control(http.MethodPut, "/_sandbox/faults", `{"DropAfterRate":1,"ThrottleRate":1,"ThrottleCode":"FailedOperation.RequestLimitExceeded"}`)
	if status != http.StatusOK || out["DropAfterRate"] != 1.0 || out["ThrottleCode"] != codeFailedRequestLimitExceeded {
		t.Fatalf("PUT %d %v", status, out)
	}
	if _, out := e.control(http.MethodPut, "/_sandbox/faults", `{"ThrottleRate":1}`); out["ThrottleCode"] != codeRequestLimitExceeded {
		t.Fatalf("ThrottleCode left out: %v", out)
	}
	for _, bad := range []string{`{"ThrottleRate":1.5}`, `{"DropRate":-1}`, `{"DropAfterRate":2}`, `{"LatencyMs":-5}`, `{"Latency":5}`,
		`{"ThrottleCode":"LimitExceeded"}`} {
		if status, out := e.control(http.MethodPut, "/_sandbox/faults", bad); status != http.StatusBadRequest || errCode(out) != "bad_request" {
			t.Errorf("%s: %d", bad, status)
		}
	}
	e.control(http.MethodPut, "/_sandbox/faults", `{}`)
	if _, out := e.control(http.MethodGet, "/_sandbox/faults", ""); out["LatencyMs"] != 0.0 || out["InternalErrorRate"] != 0.0 {
		t.Fatalf("cleared faults %v", out)
	}
}

// GET /_sandbox/tokens lists the tokens held, newest first: the way to find a token whose
// apply answer was lost.
func TestControlTokenList(t *testing.T) {
	e := newTestEnv(t, Options{})
	if _, out := e.control(http.MethodGet, "/_sandbox/tokens", ""); len(out["Tokens"].([]any)) != 0 {
		t.Fatalf("no tokens yet: %v", out)
	}
	first := e.applyIntl(nil, "")
	second := e.applyIntl(map[string]any{"CheckMode": 3}, "")
	status, out := e.control(http.MethodGet, "/_sandbox/tokens", "")
	list, _ := out["Tokens"].([]any)
	if status != http.StatusOK || len(list) != 2 {
		t.Fatalf("list %d %v", status, out)
	}
	newest, _ := list[0].(map[string]any)
	oldest, _ := list[1].(map[string]any)
	if newest["BizToken"] != second || num(newest["CheckMode"]) != 3 || oldest["BizToken"] != first {
		t.Fatalf("order %v", list)
	}
	for range maxListedTokens {
		e.applyIntl(nil, "")
	}
	if got := len(e.sb.RecentTokens()); got != maxListedTokens {
		t.Fatalf("%d listed, want at most %d", got, maxListedTokens)
	}
}
