package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/storage"
)

func TestBindingCookieAttributes(t *testing.T) {
	st := newStack(t, stackOptions{config: func(c *core.Config) { c.CookieSecure = true }})
	rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3})
	if rec.Code != http.StatusCreated {
		t.Fatalf("start = %d %s", rec.Code, rec.Body)
	}
	set := rec.Header().Values("Set-Cookie")
	if len(set) != 1 {
		t.Fatalf("Set-Cookie headers = %q, want exactly one", set)
	}
	for _, attr := range []string{"__Secure-facegate_binding=", "Path=/callback", "Max-Age=1800", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(set[0], attr) {
			t.Errorf("cookie %q lacks %s", set[0], attr)
		}
	}
	if strings.Contains(strings.ToLower(set[0]), "domain=") {
		t.Errorf("cookie %q has a Domain; it must stay host-only", set[0])
	}
	ck := rec.Result().Cookies()[0]
	if len(ck.Value) < 40 {
		t.Fatalf("nonce %q is too short", ck.Value)
	}
	var resp core.StartResponse
	decodeBody(t, rec, &resp)
	st.setOutcome(resp.Token, sandbox.Outcome{Result: sandbox.ResultPass})
	cb := st.callback(&browser{token: resp.Token, cookie: ck})
	if cb.Code != http.StatusFound {
		t.Fatalf("callback = %d", cb.Code)
	}
	// The binding is not cleared: it lives its Max-Age, so the same browser is recognised
	// when it comes back (pending, then finished) or reopens the link.
	if kept := cb.Header().Values("Set-Cookie"); len(kept) != 0 {
		t.Fatalf("callback cookie = %q, want the binding left as it is", kept)
	}
	if again := st.callback(&browser{token: resp.Token, cookie: ck}); again.Code != http.StatusFound ||
		!strings.Contains(again.Header().Get("Location"), "status=passed") {
		t.Fatalf("reopened callback = %d %s", again.Code, again.Header().Get("Location"))
	}

	local := newStack(t, stackOptions{})
	rec = local.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3})
	if set := rec.Header().Get("Set-Cookie"); strings.Contains(set, "Secure") || !strings.HasPrefix(set, "facegate_binding=") {
		t.Fatalf("local cookie = %q, want no Secure and no __Secure- prefix", set)
	}

	// The legacy flow's tokens may be started for 2 hours; the binding must last as long.
	legacy := newStack(t, stackOptions{config: func(c *core.Config) { c.Flow = core.FlowLegacy }})
	rec = legacy.postJSON("/start", core.StartOptions{ReturnTo: returnTo, CompareImage: jpegBase64})
	if set := rec.Header().Get("Set-Cookie"); rec.Code != http.StatusCreated || !strings.Contains(set, "Max-Age=8400") {
		t.Fatalf("legacy start = %d, cookie %q, want Max-Age=8400 (2h start window + 20m)", rec.Code, set)
	}
	var lresp core.StartResponse
	decodeBody(t, rec, &lresp)
	legacy.setOutcome(lresp.Token, sandbox.Outcome{Result: sandbox.ResultPass})
	legacy.clock.Advance(90 * time.Minute) // a late start, still within the token's window
	if land := legacy.mustCallback(&browser{token: lresp.Token, cookie: rec.Result().Cookies()[0]}); land.status != "passed" {
		t.Fatalf("late legacy callback: %+v", land)
	}
}

func TestBindingMismatchWritesNothing(t *testing.T) {
	st := newStack(t, stackOptions{})
	b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
	creates, calls := st.store.creates.Load(), st.faceid.calls.Load()
	for name, ck := range map[string]*http.Cookie{
		"no cookie":    nil,
		"other nonce":  {Name: b.cookie.Name, Value: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		"empty nonce":  {Name: b.cookie.Name, Value: ""},
		"huge nonce":   {Name: b.cookie.Name, Value: strings.Repeat("A", 4096)},
		"other cookie": {Name: "facegate_other", Value: b.cookie.Value},
	} {
		// The session is known, so the browser goes back to the merchant's page with
		// status=error and the code: no dead end, no token, no ticket.
		rec := st.callback(&browser{token: b.token, cookie: ck})
		loc, _ := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusFound || loc == nil || !strings.HasPrefix(loc.String(), returnTo) ||
			loc.Query().Get("status") != "error" || loc.Query().Get("code") != "binding_mismatch" ||
			loc.Query().Has("token") || loc.Query().Has("ticket") {
			t.Errorf("%s: callback = %d %s", name, rec.Code, rec.Header().Get("Location"))
		}
	}
	req := httptest.NewRequest(http.MethodGet, callbackURL+"?token="+b.token, nil)
	req.Header.Set("Accept", "application/json")
	if rec := st.do(req); rec.Code != http.StatusForbidden || errorCode(t, rec) != "binding_mismatch" {
		t.Fatalf("JSON callback = %d %s", rec.Code, rec.Body)
	}
	if st.store.creates.Load() != creates || st.faceid.calls.Load() != calls {
		t.Fatal("a refused callback wrote to the store or called Tencent")
	}
	if land := st.mustCallback(b); land.status != "passed" {
		t.Fatalf("the right browser still lands: %+v", land)
	}
}

func TestCallbackRefusals(t *testing.T) {
	st := newStack(t, stackOptions{})
	for name, c := range map[string]struct {
		target string
		status int
		code   string
	}{
		"no token":       {"/callback", 400, "invalid_token"},
		"empty token":    {"/callback?token=", 400, "invalid_token"},
		"bad characters": {"/callback?token=" + url.QueryEscape("../../sessions/x"), 400, "invalid_token"},
		"too long":       {"/callback?token=" + strings.Repeat("A", 129), 400, "invalid_token"},
		"repeated":       {"/callback?token=A&token=B", 400, "invalid_request"},
		"huge query":     {"/callback?token=A&x=" + strings.Repeat("y", 3000), 400, "invalid_request"},
		"unknown token":  {"/callback?token=6F1D2A1C-0000-4000-8000-000000000000", 404, "session_not_found"},
	} {
		rec := st.get(c.target, "Accept", "application/json")
		if rec.Code != c.status || errorCode(t, rec) != c.code {
			t.Errorf("%s: %d %s, want %d %s", name, rec.Code, rec.Body, c.status, c.code)
		}
		// No session to go back to: a page that says what to do, without the code.
		page := st.get(c.target, "Accept", "text/html")
		msg := core.Code(c.code).UserMessage().Text("en")
		_, visible, _ := strings.Cut(page.Body.String(), "<body>")
		if page.Code != c.status || !strings.Contains(page.Body.String(), "<!doctype html>") ||
			!strings.Contains(visible, html.EscapeString(msg)) || strings.Contains(visible, c.code) {
			t.Errorf("%s: page %d %s", name, page.Code, page.Body)
		}
	}
	if st.store.creates.Load() != 0 || st.faceid.calls.Load() != 0 {
		t.Fatal("refused callbacks wrote or called Tencent")
	}
}

func TestResultAuthorization(t *testing.T) {
	st := newStack(t, stackOptions{})
	b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
	land := st.mustCallback(b)
	other := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	otherLand := st.mustCallback(other)

	q := "/result?token=" + b.token
	for name, c := range map[string]struct {
		target string
		hdr    []string
		status int
		code   string
	}{
		"nothing":             {q, nil, 401, "unauthorized"},
		"wrong key":           {q, []string{"Authorization", "Bearer not-the-merchant-key-000"}, 401, "unauthorized"},
		"key prefix":          {q, []string{"Authorization", "Bearer " + merchantKey[:10]}, 401, "unauthorized"},
		"basic scheme":        {q, []string{"Authorization", "Basic " + merchantKey}, 401, "unauthorized"},
		"huge header":         {q, []string{"Authorization", "Bearer " + strings.Repeat("k", 2000)}, 401, "unauthorized"},
		"bad key with ticket": {q + "&ticket=" + land.ticket, []string{"Authorization", "Bearer wrong-key-0000000000000"}, 401, "unauthorized"},
		"forged ticket":       {q + "&ticket=v1.passed.9999999999.AAAA", nil, 401, "invalid_ticket"},
		"other's ticket":      {q + "&ticket=" + otherLand.ticket, nil, 401, "invalid_ticket"},
		"unknown parameter":   {q + "&ticket=" + land.ticket + "&debug=1", nil, 400, "invalid_request"},
		"bad token":           {"/result?token=%00", []string{"Authorization", "Bearer " + merchantKey}, 400, "invalid_token"},
		"unknown token":       {"/result?token=NOPE-NOPE", []string{"Authorization", "Bearer " + merchantKey}, 404, "session_not_found"},
	} {
		rec := st.get(c.target, c.hdr...)
		if rec.Code != c.status || errorCode(t, rec) != c.code {
			t.Errorf("%s: %d %s, want %d %s", name, rec.Code, rec.Body, c.status, c.code)
		}
	}
	if sum, rec := st.summary(b.token, land.ticket); rec.Code != 200 || sum.Status != core.StatusPassed {
		t.Fatalf("valid ticket: %d %s", rec.Code, rec.Body)
	}
	// Tickets expire.
	st.clock.Advance(core.DefaultTicketTTL + time.Second)
	if _, rec := st.summary(b.token, land.ticket); rec.Code != 401 || errorCode(t, rec) != "invalid_ticket" {
		t.Fatalf("expired ticket: %d %s", rec.Code, rec.Body)
	}
	if res, rec := st.fullResult(b.token); rec.Code != 200 || res.Status != core.StatusPassed {
		t.Fatalf("merchant key: %d %s", rec.Code, rec.Body)
	}
}

func TestTicketSecretRotation(t *testing.T) {
	oldSecret := []byte("old-ticket-secret-0123456789abcdef-0123")
	st := newStack(t, stackOptions{config: func(c *core.Config) { c.TicketSecrets = [][]byte{oldSecret} }})
	b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
	land := st.mustCallback(b)

	// A new deployment signs with a new secret and still accepts the old one's tickets.
	cfg := st.cfg
	cfg.TicketSecrets = [][]byte{ticketSecret, oldSecret}
	rotated, err := core.New(cfg, core.Deps{FaceID: st.faceid, Store: st.store, Now: st.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/result?token="+b.token+"&ticket="+land.ticket, nil)
	rec := httptest.NewRecorder()
	rotated.ResultHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("old ticket after rotation: %d %s", rec.Code, rec.Body)
	}
	if _, err := core.VerifyTicket([][]byte{ticketSecret}, b.token, land.ticket, st.clock.Now()); err == nil {
		t.Fatal("the new secret alone verified an old ticket")
	}
}

func TestStartRefusalsWriteNothing(t *testing.T) {
	st := newStack(t, stackOptions{})
	long := strings.Repeat("é", core.MaxExtraRunes+1)
	for name, c := range map[string]struct {
		body   any
		status int
		code   string
	}{
		"no returnTo":         {core.StartOptions{Mode: 3}, 400, "invalid_return_to"},
		"hostile returnTo":    {core.StartOptions{ReturnTo: "https://shop.example.test.evil.com/verify/"}, 400, "invalid_return_to"},
		"returnTo with token": {core.StartOptions{ReturnTo: returnTo + "?token=x"}, 400, "invalid_return_to"},
		"extra too long":      {core.StartOptions{ReturnTo: returnTo, Extra: long}, 400, "invalid_option"},
		"reference too long":  {core.StartOptions{ReturnTo: returnTo, Reference: strings.Repeat("r", 129)}, 400, "invalid_option"},
		"reference control":   {core.StartOptions{ReturnTo: returnTo, Reference: "a\nb"}, 400, "invalid_option"},
		"lang outside policy": {core.StartOptions{ReturnTo: returnTo, Language: "fr"}, 400, "invalid_option"},
		"mode out of range":   {core.StartOptions{ReturnTo: returnTo, Mode: 9}, 400, "invalid_option"},
		"document in mode 3":  {core.StartOptions{ReturnTo: returnTo, Mode: 3, DocumentType: "HKIDCard"}, 400, "invalid_option"},
		"document not offered": {core.StartOptions{ReturnTo: returnTo, Mode: 1, DocumentType: "ThailandIDCard"},
			400, "invalid_option"},
		"rule not offered":     {core.StartOptions{ReturnTo: returnTo, RuleID: "99"}, 400, "invalid_option"},
		"image with mode 3":    {core.StartOptions{ReturnTo: returnTo, Mode: 3, CompareImage: jpegBase64}, 400, "invalid_option"},
		"image and key":        {core.StartOptions{ReturnTo: returnTo, CompareImage: jpegBase64, CompareImageKey: "uploads/a.jpg"}, 400, "invalid_option"},
		"image not an image":   {core.StartOptions{ReturnTo: returnTo, CompareImage: "aGVsbG8gd29ybGQ="}, 400, "invalid_image"},
		"image data: prefix":   {core.StartOptions{ReturnTo: returnTo, CompareImage: "data:image/jpeg;base64," + jpegBase64}, 400, "invalid_image"},
		"image not base64":     {core.StartOptions{ReturnTo: returnTo, CompareImage: "%%%%"}, 400, "invalid_image"},
		"image too large":      {core.StartOptions{ReturnTo: returnTo, CompareImage: strings.Repeat("A", core.MaxInlineImageBase64+4)}, 413, "image_too_large"},
		"start token disabled": {core.StartOptions{ReturnTo: returnTo, StartToken: "v1.a.b"}, 400, "invalid_option"},
		"unknown field":        {`{"returnTo":"` + returnTo + `","admin":true}`, 400, "invalid_request"},
		"trailing data":        {`{"returnTo":"` + returnTo + `"} {"returnTo":"x"}`, 400, "invalid_request"},
		"trailing garbage":     {`{"returnTo":"` + returnTo + `"}garbage`, 400, "invalid_request"},
		"wrong type":           {`{"returnTo":"` + returnTo + `","mode":"3"}`, 400, "invalid_request"},
		"not JSON":             {`returnTo=x`, 400, "invalid_request"},
		"array":                {`[]`, 400, "invalid_request"},
		"empty body":           {``, 400, "invalid_request"},
		"duplicate key trick":  {`{"returnTo":"` + returnTo + `","returnTo":"https://evil.example/"}`, 400, "invalid_request"},
		"key in another case":  {`{"RETURNTO":"https://evil.example/","returnTo":"` + returnTo + `"}`, 400, "invalid_request"},
		"NUL in extra":         {core.StartOptions{ReturnTo: returnTo, Extra: "a\x00b"}, 400, "invalid_option"},
		"newline in reference": {core.StartOptions{ReturnTo: returnTo, Reference: "a\nb"}, 400, "invalid_option"},
		"body too large":       {`{"returnTo":"` + returnTo + `","extra":"` + strings.Repeat("x", core.MaxStartBody) + `"}`, 413, "body_too_large"},
	} {
		rec := st.postJSON("/start", c.body)
		if rec.Code != c.status || errorCode(t, rec) != c.code {
			t.Errorf("%s: %d %s, want %d %s", name, rec.Code, clipBody(rec), c.status, c.code)
		}
		if len(rec.Result().Cookies()) != 0 {
			t.Errorf("%s: a refused start set a cookie", name)
		}
	}
	// Caller text echoed in a message is clipped: an unknown field named by a megabyte.
	huge := st.postJSON("/start", `{"returnTo":"`+returnTo+`","`+strings.Repeat("é", 1<<19)+`":1}`)
	if huge.Code != 400 || errorCode(t, huge) != "invalid_request" || huge.Body.Len() > 512 || !utf8.Valid(huge.Body.Bytes()) {
		t.Errorf("huge unknown field: %d, %d bytes", huge.Code, huge.Body.Len())
	}
	// A body of unknown length (chunked) is cut at the cap too.
	req := httptest.NewRequest(http.MethodPost, "/start", strings.NewReader(`{"returnTo":"`+strings.Repeat("x", core.MaxStartBody)+`"}`))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	if rec := st.do(req); rec.Code != 413 || errorCode(t, rec) != "body_too_large" {
		t.Errorf("chunked oversize: %d %s", rec.Code, clipBody(rec))
	}
	for ct, want := range map[string]int{"text/plain": 415, "": 415, "application/x-www-form-urlencoded": 415, "application/json; charset=utf-8": 400} {
		req := httptest.NewRequest(http.MethodPost, "/start", strings.NewReader(`{}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if rec := st.do(req); rec.Code != want {
			t.Errorf("Content-Type %q: %d, want %d", ct, rec.Code, want)
		}
	}
	for name, c := range map[string]struct {
		query string
		code  string
	}{
		"inline image in GET": {"returnTo=" + url.QueryEscape(returnTo) + "&compareImage=" + url.QueryEscape(jpegBase64), "invalid_request"},
		"unknown parameter":   {"returnTo=" + url.QueryEscape(returnTo) + "&x=1", "invalid_request"},
		"repeated parameter":  {"returnTo=" + url.QueryEscape(returnTo) + "&lang=en&lang=th", "invalid_request"},
		"bad mode":            {"returnTo=" + url.QueryEscape(returnTo) + "&mode=two", "invalid_option"},
		"huge query":          {"returnTo=" + url.QueryEscape(returnTo) + "&extra=" + strings.Repeat("x", 17<<10), "invalid_request"},
		"malformed query":     {"returnTo=%zz", "invalid_request"},
		"open redirect":       {"returnTo=" + url.QueryEscape("//evil.com/verify/"), "invalid_return_to"},
	} {
		rec := st.get("/start?"+c.query, "Accept", "application/json")
		if rec.Code != 400 || errorCode(t, rec) != c.code {
			t.Errorf("GET %s: %d %s, want %s", name, rec.Code, clipBody(rec), c.code)
		}
	}
	if st.store.creates.Load() != 0 || st.faceid.calls.Load() != 0 {
		t.Fatalf("refused starts made %d writes and %d Tencent calls", st.store.creates.Load(), st.faceid.calls.Load())
	}
}

func TestStartTokenRequirement(t *testing.T) {
	st := newStack(t, stackOptions{config: func(c *core.Config) {
		c.StartTokenSecrets = [][]byte{startSecret}
		c.AnonymousStarts = false
	}})
	opts := core.StartOptions{ReturnTo: returnTo, Mode: 3, Extra: "order-7"}
	if rec := st.postJSON("/start", opts); rec.Code != 401 || errorCode(t, rec) != "start_token_required" {
		t.Fatalf("no token: %d %s", rec.Code, rec.Body)
	}
	tok, err := core.SignStartToken(startSecret, opts, st.clock.Now().Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// GET with only the token: its options apply.
	b := st.startGet(url.Values{"startToken": {tok}})
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
	st.mustCallback(b)
	if res, _ := st.fullResult(b.token); res.Extra != "order-7" {
		t.Fatalf("token options not applied: %+v", res)
	}
	// A start token starts one verification: the same token again is refused.
	if rec := st.get("/start?startToken="+url.QueryEscape(tok), "Accept", "application/json"); rec.Code != 409 || errorCode(t, rec) != "start_token_used" {
		t.Fatalf("token used twice: %d %s", rec.Code, rec.Body)
	}
	// POST repeating the options of a fresh token.
	tok, err = core.SignStartToken(startSecret, opts, st.clock.Now().Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	withTok := opts
	withTok.StartToken = tok
	if rec := st.postJSON("/start", withTok); rec.Code != 201 {
		t.Fatalf("matching options: %d %s", rec.Code, rec.Body)
	}
	creates := st.store.creates.Load()
	bad := withTok
	bad.Extra = "order-8"
	if rec := st.postJSON("/start", bad); rec.Code != 401 || errorCode(t, rec) != "invalid_start_token" {
		t.Fatalf("changed option: %d %s", rec.Code, rec.Body)
	}
	forged, _ := core.SignStartToken([]byte("someone-else-secret-0123456789abcdef"), opts, st.clock.Now().Add(time.Minute))
	if rec := st.postJSON("/start", core.StartOptions{StartToken: forged}); rec.Code != 401 || errorCode(t, rec) != "invalid_start_token" {
		t.Fatalf("forged: %d %s", rec.Code, rec.Body)
	}
	st.clock.Advance(6 * time.Minute)
	if rec := st.postJSON("/start", withTok); rec.Code != 401 || errorCode(t, rec) != "invalid_start_token" {
		t.Fatalf("expired: %d %s", rec.Code, rec.Body)
	}
	if st.store.creates.Load() != creates {
		t.Fatal("a refused start token wrote to the store")
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	st := newStack(t, stackOptions{})
	b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
	land := st.mustCallback(b)
	responses := map[string]*httptest.ResponseRecorder{
		"POST /start 201":     b.start,
		"GET /start 302":      st.startGet(url.Values{"returnTo": {returnTo}, "mode": {"3"}}).start,
		"GET /start 400 html": st.get("/start?returnTo=x", "Accept", "text/html"),
		"POST /start 400":     st.postJSON("/start", `{}`),
		"callback 302":        st.callback(b),
		"callback 404 html":   st.get("/callback?token=UNKNOWN"),
		"result 200":          st.get("/result?token=" + b.token + "&ticket=" + land.ticket),
		"result 401":          st.get("/result?token=" + b.token),
		"404":                 st.get("/nowhere"),
		"405":                 st.do(httptest.NewRequest(http.MethodDelete, "/result", nil)),
		"preflight":           st.do(preflight("/start", "https://shop.example.test", "POST")),
	}
	for name, rec := range responses {
		h := rec.Header()
		if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", name, h)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", name, h.Get("Content-Security-Policy"))
		}
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") && h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: HTML without X-Frame-Options", name)
		}
	}
}

func preflight(path, origin, method string) *http.Request {
	req := httptest.NewRequest(http.MethodOptions, path, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	return req
}

func TestCORS(t *testing.T) {
	st := newStack(t, stackOptions{})
	rec := st.do(preflight("/start", "https://shop.example.test", "POST"))
	h := rec.Header()
	if rec.Code != 204 || h.Get("Access-Control-Allow-Origin") != "https://shop.example.test" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || h.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(h.Get("Vary"), "Origin") {
		t.Fatalf("allowed preflight: %d %v", rec.Code, h)
	}
	for name, req := range map[string]*http.Request{
		"other origin":     preflight("/start", "https://evil.example", "POST"),
		"lookalike origin": preflight("/start", "https://shop.example.test.evil.example", "POST"),
		"null origin":      preflight("/start", "null", "POST"),
		"method":           preflight("/result", "https://shop.example.test", "DELETE"),
		"callback":         preflight("/callback", "https://shop.example.test", "GET"),
	} {
		rec := st.do(req)
		if rec.Header().Get("Access-Control-Allow-Methods") != "" || rec.Code == 204 && name == "callback" {
			t.Errorf("%s: %d %v", name, rec.Code, rec.Header())
		}
		if name != "method" && rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: allowed origin %q", name, rec.Header().Get("Access-Control-Allow-Origin"))
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/result?token=X", nil)
	req.Header.Set("Origin", "https://shop.example.test")
	if rec := st.do(req); rec.Header().Get("Access-Control-Allow-Origin") != "https://shop.example.test" {
		t.Fatalf("actual request from an allowed origin: %v", rec.Header())
	}
	req.Header.Set("Origin", "https://evil.example")
	if rec := st.do(req); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("actual request from another origin: %v", rec.Header())
	}
}

func TestMethodsAndUnknownPaths(t *testing.T) {
	st := newStack(t, stackOptions{})
	for _, c := range []struct {
		method, path, allow string
	}{
		{http.MethodPut, "/start", "GET, POST"},
		{http.MethodDelete, "/start", "GET, POST"},
		{http.MethodPost, "/callback", "GET"},
		{http.MethodPost, "/result", "GET, DELETE"},
		{"PROPFIND", "/result", "GET, DELETE"},
	} {
		rec := st.do(httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != 405 || errorCode(t, rec) != "method_not_allowed" || rec.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q", c.method, c.path, rec.Code, rec.Header().Get("Allow"))
		}
	}
	if rec := st.get("/sessions/x.json"); rec.Code != 404 || errorCode(t, rec) != "not_found" {
		t.Fatalf("unknown path: %d", rec.Code)
	}
}

func TestUpstreamFailures(t *testing.T) {
	for name, c := range map[string]struct {
		faults     sandbox.Faults
		startCode  string
		retryAfter bool
	}{
		"throttled":   {sandbox.Faults{ThrottleRate: 1}, "upstream_unavailable", true},
		"unavailable": {sandbox.Faults{InternalErrorRate: 1}, "upstream_unavailable", true},
		"dropped":     {sandbox.Faults{DropRate: 1}, "upstream_unavailable", true},
	} {
		t.Run(name, func(t *testing.T) {
			st := newStack(t, stackOptions{})
			b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
			st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
			st.sandbox.SetFaults(c.faults)
			creates := st.store.creates.Load()

			rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3})
			if rec.Code != 503 || errorCode(t, rec) != c.startCode || (rec.Header().Get("Retry-After") != "") != c.retryAfter {
				t.Fatalf("start: %d %s Retry-After %q", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
			}
			// The callback still lands: pending, nothing written.
			land := st.mustCallback(b)
			if land.status != "pending" {
				t.Fatalf("callback status %s", land.status)
			}
			st.nextSlot()
			_, rec = st.summary(b.token, land.ticket)
			if rec.Code != 503 || errorCode(t, rec) != "upstream_unavailable" || rec.Header().Get("Retry-After") == "" {
				t.Fatalf("result: %d %s", rec.Code, rec.Body)
			}
			if st.store.creates.Load() != creates {
				t.Fatal("an upstream failure wrote to the store")
			}
			st.sandbox.SetFaults(sandbox.Faults{})
			st.nextSlot()
			if sum, _ := st.summary(b.token, land.ticket); sum.Status != core.StatusPassed {
				t.Fatalf("after recovery: %+v", sum)
			}
		})
	}
}

// failingStore fails every call with an error whose text must never reach a client.
type failingStore struct{}

var errDisk = errors.New("disk failure at /var/secret/path")

func (failingStore) Create(context.Context, string, []byte) error { return errDisk }
func (failingStore) Get(context.Context, string) ([]byte, error)  { return nil, errDisk }
func (failingStore) Delete(context.Context, string) error         { return errDisk }
func (failingStore) List(context.Context, string, string, int) ([]string, bool, error) {
	return nil, false, errDisk
}

// TestInternalErrorsStayInternal: a store that fails (a permission, a full disk) is a
// fault outside our code: every endpoint answers 503 with Retry-After, and nothing of the
// cause reaches the client; the log has it.
func TestInternalErrorsStayInternal(t *testing.T) {
	st := newStack(t, stackOptions{newStore: func(testing.TB) storage.Store { return failingStore{} }})
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"start":    st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}),
		"callback": st.get("/callback?token=ABC", "Accept", "application/json"),
		"page":     st.get("/callback?token=ABC", "Accept", "text/html"),
		"result":   st.get("/result?token=ABC", "Authorization", "Bearer "+merchantKey),
	} {
		if rec.Code != 503 || rec.Header().Get("Retry-After") == "" || strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "disk") {
			t.Errorf("%s: %d Retry-After %q %s", name, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	if !strings.Contains(st.logs.String(), "disk failure") {
		t.Fatal("the internal error was not logged")
	}
}

func decodeBody(t testing.TB, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", clipBody(rec), err)
	}
}

func clipBody(rec *httptest.ResponseRecorder) string {
	s := rec.Body.String()
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func TestUpstreamMisconfigured(t *testing.T) {
	st := newStack(t, stackOptions{secretKey: "not-the-sandbox-key"})
	rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3})
	if rec.Code != http.StatusBadGateway || errorCode(t, rec) != "upstream_misconfigured" || rec.Header().Get("Retry-After") != "" {
		t.Fatalf("start with a wrong key: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "AuthFailure") || strings.Contains(rec.Body.String(), "Signature") {
		t.Fatalf("upstream detail reached the client: %s", rec.Body)
	}
	if !strings.Contains(st.logs.String(), "AuthFailure") {
		t.Fatalf("the upstream code was not logged:\n%s", st.logs)
	}
	if st.store.creates.Load() != 0 {
		t.Fatal("a failed start wrote a session")
	}
}

// TestCallbackTimeout: a slow Tencent does not hold the user at the callback; the browser
// lands with status pending and nothing is written.
func TestCallbackTimeout(t *testing.T) {
	st := newStack(t, stackOptions{config: func(c *core.Config) { c.CallbackTimeout = 20 * time.Millisecond }})
	b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
	// The sandbox sleeps before reading the request, so the server cannot notice the client
	// giving up; a short latency keeps the test's clean-up short.
	st.sandbox.SetFaults(sandbox.Faults{Latency: 400 * time.Millisecond})
	creates := st.store.creates.Load()
	if land := st.mustCallback(b); land.status != "pending" {
		t.Fatalf("status = %s", land.status)
	}
	if st.store.creates.Load() != creates {
		t.Fatal("a timed-out callback wrote")
	}
	st.sandbox.SetFaults(sandbox.Faults{})
}
