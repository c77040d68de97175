package core

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The browser binding: /start sets one cookie holding a random nonce and keeps only its
// hash in the session; /callback refuses to finish a session in a browser that does not
// hold the nonce, so a verification done by someone else cannot land in this browser.

// nonceBytes is the binding nonce's entropy.
const nonceBytes = 32

// maxCookieValue bounds the cookie we hash; a real one is 43 characters.
const maxCookieValue = 128

type cookieSpec struct {
	name   string
	path   string
	secure bool
	maxAge time.Duration
}

// newCookieSpec scopes the cookie to the callback's path, the only place it is read. The
// __Secure- prefix makes browsers refuse it over plain HTTP or without Secure. The cookie
// lives as long as a user may take to start and finish on Tencent's page (maxAge), and
// no longer.
func newCookieSpec(callbackPath string, secure bool, maxAge time.Duration) cookieSpec {
	if callbackPath == "" {
		callbackPath = "/"
	}
	name := "facegate_binding"
	if secure {
		name = "__Secure-facegate_binding"
	}
	return cookieSpec{name: name, path: callbackPath, secure: secure, maxAge: maxAge}
}

// newNonce returns a fresh binding nonce and the hash the session keeps.
func (s *Service) newNonce() (nonce, hash string, err error) {
	b := make([]byte, nonceBytes)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", "", fmt.Errorf("binding nonce: %w", err)
	}
	nonce = base64.RawURLEncoding.EncodeToString(b)
	return nonce, bindingHash(nonce), nil
}

func bindingHash(nonce string) string { return sha256Hex(nonce) }

func (c cookieSpec) set(w http.ResponseWriter, nonce string) {
	http.SetCookie(w, &http.Cookie{
		Name:     c.name,
		Value:    nonce,
		Path:     c.path,
		MaxAge:   int(c.maxAge.Seconds()),
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// bound reports whether the request holds the nonce whose hash is want. Comparison is in
// constant time over the hashes.
func (c cookieSpec) bound(r *http.Request, want string) bool {
	ck, err := r.Cookie(c.name)
	if err != nil || ck.Value == "" || len(ck.Value) > maxCookieValue {
		return false
	}
	got := bindingHash(ck.Value)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
