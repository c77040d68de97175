package core

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Start tokens let a merchant decide who may start a (billed) verification without
// running /start itself: its backend signs the options it allows, the browser passes the
// token to /start, and /start refuses anything else. A start token is
//
//	v1.<base64url(payload)>.<base64url(HMAC-SHA256(secret, "facegate-start/v1\n" + base64url(payload)))>
//
// where payload is the JSON object of the start options (returnTo, extra, reference, lang,
// mode, documentType, ruleId, compareImageKey, and compareImageSha256 = hex SHA-256 of the
// inline compareImage string) plus "exp", the expiry in Unix seconds, and "nonce", any string
// that makes the token unique. Options in the request must equal the token's (or be left
// out: the token's then apply); an inline image must hash to compareImageSha256. A token
// starts one verification: /start spends it with a create-only mark. Tokens valid for more
// than MaxStartTokenLifetime are refused.

// MaxStartTokenLifetime is the longest a start token may be valid from now.
const MaxStartTokenLifetime = 15 * time.Minute

// maxStartTokenLength bounds what we parse (a payload with the longest returnTo and extra).
const maxStartTokenLength = 12 << 10

// errInvalidStartToken is what verifyStartToken answers for a malformed, forged, expired or
// too long-lived token; the caller sees only invalid_start_token.
var errInvalidStartToken = errors.New("invalid start token")

type startTokenPayload struct {
	Exp int64 `json:"exp"`
	// Nonce makes every token unique, so that two tokens for the same options and
	// second are two tokens: each starts one verification.
	Nonce              string `json:"nonce,omitempty"`
	ReturnTo           string `json:"returnTo,omitempty"`
	Extra              string `json:"extra,omitempty"`
	Reference          string `json:"reference,omitempty"`
	Language           string `json:"lang,omitempty"`
	Mode               int64  `json:"mode,omitempty"`
	DocumentType       string `json:"documentType,omitempty"`
	RuleID             string `json:"ruleId,omitempty"`
	CompareImageKey    string `json:"compareImageKey,omitempty"`
	CompareImageSHA256 string `json:"compareImageSha256,omitempty"`
}

// SignStartToken signs opts (StartToken itself is ignored) for use until expiresAt. It is
// what a merchant backend written in Go calls; other languages follow the format above.
func SignStartToken(secret []byte, opts StartOptions, expiresAt time.Time) (string, error) {
	if len(secret) < MinSecretLength {
		return "", fmt.Errorf("start token secret must be at least %d bytes", MinSecretLength)
	}
	var nonce [12]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", err
	}
	p := startTokenPayload{
		Exp:             expiresAt.Unix(),
		Nonce:           base64.RawURLEncoding.EncodeToString(nonce[:]),
		ReturnTo:        opts.ReturnTo,
		Extra:           opts.Extra,
		Reference:       opts.Reference,
		Language:        opts.Language,
		Mode:            opts.Mode,
		DocumentType:    opts.DocumentType,
		RuleID:          opts.RuleID,
		CompareImageKey: opts.CompareImageKey,
	}
	if opts.CompareImage != "" {
		p.CompareImageSHA256 = sha256Hex(opts.CompareImage)
	}
	data, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString(data)
	return "v1." + body + "." + startTokenMAC(secret, body), nil
}

func startTokenMAC(secret []byte, body string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("facegate-start/v1\n" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func verifyStartToken(secrets [][]byte, token string, now time.Time) (*startTokenPayload, error) {
	if len(token) > maxStartTokenLength {
		return nil, errInvalidStartToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return nil, errInvalidStartToken
	}
	ok := false
	for _, secret := range secrets {
		if hmac.Equal([]byte(startTokenMAC(secret, parts[1])), []byte(parts[2])) {
			ok = true
		}
	}
	if !ok {
		return nil, errInvalidStartToken
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errInvalidStartToken
	}
	var p startTokenPayload
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, errInvalidStartToken
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errInvalidStartToken
	}
	exp := time.Unix(p.Exp, 0)
	if !now.Before(exp) || exp.Sub(now) > MaxStartTokenLifetime {
		return nil, errInvalidStartToken
	}
	return &p, nil
}

// applyStartToken returns the options a valid token allows: the token's values, with the
// request's own values accepted only where they equal the token's.
func applyStartToken(req StartOptions, p *startTokenPayload) (StartOptions, error) {
	mismatch := func(name string) error {
		return errorf(CodeInvalidStartToken, "The option %s does not match the start token.", name)
	}
	out := StartOptions{CompareImage: req.CompareImage}
	for _, f := range []struct {
		name     string
		req, tok string
		dst      *string
	}{
		{"returnTo", req.ReturnTo, p.ReturnTo, &out.ReturnTo},
		{"extra", req.Extra, p.Extra, &out.Extra},
		{"reference", req.Reference, p.Reference, &out.Reference},
		{"lang", req.Language, p.Language, &out.Language},
		{"documentType", req.DocumentType, p.DocumentType, &out.DocumentType},
		{"ruleId", req.RuleID, p.RuleID, &out.RuleID},
		{"compareImageKey", req.CompareImageKey, p.CompareImageKey, &out.CompareImageKey},
	} {
		if f.req != "" && f.req != f.tok {
			return StartOptions{}, mismatch(f.name)
		}
		*f.dst = f.tok
	}
	if req.Mode != 0 && req.Mode != p.Mode {
		return StartOptions{}, mismatch("mode")
	}
	out.Mode = p.Mode
	switch {
	case p.CompareImageSHA256 == "" && req.CompareImage != "":
		return StartOptions{}, mismatch("compareImage")
	case p.CompareImageSHA256 != "" && !hmac.Equal([]byte(sha256Hex(req.CompareImage)), []byte(p.CompareImageSHA256)):
		return StartOptions{}, mismatch("compareImage")
	}
	return out, nil
}
