package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"
)

// StartOptions are the start options a token fixes; empty ones are left out of it, and
// the browser may then not set them either.
type StartOptions struct {
	ReturnTo        string `json:"returnTo,omitempty"`
	Reference       string `json:"reference,omitempty"`
	Extra           string `json:"extra,omitempty"`
	Lang            string `json:"lang,omitempty"`
	Mode            int    `json:"mode,omitempty"`
	DocumentType    string `json:"documentType,omitempty"`
	RuleID          string `json:"ruleId,omitempty"`
	CompareImageKey string `json:"compareImageKey,omitempty"`
	// CompareImage is the inline photo (base64) that POST /start will carry; the token
	// holds only its SHA-256.
	CompareImage string `json:"-"`
}

// SignStartToken returns a single-use start token for opts, valid for ttl (at most 15
// minutes), signed with secret (one of facegate's FACEGATE_START_TOKEN_SECRETS).
func SignStartToken(secret string, opts StartOptions, ttl time.Duration) (string, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	payload := struct {
		StartOptions
		CompareImageSHA256 string `json:"compareImageSha256,omitempty"`
		Exp                int64  `json:"exp"`
		Nonce              string `json:"nonce"`
	}{StartOptions: opts, Exp: time.Now().Add(ttl).Unix(), Nonce: base64.RawURLEncoding.EncodeToString(nonce)}
	if opts.CompareImage != "" {
		sum := sha256.Sum256([]byte(opts.CompareImage))
		payload.CompareImageSHA256 = hex.EncodeToString(sum[:])
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString(data)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("facegate-start/v1\n" + body))
	return "v1." + body + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)), nil
}
