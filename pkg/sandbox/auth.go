package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"mime"
	"net"
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

// apiCall is an authenticated API request: its common parameters, taken from the X-TC-*
// headers (TC3) or from the signed parameters (signature v1), and the action's own.
type apiCall struct {
	action, version, region, language string
	params                            input
	// paramsErr is why the action's parameters cannot be read (a TC3 POST body that is
	// not JSON, for example); it is answered after the front-door checks, as Tencent does.
	paramsErr *apiError
}

// authenticate verifies an API request signed either way Tencent accepts: TC3-HMAC-SHA256
// (an Authorization header) or signature v1 (parameters in a form body or a GET query).
// It answers the AuthFailure code Tencent would.
func (s *Sandbox) authenticate(r *http.Request, body []byte, now time.Time) (apiCall, *apiError) {
	if r.Header.Get("Authorization") != "" {
		return s.authenticateTC3(r, body, now)
	}
	if r.Method == http.MethodGet || hasMediaType(r, formMediaType) {
		return s.authenticateV1(r, body, now)
	}
	return apiCall{}, errorf(codeAuthInvalidAuthz, "The Authorization header is missing: sign with TC3-HMAC-SHA256, "+
		"or send signature v1 parameters in an application/x-www-form-urlencoded POST body or a GET query.")
}

// formMediaType is the body type of a signature v1 POST.
const formMediaType = "application/x-www-form-urlencoded"

func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

// authenticateTC3 verifies a TC3-HMAC-SHA256 signature.
func (s *Sandbox) authenticateTC3(r *http.Request, body []byte, now time.Time) (apiCall, *apiError) {
	a, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return apiCall{}, errorf(codeAuthInvalidAuthz, "The Authorization header is not a valid TC3-HMAC-SHA256 authorization.")
	}
	for _, h := range [...]string{"X-TC-Action", "X-TC-Version", "X-TC-Timestamp", "X-TC-Region"} {
		if r.Header.Get(h) == "" {
			return apiCall{}, errorf(codeAuthInvalidAuthz, "The header %s is missing.", h)
		}
	}
	timestamp := r.Header.Get("X-TC-Timestamp")
	ts, aerr := checkTimestamp(timestamp, "The header X-TC-Timestamp", now)
	if aerr != nil {
		return apiCall{}, aerr
	}
	cred, ok := s.creds[a.secretID]
	if !ok {
		return apiCall{}, errorf(codeAuthSecretIDNotFound, "The SecretId is not found.")
	}
	if aerr := checkToken(cred, r.Header.Get("X-TC-Token"), "X-TC-Token"); aerr != nil {
		return apiCall{}, aerr
	}
	if a.date != time.Unix(ts, 0).UTC().Format(time.DateOnly) || !validService(a.service, r.Host) {
		return apiCall{}, errorf(codeAuthSignatureFailure, "The credential scope does not match the request date or service.")
	}
	if !validSignedHeaders(a.signedHeaders) {
		return apiCall{}, errorf(codeAuthInvalidAuthz, "SignedHeaders must list lower-case header names in order, including content-type and host.")
	}
	payloadHash := sha256Hex(body)
	if r.Header.Get("X-TC-Content-SHA256") == unsignedPayload {
		payloadHash = sha256Hex([]byte(unsignedPayload))
	}
	verified := false
	for _, host := range signingHosts(r.Host) {
		want := tc3Signature(cred.SecretKey, a.date, a.service, timestamp,
			canonicalRequestHash(r, host, a.signedHeaders, payloadHash))
		verified = verified || hmac.Equal([]byte(want), []byte(a.signature))
	}
	if !verified {
		return apiCall{}, errorf(codeAuthSignatureFailure, "The signature does not match.")
	}
	call := apiCall{
		action: r.Header.Get("X-TC-Action"), version: r.Header.Get("X-TC-Version"),
		region: r.Header.Get("X-TC-Region"), language: r.Header.Get("X-TC-Language"),
	}
	switch {
	case r.Method == http.MethodGet:
		// A TC3 GET carries the action's parameters flattened in the (signed) query.
		var flat map[string]string
		if flat, call.paramsErr = parseFlat(r.URL.RawQuery, codeInvalidParameter); call.paramsErr == nil {
			call.params, call.paramsErr = unflatten(flat)
		}
	case !hasMediaType(r, "application/json"):
		call.paramsErr = errorf(codeInvalidParameter, "A TC3-signed POST must have an application/json body.")
	default:
		call.params = jsonInput(body)
	}
	return call, nil
}

// checkTimestamp parses a request's Unix time (what names where it came from) and refuses
// one more than five minutes from now.
func checkTimestamp(value, what string, now time.Time) (int64, *apiError) {
	ts, err := strconv.ParseInt(value, 10, 64)
	if err != nil || ts < 0 {
		return 0, errorf(codeAuthInvalidAuthz, "%s must be a Unix time in seconds.", what)
	}
	if skew := now.Unix() - ts; skew > maxClockSkew || skew < -maxClockSkew {
		return 0, errorf(codeAuthSignatureExpire, "The signature has expired: %s is more than 5 minutes from the server time.", what)
	}
	return ts, nil
}

// checkToken applies the session-token rule: a temporary key is only valid with its
// token; a long-term key has none, so a token sent with it is a misconfigured client (for
// example stale SCF role variables). name is where the token travels.
func checkToken(cred Credential, token, name string) *apiError {
	if cred.Token == "" && token != "" {
		return errorf(codeAuthTokenFailure, "%s was sent with a long-term SecretId.", name)
	}
	if cred.Token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(cred.Token)) != 1 {
		return errorf(codeAuthTokenFailure, "The %s is missing or invalid for this temporary SecretId.", name)
	}
	return nil
}

// signingHosts are the spellings of the Host a client may have signed: as sent, and
// without the port. Clients sign the endpoint they were given, and some (Tencent's
// Node.js SDK with TC3) sign the host name alone while sending host:port. On Tencent's
// own endpoints, port 443, the two are the same.
func signingHosts(host string) []string {
	name, _, err := net.SplitHostPort(host)
	if err != nil {
		return []string{host}
	}
	if strings.Contains(name, ":") {
		name = "[" + name + "]"
	}
	return []string{host, name}
}

// validService accepts the credential scope's service: faceid, or the first label of the
// host the request was sent to. Tencent's service is the first label of its endpoint
// (faceid.tencentcloudapi.com); some SDKs (Go) sign the service by name, others (Node.js)
// derive it from the endpoint they were given, which for the sandbox is 127.0.0.1:8090
// ("127") or localhost:8090 ("localhost:8090", there being no dot).
func validService(service, host string) bool {
	if service == apiService {
		return true
	}
	for _, h := range signingHosts(host) {
		if label, _, _ := strings.Cut(h, "."); service == label {
			return true
		}
	}
	return false
}

// canonicalRequestHash is hex(sha256(CanonicalRequest)) for a request to "/" with the
// query as sent: the canonical headers are those SignedHeaders lists, names and values
// lower-cased and trimmed, and "host" is the spelling of the Host being tried.
func canonicalRequestHash(r *http.Request, host, signedHeaders, payloadHash string) string {
	h := sha256.New()
	io.WriteString(h, r.Method)
	io.WriteString(h, "\n/\n")
	io.WriteString(h, r.URL.RawQuery)
	io.WriteString(h, "\n")
	for name := range strings.SplitSeq(signedHeaders, ";") {
		value := host
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
