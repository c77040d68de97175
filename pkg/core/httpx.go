package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Caps on what a request may carry, checked before anything is read or parsed.
const (
	// MaxInlineImageBase64 caps an inline compareImage (base64 characters). With the rest of
	// the body it keeps a POST /start under the 6 MB event limit of SCF and Lambda even when a
	// gateway base64-encodes the body (4/3 growth). Larger photos go through compareImageKey.
	MaxInlineImageBase64 = 4 << 20
	// MaxStartBody caps the POST /start body: the inline image plus 64 KiB for the other options.
	MaxStartBody = MaxInlineImageBase64 + 64<<10
	// maxQuery caps the raw query string of GET /start (options percent-encoded) and
	// maxShortQuery that of /callback and /result, which carry only a token and a ticket.
	maxQuery      = 16 << 10
	maxShortQuery = 2 << 10
	// maxAuthHeader caps the Authorization header we are willing to compare.
	maxAuthHeader = 1 << 10
)

// setSecurityHeaders sets the headers every answer carries: nothing is cached (answers hold
// tokens and results), no Referer leaks the token in a URL, no content sniffing, and no
// framing of anything we serve.
func setSecurityHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
}

// setHTMLHeaders sets what an HTML page needs on top of the security headers: its inline
// style is the only thing the policy allows.
func setHTMLHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Frame-Options", "DENY")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Our own response types always encode; this guards against a future mistake.
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"Something went wrong on our side. Please try again."}}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// decodeJSON reads a capped JSON body strictly: the media type must be JSON, the size within
// limit, no unknown fields and nothing after the value.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errorf(CodeUnsupportedMediaType, "The request body must be application/json.")
	}
	if r.ContentLength > limit {
		return errorf(CodeBodyTooLarge, "The request body is larger than %d bytes.", limit)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			if e := jsonError(err, limit); e.Code == CodeBodyTooLarge {
				return e
			}
		}
		return errorf(CodeInvalidRequest, "The request body must hold exactly one JSON object.")
	}
	return nil
}

func jsonError(err error, limit int64) *Error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errorf(CodeBodyTooLarge, "The request body is larger than %d bytes.", limit)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return errorf(CodeInvalidRequest, "The field %q has the wrong type.", typeErr.Field)
	}
	// The decoder's messages for unknown fields name only the field, which the caller sent
	// (clipped: a body may hold a name of megabytes).
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return errorf(CodeInvalidRequest, "Unknown field %s.", clip(strings.TrimPrefix(msg, "json: unknown field "), 64))
	}
	return errorf(CodeInvalidRequest, "The request body is not valid JSON.")
}

// methodNotAllowed answers a method the endpoint does not serve.
func (s *Service) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow ...string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeError(w, r, errorf(CodeMethodNotAllowed, "This endpoint does not accept %s.", sanitizeMethod(r.Method)), false)
}

// sanitizeMethod keeps an arbitrary method name from carrying junk into a message.
func sanitizeMethod(m string) string {
	if len(m) > 16 || strings.IndexFunc(m, func(c rune) bool { return c < 'A' || c > 'Z' }) >= 0 {
		return "this method"
	}
	return m
}

// cors applies the CORS policy for one endpoint: only configured origins get CORS headers,
// and preflights are answered here (204) without reaching the endpoint.
func (s *Service) cors(methods []string, next http.Handler) http.Handler {
	allowMethods := strings.Join(append(slices.Clone(methods), http.MethodOptions), ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		origin := r.Header.Get("Origin")
		allowed := origin != "" && slices.Contains(s.cfg.CORSOrigins, origin)
		if origin != "" {
			w.Header().Add("Vary", "Origin")
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		reqMethod := r.Header.Get("Access-Control-Request-Method")
		if allowed && slices.Contains(methods, reqMethod) {
			w.Header().Set("Access-Control-Allow-Methods", allowMethods)
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.Header().Set("Access-Control-Max-Age", "600")
		}
		// A refused preflight gets no CORS headers, so the browser blocks the real request.
		w.Header().Set("Allow", allowMethods)
		w.WriteHeader(http.StatusNoContent)
	})
}
