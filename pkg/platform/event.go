package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/facegate/facegate/internal/errbody"
)

// httpEvent is the platform-neutral form of an HTTP request that arrived as an
// event (Lambda or SCF). Each event shape decodes into it, and serveEvent turns it
// into an *http.Request for the handler.
type httpEvent struct {
	method   string
	target   string // path and optional ?query, as on a request line
	host     string
	header   http.Header
	body     []byte
	clientIP string
	id       string
}

// eventResponse is what the handler answered, buffered so the adapters can encode
// it into each platform's response shape.
type eventResponse struct {
	status int
	header http.Header
	body   []byte
}

// serveEvent runs the handler for ev. It never fails: a malformed event, a panic
// or an oversized answer become JSON error responses, because an error returned to
// Lambda or SCF reaches the client as an opaque 502 from the gateway.
func (a *adapter) serveEvent(ctx context.Context, ev httpEvent) eventResponse {
	ctx = withRequestInfo(ctx, requestInfo{id: ev.id, clientIP: ev.clientIP})
	u, err := url.ParseRequestURI(ev.target)
	if err != nil || ev.method == "" {
		a.logger.WarnContext(ctx, "event rejected: bad request line")
		return errorResponse(http.StatusBadRequest, "invalid_request", "The request could not be read.")
	}
	u.Scheme, u.Host = "https", ev.host
	req, err := http.NewRequestWithContext(ctx, ev.method, u.String(), bytes.NewReader(ev.body))
	if err != nil {
		// err quotes the URL, whose query may hold a BizToken or ticket: not logged.
		a.logger.WarnContext(ctx, "event rejected: bad method or URL")
		return errorResponse(http.StatusBadRequest, "invalid_request", "The request could not be read.")
	}
	req.Header = ev.header
	if req.Header == nil {
		req.Header = http.Header{}
	}
	// As net/http's server does: the host lives in req.Host, not among the headers.
	req.Header.Del("Host")
	req.Host = ev.host
	req.RemoteAddr = ev.clientIP
	req.RequestURI = ev.target

	rec := &responseRecorder{header: http.Header{}}
	if panicked := a.callHandler(rec, req); panicked {
		return errorResponse(http.StatusInternalServerError, "internal", "Something went wrong. Please try again.")
	}
	if rec.overflow {
		a.logger.ErrorContext(ctx, "response exceeds the platform's 6 MB limit", "status", rec.statusCode())
		return errorResponse(http.StatusInternalServerError, "internal", "The response was too large to send.")
	}
	resp := eventResponse{status: rec.statusCode(), header: rec.header, body: rec.body.Bytes()}
	if len(resp.body) > 0 && resp.header.Get("Content-Type") == "" {
		resp.header.Set("Content-Type", http.DetectContentType(resp.body))
	}
	// A binary body travels base64-encoded, a third larger: 4.5 MB of image is already
	// over the limit once encoded.
	if !isText(resp.header.Get("Content-Type"), resp.body) && base64.StdEncoding.EncodedLen(len(resp.body)) > maxResponseSize {
		a.logger.ErrorContext(ctx, "response exceeds the platform's 6 MB limit once base64-encoded", "status", resp.status)
		return errorResponse(http.StatusInternalServerError, "internal", "The response was too large to send.")
	}
	return resp
}

// callHandler runs the handler and reports whether it panicked. The panic value is
// not logged: it may hold request data.
func (a *adapter) callHandler(w http.ResponseWriter, r *http.Request) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			a.logger.ErrorContext(r.Context(), "handler panicked", "panic_type", fmt.Sprintf("%T", v))
			panicked = true
		}
	}()
	a.handler.ServeHTTP(w, r)
	return false
}

// responseRecorder buffers one response, capped at maxResponseSize.
type responseRecorder struct {
	header   http.Header
	status   int
	body     bytes.Buffer
	overflow bool
}

func (w *responseRecorder) Header() http.Header { return w.header }

func (w *responseRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *responseRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body.Len()+len(p) > maxResponseSize {
		w.overflow = true
		return 0, errResponseTooLarge
	}
	return w.body.Write(p)
}

func (w *responseRecorder) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

var errResponseTooLarge = fmt.Errorf("platform: response exceeds %d bytes", maxResponseSize)

// errorResponse is an answer the adapter gives on its own, in the API's one error
// shape (same codes as pkg/core: invalid_request, body_too_large, internal).
func errorResponse(status int, code, message string) eventResponse {
	h := http.Header{}
	errbody.SetHeaders(h)
	return eventResponse{status: status, header: h, body: errbody.JSON(code, message)}
}

// tooLarge is the answer to an event over MaxEventSize.
func tooLarge() eventResponse {
	return errorResponse(http.StatusRequestEntityTooLarge, "body_too_large", "The request is larger than 6 MB.")
}

// encodeBody returns the body as the event response's string, base64-encoded when
// the content is binary: gateways pass the body field through as text, so raw
// binary bytes would be corrupted.
func encodeBody(contentType string, body []byte) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	if isText(contentType, body) {
		return string(body), false
	}
	return base64.StdEncoding.EncodeToString(body), true
}

// isText reports whether a body of this content type can travel as a JSON string
// unchanged.
func isText(contentType string, body []byte) bool {
	if contentType == "" {
		return utf8.Valid(body)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"),
		mt == "application/json", mt == "application/xml", mt == "application/javascript",
		mt == "application/x-www-form-urlencoded", mt == "image/svg+xml":
		return utf8.Valid(body)
	}
	return false
}

// decodeBody returns the bytes of an event body.
func decodeBody(body string, isBase64 bool) ([]byte, error) {
	if !isBase64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("body is not valid base64: %w", err)
	}
	return b, nil
}
