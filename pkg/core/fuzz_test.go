package core_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/storage"
)

// The fuzz targets below feed every input a caller controls to the real handlers (the
// sandbox and an in-memory store behind them), and hold the rules every answer keeps:
// never a 500, never a panic, always the JSON error envelope or a page, never an echo of
// a header or cookie. `make fuzz` runs each for a bounded time; `go test` runs the seeds.

func fuzzStack(f *testing.F) *stack {
	return newStack(f, stackOptions{newStore: func(testing.TB) storage.Store { return &benchMemStore{m: map[string][]byte{}} }})
}

// checkAnswer holds what every answer keeps, whatever came in.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 && rec.Code != http.StatusBadGateway && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("security headers missing: %v", rec.Header())
	}
	ct := rec.Header().Get("Content-Type")
	if rec.Code >= 400 && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("error answer of type %q", ct)
	}
	if rec.Code >= 400 && strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(rec.Body.String(), `{"error":{"code":"`) {
		t.Fatalf("error answer not in the envelope: %s", rec.Body)
	}
}

// FuzzStartBody: POST /start with any body, anonymous and with the merchant key.
func FuzzStartBody(f *testing.F) {
	st := fuzzStack(f)
	for _, seed := range []string{
		`{"returnTo":"` + returnTo + `","mode":3}`,
		`{"returnTo":"` + returnTo + `","mode":2,"compareImage":"` + jpegBase64 + `"}`,
		`{"returnTo":"` + returnTo + `","returnTo":"x"}`,
		`{"RETURNTO":"x"}`,
		`{"returnTo":"` + returnTo + `","handoff":true,"lang":"th"}`,
		`{"returnTo":"` + returnTo + `","extra":"a\u0000b"}`,
		`{"startToken":"v1.e30.x"}`,
		`[]`, `{`, ``, `null`, `{"mode":1e309}`,
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, body string, key bool) {
		hdr := []string{}
		if key {
			hdr = []string{"Authorization", "Bearer " + merchantKey, "Idempotency-Key", "fuzz"}
		}
		rec := st.postJSON("/start", body, hdr...)
		checkAnswer(t, rec)
	})
}

// FuzzStartQuery: GET /start (a navigation) with any query, handoff links included.
func FuzzStartQuery(f *testing.F) {
	st := fuzzStack(f)
	for _, seed := range []string{
		"returnTo=" + returnTo + "&mode=3", "returnTo=%zz", "handoff=" + strings.Repeat("a", 64) + "&k=x",
		"handoff=&k=", "mode=9&lang=fr", "returnTo=" + returnTo + ";token=x", "startToken=v1..",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, query string, page bool) {
		accept := "application/json"
		if page {
			accept = "text/html"
		}
		req := httptest.NewRequest(http.MethodGet, "https://gw.example.test/start", nil)
		req.URL.RawQuery = query
		req.Header.Set("Accept", accept)
		rec := st.do(req)
		checkAnswer(t, rec)
		if loc := rec.Header().Get("Location"); rec.Code == http.StatusFound &&
			!strings.HasPrefix(loc, "https://shop.example.test/verify/") && !strings.HasPrefix(loc, "http://127.0.0.1:") {
			t.Fatalf("a redirect off the allowlist and Tencent's page: %s", loc)
		}
	})
}

// FuzzCallbackQuery: GET /callback with any query and any cookie.
func FuzzCallbackQuery(f *testing.F) {
	st := fuzzStack(f)
	b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	for _, seed := range []string{"token=" + b.token, "token=" + b.token + "&fg_retry=9", "token=A&token=B", "token=..%2F", ""} {
		f.Add(seed, b.cookie.Value)
		f.Add(seed, "")
	}
	f.Fuzz(func(t *testing.T, query, cookie string) {
		req := httptest.NewRequest(http.MethodGet, callbackURL, nil)
		req.URL.RawQuery = query
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Cookie", b.cookie.Name+"="+cookie)
		rec := st.do(req)
		checkAnswer(t, rec)
		if loc := rec.Header().Get("Location"); rec.Code == http.StatusFound && !strings.HasPrefix(loc, returnTo) {
			t.Fatalf("callback redirected off the session's returnTo: %s", loc)
		}
	})
}

// FuzzResultQuery: GET and DELETE /result with any query, with a key or none.
func FuzzResultQuery(f *testing.F) {
	st := fuzzStack(f)
	b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3, Reference: "r-1"})
	for _, seed := range []string{
		"token=" + b.token, "token=" + b.token + "&ticket=v1.passed.1.x", "session=" + strings.Repeat("0", 64),
		"reference=r-1&limit=2", "reference=r-1&after=123", "handoff=x&watch=y", "limit=0", "token=A&session=B",
	} {
		f.Add(seed, true, false)
		f.Add(seed, false, true)
	}
	f.Fuzz(func(t *testing.T, query string, key, del bool) {
		method := http.MethodGet
		if del {
			method = http.MethodDelete
		}
		req := httptest.NewRequest(method, "https://gw.example.test/result", nil)
		req.URL.RawQuery = query
		if key {
			req.Header.Set("Authorization", "Bearer "+merchantKey)
		}
		checkAnswer(t, st.do(req))
	})
}

// FuzzOutboxEntry: whatever an outbox entry holds (a torn write, an old format, junk), a
// sweep neither panics nor sends it: it drops what it cannot read and sends only events.
func FuzzOutboxEntry(f *testing.F) {
	st, _ := sweepStack(f, stackOptions{newStore: func(testing.TB) storage.Store { return &benchMemStore{m: map[string][]byte{}} }})
	f.Add(`{"id":"evt_00000000000000000000000000000000","type":"verification.passed","created":1,"data":{"session":"`+strings.Repeat("0", 64)+`"}}`, "evt_00000000000000000000000000000000.1")
	f.Add(`{`, "evt_x.1")
	f.Add(``, "x")
	f.Fuzz(func(t *testing.T, body, name string) {
		key := "outbox/0000000001/" + name
		if storage.CheckKey(key) != nil {
			return
		}
		_ = st.store.Create(t.Context(), key, []byte(body))
		if _, err := st.svc.Sweep(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}
