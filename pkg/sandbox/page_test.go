package sandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// postPage posts a form as a browser does: a 303 See Other back to the page is followed
// with a GET, whose answer is returned; any other answer (a page, the 302 to RedirectURL)
// is returned as it is.
func (e *testEnv) postPage(form url.Values) *httptest.ResponseRecorder {
	rec := e.postPageRaw(form)
	if rec.Code != http.StatusSeeOther {
		return rec
	}
	next := httptest.NewRecorder()
	e.page.ServeHTTP(next, httptest.NewRequest(http.MethodGet, "http://page.test"+rec.Header().Get("Location"), nil))
	return next
}

// postPageRaw posts a form and returns the answer without following it.
func (e *testEnv) postPageRaw(form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://page.test/reflect/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.page.ServeHTTP(rec, req)
	return rec
}

func (e *testEnv) applyRedirect(redirect string, config map[string]any) string {
	e.t.Helper()
	body := map[string]any{"RedirectURL": redirect, "CompareImageBase64": testJPEGBase64()}
	if config != nil {
		body["Config"] = config
	}
	var resp struct{ BizToken string }
	mustOK(e.t, e.call(actionApplyIntl, body)).decode(e.t, &resp)
	return resp.BizToken
}

func mustContain(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("page lacks %q", p)
		}
	}
}

func TestPageLanguageAndTheme(t *testing.T) {
	e := newTestEnv(t, Options{})
	for lang, l := range pageLabels {
		t.Run(lang, func(t *testing.T) {
			e.t = t
			tok := e.applyIntl(map[string]any{"Language": lang, "ThemeColor": "#12AB34"}, "")
			rec := e.openPage(tok)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			mustContain(t, rec.Body.String(), `<html lang="`+l.HTMLLang+`">`, "--theme: #12AB34;", l.Start, l.IntroHeading,
				`data-page="intro"`, `data-action="start"`)
			h := rec.Header()
			if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" ||
				!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("headers %v", h)
			}
		})
	}
}

func TestPageSkipsIntroAndShowsFittingOutcomes(t *testing.T) {
	e := newTestEnv(t, Options{})
	cases := []struct {
		config   map[string]any
		want     []string
		wantNot  []string
		wantCard string
	}{
		{config: map[string]any{"AutoSkipStartPage": true},
			want:    []string{ResultPass, ResultLivenessFail, ResultCompareFail, ResultRetryLimit, ResultTimeout, ResultUserExit},
			wantNot: []string{ResultDocument, ResultDocumentFail}},
		{config: map[string]any{"AutoSkipStartPage": true, "CheckMode": 1, "IDCardType": "HKIDCard"},
			want: []string{ResultPass, ResultDocument, ResultDocumentFail, ResultCompareFail}, wantCard: "HKIDCard"},
		{config: map[string]any{"AutoSkipStartPage": true, "CheckMode": 4, "IDCardType": "SingaporeIDCard"},
			want: []string{ResultPass, ResultDocument, ResultDocumentFail}, wantNot: []string{ResultLivenessFail, ResultCompareFail, ResultRetryLimit},
			wantCard: "SingaporeIDCard"},
	}
	for _, tc := range cases {
		tok := e.applyIntl(tc.config, "")
		body := e.openPage(tok).Body.String()
		mustContain(t, body, `data-page="choose"`)
		for _, o := range tc.want {
			mustContain(t, body, `data-outcome="`+o+`"`)
		}
		for _, o := range tc.wantNot {
			if strings.Contains(body, `data-outcome="`+o+`"`) {
				t.Errorf("%v: page offers %s", tc.config, o)
			}
		}
		if tc.wantCard != "" {
			mustContain(t, body, `data-card="`+tc.wantCard+`"`, cardFor(tc.wantCard).fields[1].Value)
		}
		if strings.Contains(body, ResultCompareFail) {
			mustContain(t, body, `data-input="similarity"`)
		}
	}
}

// The token appears only as the value of the forms' hidden token fields.
func TestPageTokenOnlyInFormBodies(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyIntl(nil, "")
	for _, rec := range []*httptest.ResponseRecorder{
		e.openPage(tok),
		e.postPage(url.Values{"token": {tok}, "step": {"begin"}}),
		e.postPage(url.Values{"token": {tok}, "step": {"finish"}, "outcome": {ResultTimeout}}),
	} {
		body := rec.Body.String()
		if all, inForm := strings.Count(body, tok), strings.Count(body, `name="token" value="`+tok+`"`); all == 0 || all != inForm {
			t.Errorf("token appears %d times, %d of them in form fields:\n%s", all, inForm, body)
		}
	}
	for _, rec := range []*httptest.ResponseRecorder{
		e.openPage("D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"),
		e.openPage("<script>alert(1)</script>"),
		e.postPage(url.Values{"token": {"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}, "step": {"begin"}}),
	} {
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "D5E1C0A4") || strings.Contains(rec.Body.String(), "<script>alert") {
			t.Errorf("unknown token page: %d\n%s", rec.Code, rec.Body.String())
		}
		mustContain(t, rec.Body.String(), `data-error="unknown"`)
	}
	if rec := e.openPage(""); rec.Code != http.StatusBadRequest {
		t.Errorf("no token: %d", rec.Code)
	}
}

func TestPageRedirectAppendsToken(t *testing.T) {
	cases := []struct{ redirect, want string }{
		{"https://m.test/cb", "https://m.test/cb?token=TOK"},
		{"https://m.test/cb?session=a%20b&x=1", "https://m.test/cb?session=a%20b&x=1&token=TOK"},
		{"https://m.test/cb#/done", "https://m.test/cb?token=TOK#/done"},
		{"https://m.test/cb?a=1#step?b=2", "https://m.test/cb?a=1&token=TOK#step?b=2"},
		{"https://m.test/cb?", "https://m.test/cb?token=TOK"},
		{"http://127.0.0.1:9000/callback/", "http://127.0.0.1:9000/callback/?token=TOK"},
	}
	e := newTestEnv(t, Options{})
	for _, tc := range cases {
		t.Run(tc.redirect, func(t *testing.T) {
			e.t = t
			tok := e.applyRedirect(tc.redirect, nil)
			if rec := e.openPage(tok); rec.Code != http.StatusOK {
				t.Fatalf("open: %d", rec.Code)
			}
			rec := e.postPage(url.Values{"token": {tok}, "step": {"finish"}, "outcome": {ResultLivenessFail}})
			if rec.Code != http.StatusOK {
				t.Fatalf("finish: %d", rec.Code)
			}
			mustContain(t, rec.Body.String(), `data-page="result"`, `data-result="liveness_fail"`, `data-action="next"`, `data-code="1005"`)
			rec = e.postPage(url.Values{"token": {tok}, "step": {"next"}})
			if rec.Code != http.StatusFound {
				t.Fatalf("next: %d", rec.Code)
			}
			if got, want := rec.Header().Get("Location"), strings.Replace(tc.want, "TOK", tok, 1); got != want {
				t.Fatalf("Location %q, want %q", got, want)
			}
		})
	}
}

func TestAppendTokenEscapes(t *testing.T) {
	if got := appendToken("https://m.test/cb", "A B&C"); got != "https://m.test/cb?token=A+B%26C" {
		t.Fatalf("got %q", got)
	}
}

func TestPageAutoSkip(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyRedirect("https://m.test/cb", map[string]any{"AutoSkip": true, "AutoSkipStartPage": true})
	e.openPage(tok)
	rec := e.postPage(url.Values{"token": {tok}, "step": {"finish"}, "outcome": {ResultPass}})
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "https://m.test/cb?token="+tok {
		t.Fatalf("AutoSkip pass: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	// A failure still shows the result page, AutoSkip or not.
	tok = e.applyRedirect("https://m.test/cb", map[string]any{"AutoSkip": true})
	e.openPage(tok)
	rec = e.postPage(url.Values{"token": {tok}, "step": {"finish"}, "outcome": {ResultUserExit}})
	if rec.Code != http.StatusOK {
		t.Fatalf("AutoSkip failure: %d", rec.Code)
	}
	mustContain(t, rec.Body.String(), `data-result="user_exit"`, `data-code="1410"`)
	// Without AutoSkip a pass shows its result page too.
	tok = e.applyRedirect("https://m.test/cb", nil)
	rec = e.postPage(url.Values{"token": {tok}, "step": {"finish"}, "outcome": {ResultPass}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), pageLabels["en"].PassHeading) {
		t.Fatalf("pass without AutoSkip: %d", rec.Code)
	}
	// Reopening a finished verification shows its result again.
	mustContain(t, e.openPage(tok).Body.String(), `data-page="result"`, `data-result="pass"`)
}

func TestPageCompareSimilarityAndBadPosts(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyIntl(nil, "")
	for _, form := range []url.Values{
		{"token": {tok}, "step": {"finish"}, "outcome": {ResultCompareFail}, "similarity": {"abc"}},
		{"token": {tok}, "step": {"finish"}, "outcome": {ResultCompareFail}, "similarity": {"75"}},
		{"token": {tok}, "step": {"finish"}, "outcome": {ResultDocument}},
		{"token": {tok}, "step": {"jump"}},
	} {
		if rec := e.postPage(form); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `data-error="bad"`) {
			t.Errorf("%v: %d", form, rec.Code)
		}
	}
	// "next" before an outcome goes back to the choices.
	mustContain(t, e.postPage(url.Values{"token": {tok}, "step": {"next"}}).Body.String(), `data-page="choose"`)
	rec := e.postPage(url.Values{"token": {tok}, "step": {"finish"}, "outcome": {ResultCompareFail}, "similarity": {"33.3"}})
	mustContain(t, rec.Body.String(), `data-code="2016"`)
	v, _ := e.result(tok)
	if got := v.VerificationDetailList[0]["Similarity"]; got != 33.3 {
		t.Fatalf("Similarity %v", got)
	}
}

// Every form post that succeeds answers with a redirect, so that the browser's history
// holds only pages fetched with GET: Back, and a reload, after any step show the page
// again without asking to resubmit a form. The page's step is the session's.
func TestPageFormPostsRedirectToGet(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyRedirect("https://m.test/cb", nil)
	page := "/reflect/?token=" + url.QueryEscape(tok)
	for _, c := range []struct {
		form url.Values
		page string // the step a GET of the page shows afterwards
	}{
		{url.Values{"token": {tok}, "step": {"begin"}}, `data-page="choose"`},
		{url.Values{"token": {tok}, "step": {"next"}}, `data-page="choose"`},
		{url.Values{"token": {tok}, "step": {"finish"}, "outcome": {ResultUserExit}}, `data-page="result"`},
		// A second finish (a resubmitted form) changes nothing and shows the result.
		{url.Values{"token": {tok}, "step": {"finish"}, "outcome": {ResultPass}}, `data-result="user_exit"`},
	} {
		rec := e.postPageRaw(c.form)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != page || rec.Body.Len() != 0 {
			t.Fatalf("%v: %d Location %q, want 303 to %s and no body", c.form, rec.Code, rec.Header().Get("Location"), page)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%v: Cache-Control %q", c.form, rec.Header().Get("Cache-Control"))
		}
		// What Back or a reload fetches: the page, by GET, at the step reached.
		mustContain(t, e.openPage(tok).Body.String(), c.page)
	}
	// Next after the outcome hands the browser to RedirectURL, as Tencent does.
	rec := e.postPageRaw(url.Values{"token": {tok}, "step": {"next"}})
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "https://m.test/cb?token="+tok {
		t.Fatalf("next: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	// A refused post is answered with its error page, not a redirect.
	if rec := e.postPageRaw(url.Values{"token": {tok}, "step": {"jump"}}); rec.Code != http.StatusBadRequest {
		t.Errorf("bad step: %d", rec.Code)
	}
	// Before Start, the page is still the introduction.
	fresh := e.applyRedirect("https://m.test/cb", nil)
	mustContain(t, e.openPage(fresh).Body.String(), `data-page="intro"`)
}
