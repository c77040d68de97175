package sandbox

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/page.html
var templateFS embed.FS

var pageTemplate = template.Must(template.ParseFS(templateFS, "templates/page.html"))

// maxFormBody caps the page's form posts.
const maxFormBody = 64 << 10

// PageHandler serves the hosted verification page origin: the page at VerificationURL
// (GET /reflect/?token=…, and its form posts to POST /reflect/), the PUT target of
// CreateUploadUrl (/upload/{id}), ResourceUrls (/resource/{id}, private) and the legacy
// result's media links (/media/{id}/{file}).
//
// The page is a few server-rendered steps with stable selectors for browser tests:
// intro (button[data-action=start]), choose (button[data-outcome=…] and
// input[data-input=similarity]), result (button[data-action=next]) and error
// (main[data-error=unknown|expired|bad]). Every form post that succeeds is answered with a
// redirect (303 See Other back to the page, whose step the session remembers, or the
// redirect to RedirectURL), so the browser's history holds pages fetched with GET and Back
// never asks to resubmit a form. The token travels in the page's own address (as
// VerificationURL carries it), form bodies and those redirects, never in links, titles or
// error pages.
func (s *Sandbox) PageHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+reflectDir+"{$}", s.pageGet)
	mux.HandleFunc("POST "+reflectDir+"{$}", s.pagePost)
	mux.HandleFunc("PUT /upload/{id}", s.servePut)
	mux.HandleFunc("GET /resource/{id}", s.serveResource)
	mux.HandleFunc("GET /media/{id}/{file}", s.serveMedia)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		securityHeaders(w.Header())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Sandbox verification page origin. Pages live at " + reflectDir + "?token=<BizToken>.\n"))
	})
	return mux
}

// Page steps.
const (
	pageIntro  = "intro"
	pageChoose = "choose"
	pageResult = "result"
	pageError  = "error"
)

// pageView is what the template renders.
type pageView struct {
	L        labels
	Theme    template.CSS
	Page     string
	Action   string
	Token    string
	Privacy  bool
	Outcomes []string
	Card     *sampleCardView
	Result   string
	Passed   bool
	Code     int64
	Message  string
	ErrKind  string
	ErrTitle string
	ErrText  string
}

type sampleCardView struct {
	Type   string
	Fields []cardField
}

// pageFor builds the view of step for a session. It must be called with s.mu held, as it
// reads the session.
func pageFor(ss *session, step string) pageView {
	v := pageView{
		L:       labelsFor(ss.cfg.language),
		Theme:   template.CSS(ss.cfg.themeColor), // validated as #RRGGBB at apply
		Page:    step,
		Action:  reflectDir,
		Token:   ss.token,
		Privacy: !ss.cfg.skipPrivacyPolicy,
	}
	if !ss.finished.IsZero() {
		v.Page = pageResult
	}
	switch v.Page {
	case pageChoose:
		v.Outcomes = outcomesFor(ss)
		if ss.cfg.ocr() {
			c := cardFor(ss.cfg.idCardType)
			v.Card = &sampleCardView{Type: c.cardType, Fields: c.fields}
		}
	case pageResult:
		v.Result = ss.outcome.Result
		v.Code, v.Message = ss.verdict.errorCode, ss.verdict.errorMsg
		v.Passed = v.Code == 0
	}
	return v
}

func labelsFor(lang string) labels {
	if l, ok := pageLabels[lang]; ok {
		return l
	}
	return pageLabels["en"]
}

// errorPage is the view of a page that cannot go on. It never contains the token.
func errorPage(kind, lang string) pageView {
	l := labelsFor(lang)
	v := pageView{L: l, Theme: "#2d72f1", Page: pageError, ErrKind: kind}
	switch kind {
	case "unknown":
		v.ErrTitle, v.ErrText = l.UnknownTitle, l.UnknownText
	case "expired":
		v.ErrTitle, v.ErrText = l.ExpiredTitle, l.ExpiredText
	default:
		v.ErrTitle, v.ErrText = l.BadTitle, l.BadText
	}
	return v
}

// openError maps openLocked's errors to an error page and status.
func openError(ss *session, err error) (int, pageView) {
	lang := "en"
	if ss != nil {
		lang = ss.cfg.language
	}
	if errors.Is(err, ErrTokenExpired) {
		return http.StatusGone, errorPage("expired", lang)
	}
	return http.StatusNotFound, errorPage("unknown", lang)
}

func (s *Sandbox) pageGet(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		s.render(w, r, http.StatusBadRequest, errorPage("bad", "en"))
		return
	}
	now := s.now()
	s.mu.Lock()
	ss, err := s.openLocked(token, now)
	var status int
	var v pageView
	if err != nil {
		status, v = openError(ss, err)
	} else {
		step := pageIntro
		if ss.cfg.autoSkipStartPage || ss.begun {
			step = pageChoose
		}
		status, v = http.StatusOK, pageFor(ss, step)
	}
	s.mu.Unlock()
	s.render(w, r, status, v)
}

func (s *Sandbox) pagePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, errorPage("bad", "en"))
		return
	}
	a := s.pageStep(r.PostForm, s.now())
	if a.location == "" {
		s.render(w, r, a.status, a.view)
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("Location", a.location)
	w.WriteHeader(a.status)
	if a.status == http.StatusFound {
		s.log.InfoContext(r.Context(), "sandbox page: redirect to RedirectURL", slog.String("result", a.result))
	}
}

// pageAnswer is what a form post leads to: an error page, a redirect back to the page
// (303, the step it shows is the session's), or the redirect to the merchant (302).
type pageAnswer struct {
	status   int
	view     pageView
	location string // set for the redirects
	result   string // the outcome, for the log
}

// pageStep applies one form post (step begin, finish or next) to its session.
func (s *Sandbox) pageStep(form url.Values, now time.Time) pageAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.openLocked(form.Get("token"), now)
	if err != nil {
		status, v := openError(ss, err)
		return pageAnswer{status: status, view: v}
	}
	bad := pageAnswer{status: http.StatusBadRequest, view: errorPage("bad", ss.cfg.language)}
	// Tencent redirects with the token appended; the rest of RedirectURL is untouched.
	redirect := pageAnswer{status: http.StatusFound, location: appendToken(ss.redirect, ss.token)}
	// The page again, by GET: it shows the step the session has reached.
	again := pageAnswer{status: http.StatusSeeOther, location: reflectDir + "?token=" + url.QueryEscape(ss.token)}
	switch form.Get("step") {
	case "begin":
		ss.begun = true
		return again
	case "finish":
		o := Outcome{Result: form.Get("outcome")}
		if o.Result == ResultCompareFail {
			sim, perr := strconv.ParseFloat(form.Get("similarity"), 64)
			if perr != nil {
				return bad
			}
			o.Similarity = sim
		}
		err := s.finishLocked(ss, o, now)
		switch {
		case err == nil && ss.cfg.autoSkip && ss.verdict.errorCode == 0:
			redirect.result = ss.outcome.Result
			return redirect
		case err == nil || errors.Is(err, ErrAlreadyFinished):
			return again
		}
		return bad
	case "next":
		if ss.finished.IsZero() {
			ss.begun = true
			return again
		}
		redirect.result = ss.outcome.Result
		return redirect
	}
	return bad
}

// appendToken adds token=<token> to the query of raw: after "?" when there is no query,
// after "&" when there is one, before the fragment, which is kept. The rest of raw is
// untouched, so the merchant gets back exactly the URL it registered.
func appendToken(raw, token string) string {
	base, fragment, hasFragment := strings.Cut(raw, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	out := base + sep + "token=" + url.QueryEscape(token)
	if hasFragment {
		out += "#" + fragment
	}
	return out
}

// render writes a page with headers that keep it out of caches, frames and Referers.
func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, status int, v pageView) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		s.log.ErrorContext(r.Context(), "sandbox page: rendering", slog.String("page", v.Page), slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	securityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
