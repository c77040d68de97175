package core

import (
	"crypto/sha256"
	"encoding/hex"
)

// maxTokenLength bounds a BizToken; Tencent's are 36-character UUIDs.
const maxTokenLength = 128

// validToken accepts the shape of a BizToken: 1-128 characters of letters, digits, '-',
// '_' and '.'. Anything else is refused before it reaches the store or Tencent.
func validToken(t string) bool {
	if t == "" || len(t) > maxTokenLength {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// callbackToken reads the token of a callback URL. The callback address may carry the
// deployment's own parameters, so others are ignored; the token must appear once.
func callbackToken(raw string) (string, error) {
	q, err := parseQuery(raw, maxShortQuery, []string{"token"}, true)
	if err != nil {
		return "", err
	}
	return checkedToken(q.Get("token"))
}

// resultRequest is a /result query: exactly one of token (with an optional ticket),
// session, or reference (with its paging parameters).
type resultRequest struct {
	token, ticket string
	hash          string // the session: the token's hash, or the session id given
	session       string
	reference     string
	after         string
	limit         int
	handoff       string // a desktop following a handoff, with its watch secret
	watch         string
}

// resultQuery reads a /result query; nothing but its parameters is accepted.
func resultQuery(raw string) (resultRequest, error) {
	var r resultRequest
	q, err := parseQuery(raw, maxShortQuery, []string{"token", "ticket", "session", "reference", "after", "limit", "handoff", "watch"}, false)
	if err != nil {
		return r, err
	}
	if q.Has("handoff") || q.Has("watch") {
		if len(q) != 2 || !q.Has("handoff") || !q.Has("watch") {
			return r, errorf(CodeInvalidRequest, "A handoff's status takes handoff and watch, and nothing else.")
		}
		r.handoff, r.watch = q.Get("handoff"), q.Get("watch")
		return r, nil
	}
	given := 0
	for _, k := range []string{"token", "session", "reference"} {
		if q.Has(k) {
			given++
		}
	}
	switch {
	case given > 1:
		return r, errorf(CodeInvalidRequest, "Give one of token, session or reference.")
	case q.Has("reference"):
		return referenceQuery(q.Get("reference"), q.Get("after"), q.Get("limit"), q.Has("ticket"))
	case q.Has("after") || q.Has("limit"):
		return r, errorf(CodeInvalidRequest, "after and limit page a lookup by reference.")
	case q.Has("session"):
		r.session = q.Get("session")
		if !validSessionID(r.session) {
			return r, errorf(CodeInvalidRequest, "session must be the 64 hexadecimal characters webhooks and results name.")
		}
		if q.Has("ticket") {
			return r, errorf(CodeInvalidRequest, "A ticket goes with its token.")
		}
		r.hash = r.session
		return r, nil
	}
	if r.token, err = checkedToken(q.Get("token")); err != nil {
		return r, err
	}
	r.ticket, r.hash = q.Get("ticket"), tokenHash(r.token)
	return r, nil
}

// validSessionID accepts what tokenHash produces: 64 lower-case hexadecimal characters.
func validSessionID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func checkedToken(token string) (string, error) {
	if !validToken(token) {
		return "", errorf(CodeInvalidToken, "The verification token is missing or malformed.")
	}
	return token, nil
}

// tokenHash is the hex SHA-256 of a BizToken: the only form of a token that appears in
// object keys, records, tickets and logs.
func tokenHash(bizToken string) string {
	return sha256Hex(bizToken)
}

// shortHash is enough of a token hash to correlate log lines, and nothing more.
func shortHash(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
