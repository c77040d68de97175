// Package errbody is the one shape of every error answer of the HTTP API,
// {"error":{"code":"…","message":"…"}}, shared by the core's handlers, the platform
// adapters' own answers (an unreadable event, a response too large) and the wiring's
// answer while a function's configuration is incomplete, so a client parses one shape
// whoever answered.
package errbody

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// Body is the JSON document of an error answer.
type Body struct {
	Error Detail `json:"error"`
}

// Detail is the stable machine code and a message a person can read.
type Detail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Internal is the answer to a fault on our side: the code and message never carry its cause.
const (
	InternalCode    = "internal"
	InternalMessage = "Something went wrong on our side. Please try again."
)

// JSON returns the encoded body of an error answer, newline-terminated.
func JSON(code, message string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // messages are text, never embedded in HTML
	if err := enc.Encode(Body{Error: Detail{Code: code, Message: message}}); err != nil {
		// Two strings always encode; keep the shape even if that ever changes.
		return []byte(`{"error":{"code":"internal","message":"` + InternalMessage + `"}}` + "\n")
	}
	return buf.Bytes()
}

// SetHeaders sets what every error answer carries: its type, and the protective headers
// that keep it out of caches and away from content sniffing and Referer leaks.
func SetHeaders(h http.Header) {
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// Write answers an error with status, code and message.
func Write(w http.ResponseWriter, status int, code, message string) {
	body := JSON(code, message)
	SetHeaders(w.Header())
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
