package core

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Code is a stable machine-readable error code. Clients switch on it; its wording never changes.
type Code string

// Error codes the HTTP API answers with. Each maps to one HTTP status in codeStatus.
const (
	CodeInvalidRequest        Code = "invalid_request"
	CodeInvalidToken          Code = "invalid_token"
	CodeInvalidReturnTo       Code = "invalid_return_to"
	CodeInvalidOption         Code = "invalid_option"
	CodeInvalidImage          Code = "invalid_image"
	CodeImageNotFound         Code = "image_not_found"
	CodeImageTooLarge         Code = "image_too_large"
	CodeBodyTooLarge          Code = "body_too_large"
	CodeUnsupportedMediaType  Code = "unsupported_media_type"
	CodeMethodNotAllowed      Code = "method_not_allowed"
	CodeNotFound              Code = "not_found"
	CodeUnauthorized          Code = "unauthorized"
	CodeStartTokenRequired    Code = "start_token_required"
	CodeInvalidStartToken     Code = "invalid_start_token"
	CodeInvalidTicket         Code = "invalid_ticket"
	CodeBindingMismatch       Code = "binding_mismatch"
	CodeSessionNotFound       Code = "session_not_found"
	CodeTokenExpired          Code = "token_expired"
	CodeUpstreamUnavailable   Code = "upstream_unavailable"
	CodeUpstreamRejected      Code = "upstream_rejected"
	CodeUpstreamMisconfigured Code = "upstream_misconfigured"
	CodeInternal              Code = "internal"
)

// codeStatus is the one place where an error code becomes an HTTP status.
var codeStatus = map[Code]int{
	CodeInvalidRequest:        http.StatusBadRequest,
	CodeInvalidToken:          http.StatusBadRequest,
	CodeInvalidReturnTo:       http.StatusBadRequest,
	CodeInvalidOption:         http.StatusBadRequest,
	CodeInvalidImage:          http.StatusBadRequest,
	CodeImageNotFound:         http.StatusBadRequest,
	CodeImageTooLarge:         http.StatusRequestEntityTooLarge,
	CodeBodyTooLarge:          http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType:  http.StatusUnsupportedMediaType,
	CodeMethodNotAllowed:      http.StatusMethodNotAllowed,
	CodeNotFound:              http.StatusNotFound,
	CodeUnauthorized:          http.StatusUnauthorized,
	CodeStartTokenRequired:    http.StatusUnauthorized,
	CodeInvalidStartToken:     http.StatusUnauthorized,
	CodeInvalidTicket:         http.StatusUnauthorized,
	CodeBindingMismatch:       http.StatusForbidden,
	CodeSessionNotFound:       http.StatusNotFound,
	CodeTokenExpired:          http.StatusGone,
	CodeUpstreamUnavailable:   http.StatusServiceUnavailable,
	CodeUpstreamRejected:      http.StatusBadGateway,
	CodeUpstreamMisconfigured: http.StatusBadGateway,
	CodeInternal:              http.StatusInternalServerError,
}

// Codes lists every error code the API can answer with, in a stable order (for documentation
// and for the test that keeps openapi.yaml honest).
func Codes() []Code {
	return []Code{
		CodeInvalidRequest, CodeInvalidToken, CodeInvalidReturnTo, CodeInvalidOption, CodeInvalidImage,
		CodeImageNotFound, CodeImageTooLarge, CodeBodyTooLarge, CodeUnsupportedMediaType, CodeMethodNotAllowed,
		CodeNotFound, CodeUnauthorized, CodeStartTokenRequired, CodeInvalidStartToken, CodeInvalidTicket,
		CodeBindingMismatch, CodeSessionNotFound, CodeTokenExpired, CodeUpstreamUnavailable, CodeUpstreamRejected,
		CodeUpstreamMisconfigured, CodeInternal,
	}
}

// HTTPStatus returns the HTTP status the API answers code with (500 for an unknown code).
func (c Code) HTTPStatus() int {
	if s, ok := codeStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is the one error type of the core. Message is safe to show to the caller; Err is the
// cause, kept for logs only and never sent to a client.
type Error struct {
	Code    Code
	Message string
	// RetryAfter, when positive, is sent as a Retry-After header: the caller may try again then.
	RetryAfter time.Duration
	Err        error
}

// Error returns the code and message (and the cause, which is why it must never reach a client).
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status the error is answered with: its code's, from codeStatus alone.
func (e *Error) HTTPStatus() int {
	return e.Code.HTTPStatus()
}

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// internalError wraps an unexpected failure; the client sees only a generic message.
func internalError(err error) *Error {
	return &Error{Code: CodeInternal, Message: "Something went wrong on our side. Please try again.", Err: err}
}

// publicMessage is the message a client may see: 5xx answers never carry detail beyond the
// fixed text of their code, whatever Message says.
func publicMessage(e *Error) string {
	if e.HTTPStatus() >= 500 {
		switch e.Code {
		case CodeUpstreamUnavailable:
			return "The verification service is busy or unavailable. Please try again shortly."
		case CodeUpstreamRejected:
			return "The verification service rejected the request."
		case CodeUpstreamMisconfigured:
			return "The verification service is not configured correctly for this deployment."
		default:
			return "Something went wrong on our side. Please try again."
		}
	}
	return e.Message
}

// asError turns any error into an *Error, treating the unknown as internal.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return internalError(err)
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// writeError answers err as JSON, or as a small HTML page when html is true (a browser
// navigation). It is the only place that logs failures, and it logs only what is safe:
// the code, the status and, for 5xx, the cause (which never holds tokens or secrets).
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error, html bool) {
	e := asError(err)
	status := e.HTTPStatus()
	ctx := r.Context()
	if status >= 500 {
		s.log.ErrorContext(ctx, "request failed", "code", e.Code, "status", status, "err", e.Err)
	} else {
		s.log.InfoContext(ctx, "request refused", "code", e.Code, "status", status)
	}
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	msg := publicMessage(e)
	if html {
		writeHTMLError(w, status, e.Code, msg)
		return
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: e.Code, Message: msg}})
}

// wantsHTML reports whether the request is a browser navigation that should get a page
// rather than JSON: a GET whose Accept names text/html, as a navigating browser's does
// (a script's fetch sends */* unless it asks for JSON).
func wantsHTML(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html")
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:0;padding:2rem 1.25rem;color:#1b1f24;background:#f6f7f9;line-height:1.5}
main{max-width:28rem;margin:0 auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.25rem;margin:0 0 .75rem}
p{margin:0 0 .75rem}
.code{color:#57606a;font-size:.85rem}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
<p class="code">Error code: {{.Code}}</p>
</main>
</body>
</html>
`))

// pageTitles gives browser pages a headline a person understands; the message says what to do.
var pageTitles = map[Code]string{
	CodeSessionNotFound:     "Verification not found",
	CodeTokenExpired:        "Verification link expired",
	CodeBindingMismatch:     "Please continue on the device you started on",
	CodeInvalidToken:        "Invalid verification link",
	CodeInvalidReturnTo:     "Invalid return address",
	CodeUpstreamUnavailable: "Verification is temporarily unavailable",
}

func writeHTMLError(w http.ResponseWriter, status int, code Code, msg string) {
	title, ok := pageTitles[code]
	if !ok {
		if status >= 500 {
			title = "Something went wrong"
		} else {
			title = "We could not start or finish the verification"
		}
	}
	setHTMLHeaders(w.Header())
	w.WriteHeader(status)
	// The page is tiny and rendered from fixed fields; a failed write means the client left.
	_ = errorPage.Execute(w, struct {
		Title   string
		Message string
		Code    Code
	}{title, msg, code})
}
