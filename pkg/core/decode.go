package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
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

// decodeJSON reads a capped JSON object strictly: the media type must be JSON, the size
// within limit, every key one of v's JSON field names exactly as written (Go's decoder
// alone would take "RETURNTO" for "returnTo") and given once, and nothing after the value.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errorf(CodeUnsupportedMediaType, "The request body must be application/json.")
	}
	if r.ContentLength > limit {
		return errorf(CodeBodyTooLarge, "The request body is larger than %d bytes.", limit)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return jsonError(err, limit)
	}
	if err := checkObjectKeys(data, jsonFieldNames(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(CodeInvalidRequest, "The request body must hold exactly one JSON object.")
	}
	return nil
}

// checkObjectKeys walks the top level of a JSON object and refuses a key that is not in
// names (compared exactly) or that comes twice. Values are skipped unread; what is not an
// object is left to the decoder to refuse.
func checkObjectKeys(data []byte, names []string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := make(map[string]bool, len(names))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		if !slices.Contains(names, key) {
			return errorf(CodeInvalidRequest, "Unknown field %q.", clip(key, 64))
		}
		if seen[key] {
			return errorf(CodeInvalidRequest, "The field %q is given twice.", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// jsonFieldNames lists the JSON names of the fields of the struct v points to.
func jsonFieldNames(v any) []string {
	t := reflect.TypeOf(v).Elem()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
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

// parseQuery parses a raw query string of at most limit bytes in which each of known
// appears at most once. Parameters outside known are refused unless ignoreUnknown.
func parseQuery(raw string, limit int, known []string, ignoreUnknown bool) (url.Values, error) {
	if len(raw) > limit {
		return nil, errorf(CodeInvalidRequest, "The query string is longer than %d bytes.", limit)
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errorf(CodeInvalidRequest, "The query string is malformed.")
	}
	for k, v := range q {
		if !slices.Contains(known, k) {
			if ignoreUnknown {
				continue
			}
			return nil, errorf(CodeInvalidRequest, "Unknown query parameter %q.", clip(k, 40))
		}
		if len(v) != 1 {
			return nil, errorf(CodeInvalidRequest, "The query parameter %q is repeated.", k)
		}
	}
	return q, nil
}

// clip shortens caller text echoed in a message, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
