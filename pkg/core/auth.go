package core

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// merchantAuth reads an Authorization header: (false, nil) when there is none, (true, nil)
// for a valid merchant key, an unauthorized error otherwise. Every configured key is
// compared in constant time, so timing says nothing about which matched or how much.
func (s *Service) merchantAuth(r *http.Request) (bool, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return false, nil
	}
	bad := errorf(CodeUnauthorized, "The merchant key is not valid.")
	if len(h) > maxAuthHeader {
		return false, bad
	}
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return false, bad
	}
	// Hashing first gives equal lengths, so not even a key's length leaks.
	sum := sha256.Sum256([]byte(key))
	match := 0
	for _, k := range s.merchants {
		match |= subtle.ConstantTimeCompare(sum[:], k)
	}
	if match != 1 {
		return false, bad
	}
	return true, nil
}

// merchantKeyHashes returns the SHA-256 of each merchant key, the form keys are compared in.
func merchantKeyHashes(keys []string) [][]byte {
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		sum := sha256.Sum256([]byte(k))
		out = append(out, sum[:])
	}
	return out
}
