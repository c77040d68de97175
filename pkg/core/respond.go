package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/internal/errbody"
)

// handlerFunc is an endpoint's logic: it writes a successful answer itself and returns
// nil, or returns the error to answer with. It never writes an error answer itself.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// endpoint turns h into an http.Handler: the one place where a returned error becomes
// the answer — a page when page says the request is a browser navigation (or, for an
// error that knows the merchant's page to return to, a redirect there), the JSON error
// envelope otherwise.
func (s *Service) endpoint(page func(*http.Request) bool, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var back *returnError
		if errors.As(err, &back) {
			if page(r) {
				s.logRefusal(r, asError(back.err))
				backToMerchant(w, back.returnTo, asError(back.err).Code)
				return
			}
			err = back.err
		}
		s.writeError(w, r, err, page(r))
	})
}

// secure sets the headers every answer carries before next runs: nothing is cached
// (answers hold tokens and results), no Referer leaks the token in a URL, no content
// sniffing, and no framing of anything we serve. HTML answers tighten them further.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		next.ServeHTTP(w, r)
	})
}

// writeError answers err as JSON, or as a page in the user's language when html is true.
// It is the only place that logs failures, and it logs only what is safe: the code, the status and,
// for 5xx, the cause (which never holds tokens or secrets).
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error, html bool) {
	e := asError(err)
	status := e.HTTPStatus()
	s.logRefusal(r, e)
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	if html {
		s.errorPage(w, r, status, e.Code, "")
		return
	}
	body := errbody.JSON(string(e.Code), publicMessage(e))
	errbody.SetHeaders(w.Header())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// logRefusal logs a failed request once, with only what is safe: the code, the status
// and, for 5xx, the cause (scrubbed of hashes and paths; it never holds tokens or secrets).
func (s *Service) logRefusal(r *http.Request, e *Error) {
	status := e.HTTPStatus()
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "code", e.Code, "status", status, "err", logErr(e.Err))
	} else {
		s.log.InfoContext(r.Context(), "request refused", "code", e.Code, "status", status)
	}
}

// returnError is an error of a browser navigation whose merchant page is known: the
// browser goes back there with status=error and the code, not to an error page.
type returnError struct {
	returnTo string
	err      error
}

func (e *returnError) Error() string { return e.err.Error() }
func (e *returnError) Unwrap() error { return e.err }

// writeJSON answers v, which is one of the API's own response types.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Our own response types always encode; this guards against a future mistake.
		errbody.Write(w, http.StatusInternalServerError, errbody.InternalCode, errbody.InternalMessage)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// redirect answers 302 to loc.
func redirect(w http.ResponseWriter, loc string) {
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
}

// wantsHTML reports whether the request is a browser navigation that should get a page
// rather than JSON: a GET whose Accept names text/html, as a navigating browser's does
// (a script's fetch sends */* unless it asks for JSON).
func wantsHTML(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
}

// neverHTML is the page rule of endpoints only scripts and backends call.
func neverHTML(*http.Request) bool { return false }

// methodNotAllowed is the error for a method the endpoint does not serve; it names the
// methods it does in the Allow header.
func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow []string) error {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return errorf(CodeMethodNotAllowed, "This endpoint does not accept %s.", sanitizeMethod(r.Method))
}

// sanitizeMethod keeps an arbitrary method name from carrying junk into a message.
func sanitizeMethod(m string) string {
	if len(m) > 16 || strings.IndexFunc(m, func(c rune) bool { return c < 'A' || c > 'Z' }) >= 0 {
		return "this method"
	}
	return m
}
