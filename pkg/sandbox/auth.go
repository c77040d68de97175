package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	tc3Algorithm  = "TC3-HMAC-SHA256"
	tc3Terminator = "tc3_request"
	// maxClockSkew is how far X-TC-Timestamp may be from the sandbox clock.
	maxClockSkew = 300 // seconds
	// unsignedPayload is the X-TC-Content-SHA256 value by which the SDK leaves the body
	// out of the signature; the payload hash is then that of this literal string.
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// tc3Authorization is a parsed Authorization header:
// "TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=a;b, Signature=<hex>".
type tc3Authorization struct {
	secretID      string
	date          string
	service       string
	signedHeaders string
	signature     string
}

// parseAuthorization reports ok false for anything that is not a well-formed TC3 header.
func parseAuthorization(h string) (a tc3Authorization, ok bool) {
	rest, ok := strings.CutPrefix(h, tc3Algorithm+" ")
	if !ok {
		return a, false
	}
	var credential string
	var seen [3]bool
	for range 3 {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		key, value, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || value == "" {
			return a, false
		}
		var i int
		switch key {
		case "Credential":
			i, credential = 0, value
		case "SignedHeaders":
			i, a.signedHeaders = 1, value
		case "Signature":
			i, a.signature = 2, value
		default:
			return a, false
		}
		if seen[i] {
			return a, false
		}
		seen[i] = true
	}
	if strings.TrimSpace(rest) != "" {
		return a, false
	}
	var terminator string
	a.secretID, credential, _ = strings.Cut(credential, "/")
	a.date, credential, _ = strings.Cut(credential, "/")
	a.service, terminator, _ = strings.Cut(credential, "/")
	if a.secretID == "" || a.service == "" || terminator != tc3Terminator {
		return a, false
	}
	if _, err := time.Parse(time.DateOnly, a.date); err != nil {
		return a, false
	}
	if len(a.signature) != sha256.Size*2 || !isLowerHex(a.signature) {
		return a, false
	}
	return a, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// validSignedHeaders checks the SignedHeaders list: lower-case names in ascending order,
// no duplicates, content-type and host among them (Tencent requires both signed).
func validSignedHeaders(list string) bool {
	var prev string
	var hasType, hasHost bool
	for name := range strings.SplitSeq(list, ";") {
		if name == "" || name <= prev || strings.ToLower(name) != name {
			return false
		}
		hasType = hasType || name == "content-type"
		hasHost = hasHost || name == "host"
		prev = name
	}
	return hasType && hasHost
}

// authenticate verifies the TC3-HMAC-SHA256 signature of an API request against the
// sandbox's credentials and clock, answering the AuthFailure code Tencent would.
func (s *Sandbox) authenticate(r *http.Request, body []byte, now time.Time) *apiError {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return errorf(codeAuthInvalidAuthz, "The Authorization header is missing.")
	}
	a, ok := parseAuthorization(authz)
	if !ok {
		return errorf(codeAuthInvalidAuthz, "The Authorization header is not a valid TC3-HMAC-SHA256 authorization.")
	}
	for _, h := range [...]string{"X-TC-Action", "X-TC-Version", "X-TC-Timestamp", "X-TC-Region"} {
		if r.Header.Get(h) == "" {
			return errorf(codeAuthInvalidAuthz, "The header %s is missing.", h)
		}
	}
	timestamp := r.Header.Get("X-TC-Timestamp")
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ts < 0 {
		return errorf(codeAuthInvalidAuthz, "The header X-TC-Timestamp must be a Unix time in seconds.")
	}
	if skew := now.Unix() - ts; skew > maxClockSkew || skew < -maxClockSkew {
		return errorf(codeAuthSignatureExpire, "The signature has expired: X-TC-Timestamp is more than 5 minutes from the server time.")
	}
	cred, ok := s.creds[a.secretID]
	if !ok {
		return errorf(codeAuthSecretIDNotFound, "The SecretId is not found.")
	}
	// A temporary key is only valid with its session token; a long-term key has none, so a
	// token sent with it is a misconfigured client (for example stale SCF role variables).
	token := r.Header.Get("X-TC-Token")
	if cred.Token == "" && token != "" {
		return errorf(codeAuthTokenFailure, "X-TC-Token was sent with a long-term SecretId.")
	}
	if cred.Token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(cred.Token)) != 1 {
		return errorf(codeAuthTokenFailure, "The X-TC-Token is missing or invalid for this temporary SecretId.")
	}
	if a.date != time.Unix(ts, 0).UTC().Format(time.DateOnly) || a.service != apiService {
		return errorf(codeAuthSignatureFailure, "The credential scope does not match the request date or service.")
	}
	if !validSignedHeaders(a.signedHeaders) {
		return errorf(codeAuthInvalidAuthz, "SignedHeaders must list lower-case header names in order, including content-type and host.")
	}
	payloadHash := sha256Hex(body)
	if r.Header.Get("X-TC-Content-SHA256") == unsignedPayload {
		payloadHash = sha256Hex([]byte(unsignedPayload))
	}
	want := tc3Signature(cred.SecretKey, a.date, a.service, timestamp,
		canonicalRequestHash(r, a.signedHeaders, payloadHash))
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return errorf(codeAuthSignatureFailure, "The signature does not match.")
	}
	return nil
}

// canonicalRequestHash is hex(sha256(CanonicalRequest)) for a POST to "/": the canonical
// headers are those SignedHeaders lists, names and values lower-cased and trimmed, and
// "host" is the Host the client sent (the SDK signs the host it connects to).
func canonicalRequestHash(r *http.Request, signedHeaders, payloadHash string) string {
	h := sha256.New()
	io.WriteString(h, r.Method)
	io.WriteString(h, "\n/\n\n")
	for name := range strings.SplitSeq(signedHeaders, ";") {
		value := r.Host
		if name != "host" {
			value = strings.Join(r.Header.Values(name), ",")
		}
		io.WriteString(h, name)
		io.WriteString(h, ":")
		io.WriteString(h, strings.ToLower(strings.TrimSpace(value)))
		io.WriteString(h, "\n")
	}
	io.WriteString(h, "\n")
	io.WriteString(h, signedHeaders)
	io.WriteString(h, "\n")
	io.WriteString(h, payloadHash)
	return hex.EncodeToString(h.Sum(nil))
}

// tc3Signature derives the signing key from secretKey and signs the StringToSign.
func tc3Signature(secretKey, date, service, timestamp, canonicalHash string) string {
	mac := func(key []byte, data ...string) []byte {
		m := hmac.New(sha256.New, key)
		for _, d := range data {
			io.WriteString(m, d)
		}
		return m.Sum(nil)
	}
	kDate := mac([]byte("TC3"+secretKey), date)
	kService := mac(kDate, service)
	kSigning := mac(kService, tc3Terminator)
	return hex.EncodeToString(mac(kSigning,
		tc3Algorithm, "\n", timestamp, "\n", date, "/", service, "/", tc3Terminator, "\n", canonicalHash))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
