package sandbox

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signature v1 is Tencent's older signature and the default of its Node.js SDK: the
// request's fields flattened into parameters (Config.CheckMode=3) beside the common ones,
// sent as an application/x-www-form-urlencoded POST body or a GET query, and
//
//	Signature = base64(HMAC-SHA256 or HMAC-SHA1(SecretKey,
//	            METHOD + host + "/" + "?" + every other parameter sorted by name as k=v joined by &))
//
// with the values as they are, not URL-encoded.

// Values of the SignatureMethod parameter.
const (
	v1HmacSHA256 = "HmacSHA256"
	v1HmacSHA1   = "HmacSHA1"
)

// v1Common are the parameters of signature v1 that are not the action's own.
var v1Common = []string{
	"Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod",
	"Signature", "Token", "Language", "RequestClient",
}

// v1Required are the common parameters without which a v1 request is refused.
var v1Required = []string{"Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "Signature"}

// authenticateV1 verifies a signature v1 request and splits its parameters into the
// common ones and the action's own, which are un-flattened into the object a JSON body
// would have carried.
func (s *Sandbox) authenticateV1(r *http.Request, body []byte, now time.Time) (apiCall, *apiError) {
	raw := r.URL.RawQuery
	if r.Method == http.MethodPost {
		if raw != "" {
			return apiCall{}, errorf(codeAuthInvalidAuthz, "A signature v1 POST carries its parameters in the body; the URL must have no query.")
		}
		raw = string(body)
	}
	params, aerr := parseFlat(raw, codeAuthInvalidAuthz)
	if aerr != nil {
		return apiCall{}, aerr
	}
	for _, name := range v1Required {
		if params[name] == "" {
			return apiCall{}, errorf(codeAuthInvalidAuthz, "The signature v1 parameter %s is missing.", name)
		}
	}
	// Tencent verifies with HMAC-SHA1 unless SignatureMethod says HmacSHA256; a method
	// it does not know is refused rather than silently taken for SHA1.
	var newHash func() hash.Hash
	switch params["SignatureMethod"] {
	case v1HmacSHA256:
		newHash = sha256.New
	case v1HmacSHA1, "":
		newHash = sha1.New
	default:
		return apiCall{}, errorf(codeAuthInvalidAuthz, "The parameter SignatureMethod must be HmacSHA256 or HmacSHA1.")
	}
	if _, aerr := checkTimestamp(params["Timestamp"], "The parameter Timestamp", now); aerr != nil {
		return apiCall{}, aerr
	}
	// Tencent's Node.js SDK draws the nonce from 0 to 65535, so 0 occurs.
	if _, err := strconv.ParseUint(params["Nonce"], 10, 64); err != nil {
		return apiCall{}, errorf(codeAuthInvalidAuthz, "The parameter Nonce must be a non-negative integer.")
	}
	cred, ok := s.creds[params["SecretId"]]
	if !ok {
		return apiCall{}, errorf(codeAuthSecretIDNotFound, "The SecretId is not found.")
	}
	if aerr := checkToken(cred, params["Token"], "Token"); aerr != nil {
		return apiCall{}, aerr
	}
	got, err := base64.StdEncoding.DecodeString(params["Signature"])
	if err != nil || !verifyV1(r.Method, r.Host, params, cred.SecretKey, newHash, got) {
		return apiCall{}, errorf(codeAuthSignatureFailure, "The signature does not match.")
	}
	call := apiCall{
		action: params["Action"], version: params["Version"], region: params["Region"], language: params["Language"],
	}
	own := make(map[string]string, len(params))
	for k, v := range params {
		if !slices.Contains(v1Common, k) {
			own[k] = v
		}
	}
	call.params, call.paramsErr = unflatten(own)
	return call, nil
}

// verifyV1 reports whether sig signs params for either spelling of the host: the client
// signs the endpoint as it was written, with the port if it had one.
func verifyV1(method, host string, params map[string]string, secretKey string, newHash func() hash.Hash, sig []byte) bool {
	names := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var query strings.Builder
	for i, k := range names {
		if i > 0 {
			query.WriteByte('&')
		}
		query.WriteString(k)
		query.WriteByte('=')
		query.WriteString(params[k])
	}
	verified := false
	for _, h := range signingHosts(host) {
		mac := hmac.New(newHash, []byte(secretKey))
		mac.Write([]byte(method + h + "/?" + query.String()))
		verified = verified || hmac.Equal(mac.Sum(nil), sig)
	}
	return verified
}

// parseFlat decodes URL-encoded parameters, each name at most once; code is the error
// code of a malformed or repeated parameter (an authentication failure when the
// signature rides among them).
func parseFlat(raw, code string) (map[string]string, *apiError) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errorf(code, "The parameters are not valid URL encoding.")
	}
	params := make(map[string]string, len(values))
	for k, v := range values {
		if len(v) > 1 {
			return nil, errorf(code, "The parameter %s is given more than once.", k)
		}
		params[k] = v[0]
	}
	return params, nil
}
