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

// resultParams reads the token and the optional ticket of a /result query; nothing else
// is accepted.
func resultParams(raw string) (token, ticket string, err error) {
	q, err := parseQuery(raw, maxShortQuery, []string{"token", "ticket"}, false)
	if err != nil {
		return "", "", err
	}
	token, err = checkedToken(q.Get("token"))
	return token, q.Get("ticket"), err
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
