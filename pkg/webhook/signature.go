package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a signature's timestamp may be from the receiver's clock, in
// either direction. It bounds how long a captured delivery can be replayed.
const Tolerance = 5 * time.Minute

// MinSecretLength is the shortest webhook secret, in bytes (see CheckSecrets).
const MinSecretLength = 32

// maxHeaderLength bounds the signature header Verify reads: 8 KiB is room for over a
// hundred v1 values, far more than anyone rotates through at once.
const maxHeaderLength = 8 << 10

// The errors of Verify, to tell apart with errors.Is. Each is a reason to refuse the
// delivery; the returned error may add detail after the sentinel's text.
var (
	// ErrNoSignature: the header is empty or has no v1 signature.
	ErrNoSignature = errors.New("webhook: no v1 signature")
	// ErrMalformedHeader: no t, a t that is not unix seconds, two t, or an overlong header.
	ErrMalformedHeader = errors.New("webhook: malformed signature header")
	// ErrTimestamp: t is more than Tolerance away from now (a replay, or a wrong clock).
	ErrTimestamp = errors.New("webhook: signature timestamp outside the tolerance")
	// ErrMismatch: no v1 is the signature of this body by any of the secrets.
	ErrMismatch = errors.New("webhook: signature does not match")
	// ErrNoSecret: Verify was given no non-empty secret. This is the receiver's
	// configuration, not the delivery, at fault.
	ErrNoSecret = errors.New("webhook: no secret to verify with")
)

// Sign returns the Facegate-Signature header value for body sent at t: the timestamp and
// one v1 per secret, in the order given. Check the secrets with CheckSecrets first.
func Sign(body []byte, secrets []string, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, secret := range secrets {
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(signature(secret, ts, body)))
	}
	return b.String()
}

// Verify checks header, a Facegate-Signature value, against body, the request body exactly
// as received. It accepts when t is within Tolerance of now and any v1 is the signature
// of t and body by any of secrets (empty secrets are skipped), comparing in constant
// time. Parts other than t and v1 (v0=, v2=, text without '=') and spaces around parts
// are ignored; a v1 that is not 64 hex digits matches nothing. It returns nil or an
// error matching one of ErrNoSignature, ErrMalformedHeader, ErrTimestamp, ErrMismatch
// and ErrNoSecret, and never panics.
func Verify(body []byte, header string, secrets []string, now time.Time) error {
	if !slices.ContainsFunc(secrets, func(s string) bool { return s != "" }) {
		return ErrNoSecret
	}
	ts, sigs, err := parseHeader(header)
	if err != nil {
		return err
	}
	t, _ := strconv.ParseInt(ts, 10, 64) // parseHeader allows only up to 18 digits
	tol := int64(Tolerance / time.Second)
	switch age := now.Unix() - t; {
	case age > tol:
		return fmt.Errorf("%w: t is %ds old", ErrTimestamp, age)
	case age < -tol:
		return fmt.Errorf("%w: t is %ds ahead", ErrTimestamp, -age)
	}
	matched := 0
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		want := signature(secret, ts, body)
		for _, sig := range sigs {
			// Every pair is compared, whatever matched before: the time taken says nothing
			// about which secret or which v1 matched.
			if hmac.Equal(sig, want) {
				matched++
			}
		}
	}
	if matched == 0 {
		return ErrMismatch
	}
	return nil
}

// CheckSecrets reports whether secrets can sign webhooks: at least one, and each at least
// MinSecretLength bytes. The error names a secret by its position, never by its value.
func CheckSecrets(secrets []string) error {
	if len(secrets) == 0 {
		return fmt.Errorf("webhook: at least one secret of %d+ characters is needed", MinSecretLength)
	}
	for i, s := range secrets {
		if len(s) < MinSecretLength {
			return fmt.Errorf("webhook: secret %d of %d is shorter than %d characters", i+1, len(secrets), MinSecretLength)
		}
	}
	return nil
}

// signature is HMAC-SHA256(secret, ts + "." + body).
func signature(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// parseHeader returns the header's t, exactly as written (it is what was signed), and its
// well-formed v1 signatures, decoded.
func parseHeader(header string) (ts string, sigs [][]byte, err error) {
	if len(header) > maxHeaderLength {
		return "", nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHeader, maxHeaderLength)
	}
	if strings.TrimSpace(header) == "" {
		return "", nil, ErrNoSignature
	}
	haveT, haveV1 := false, false
	for part := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch key {
		case "t":
			if haveT {
				return "", nil, fmt.Errorf("%w: more than one t", ErrMalformedHeader)
			}
			if !isSeconds(value) {
				return "", nil, fmt.Errorf("%w: t is not unix seconds", ErrMalformedHeader)
			}
			haveT, ts = true, value
		case "v1":
			haveV1 = true
			if sig, err := hex.DecodeString(value); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	if !haveT {
		return "", nil, fmt.Errorf("%w: no t", ErrMalformedHeader)
	}
	if !haveV1 {
		return "", nil, ErrNoSignature
	}
	return ts, sigs, nil
}

// isSeconds reports whether s is 1 to 18 decimal digits: unix seconds, with no sign and
// no room to overflow an int64.
func isSeconds(s string) bool {
	if len(s) == 0 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
