package cosstore

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tencentyun/cos-go-sdk-v5"
)

// Credentials are a Tencent Cloud key pair, with the session token that temporary
// (role) keys carry.
type Credentials struct {
	SecretID     string
	SecretKey    string
	SessionToken string
}

// CredentialFunc returns the credentials to sign the next request with. It is called
// for every request, because SCF's role keys rotate while a function instance lives.
type CredentialFunc func() (Credentials, error)

// StaticCredentials returns fixed long-term (or test) credentials.
func StaticCredentials(id, key, token string) CredentialFunc {
	c := Credentials{SecretID: id, SecretKey: key, SessionToken: token}
	return func() (Credentials, error) { return c, nil }
}

// signatureLifetime is how long one request's signature stays valid: long enough for
// clock skew and a slow upload, short enough that a logged header is soon worthless.
const signatureLifetime = 15 * time.Minute

// Transport signs each COS request with the credentials Credentials returns at that
// moment, then sends it with Base (http.DefaultTransport when nil). It is what the COS
// SDK's AuthorizationTransport is for fixed keys, for keys that rotate. It also lets the
// SDK presign URLs with the current keys (it implements the SDK's GetCredential hook).
type Transport struct {
	Credentials CredentialFunc
	Base        http.RoundTripper
}

// RoundTrip implements http.RoundTripper. It never sends an unsigned request: missing
// or malformed credentials fail the request instead.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, err := t.current()
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	req = req.Clone(req.Context()) // a RoundTripper must not change the caller's request
	cos.AddAuthorizationHeader(c.SecretID, c.SecretKey, c.SessionToken, req, cos.NewAuthTime(signatureLifetime))
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

// GetCredential returns the current credentials; the COS SDK calls it to presign URLs.
func (t *Transport) GetCredential() (string, string, string, error) {
	c, err := t.current()
	if err != nil {
		return "", "", "", err
	}
	return c.SecretID, c.SecretKey, c.SessionToken, nil
}

func (t *Transport) current() (Credentials, error) {
	if t.Credentials == nil {
		return Credentials{}, errors.New("cosstore: Transport has no CredentialFunc")
	}
	c, err := t.Credentials()
	if err != nil {
		return Credentials{}, err
	}
	// The error text names the problem, never the values.
	if c.SecretID == "" || c.SecretKey == "" {
		return Credentials{}, errors.New("cosstore: credentials lack a SecretId or SecretKey")
	}
	if c.SecretID != strings.TrimSpace(c.SecretID) || c.SecretKey != strings.TrimSpace(c.SecretKey) || c.SessionToken != strings.TrimSpace(c.SessionToken) {
		return Credentials{}, errors.New("cosstore: credentials have leading or trailing spaces")
	}
	return c, nil
}
