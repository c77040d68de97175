package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// sdkClient is Tencent's own SDK core pointed at endpoint over plain HTTP.
func sdkClient(endpoint string, cred common.CredentialIface, unsigned bool, transport http.RoundTripper) *common.Client {
	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint = endpoint
	p.HttpProfile.Scheme = "HTTP"
	p.UnsignedPayload = unsigned
	c := common.NewCommonClient(cred, "ap-singapore", p)
	if transport != nil {
		c.WithHttpTransport(transport)
	}
	return c
}

// sdkSend sends one action through the SDK and returns the Response member.
func sdkSend(c *common.Client, action string, params map[string]any) (map[string]any, error) {
	req := tchttp.NewCommonRequest("faceid", "2018-03-01", action)
	if err := req.SetActionParameters(params); err != nil {
		return nil, err
	}
	resp := tchttp.NewCommonResponse()
	if err := c.Send(req, resp); err != nil {
		return nil, err
	}
	var out struct{ Response map[string]any }
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		return nil, err
	}
	return out.Response, nil
}

// startServers runs the sandbox's two handlers on loopback.
func startServers(t testing.TB, opts Options) (sb *Sandbox, api, page *httptest.Server) {
	page = httptest.NewUnstartedServer(nil)
	opts.PageURL = "http://" + page.Listener.Addr().String()
	sb = New(opts)
	page.Config.Handler = sb.PageHandler()
	page.Start()
	api = httptest.NewServer(sb.APIHandler())
	t.Cleanup(func() { api.Close(); page.Close() })
	return sb, api, page
}

func applyParams() map[string]any {
	return map[string]any{
		"RedirectURL":        "https://merchant.test/callback?session=1",
		"CompareImageBase64": testJPEGBase64(),
		"Extra":              "order-42",
		"Config":             map[string]any{"Language": "en", "AutoSkip": true},
	}
}

// Requests signed by the real SDK verify, over HTTP, with each credential kind and with
// the SDK's unsigned-payload mode.
func TestSDKSignedRequestsVerify(t *testing.T) {
	_, api, _ := startServers(t, Options{})
	endpoint := strings.TrimPrefix(api.URL, "http://")
	for _, tc := range []struct {
		name     string
		cred     common.CredentialIface
		unsigned bool
	}{
		{"long-term key", common.NewCredential(TestSecretID, TestSecretKey), false},
		{"temporary key with token", common.NewTokenCredential(TestTempSecretID, TestTempSecretKey, TestSessionToken), false},
		{"unsigned payload", common.NewCredential(TestSecretID, TestSecretKey), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sdkClient(endpoint, tc.cred, tc.unsigned, nil)
			resp, err := sdkSend(c, actionApplyIntl, applyParams())
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			tok, _ := resp["BizToken"].(string)
			if !isBizToken(tok) {
				t.Fatalf("BizToken %q", tok)
			}
			res, err := sdkSend(c, actionResultIntl, map[string]any{"BizToken": tok})
			if err != nil {
				t.Fatalf("result: %v", err)
			}
			if res["ErrorCode"] != nil || res["Extra"] != "order-42" {
				t.Fatalf("pending result %v", res)
			}
		})
	}
}

// captureTransport records the request the SDK would send and answers it locally, so the
// signed request can be replayed with one thing changed.
type captureTransport struct {
	req  *http.Request
	body []byte
}

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.req, c.body = r, body
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"Response":{"RequestId":"captured"}}`)), Request: r,
	}, nil
}

// captureSigned returns a request signed by the SDK with cred for testHost.
func captureSigned(t *testing.T, cred common.CredentialIface) (*http.Request, []byte) {
	t.Helper()
	ct := &captureTransport{}
	if _, err := sdkSend(sdkClient(testHost, cred, false, ct), actionApplyIntl, applyParams()); err != nil {
		t.Fatal(err)
	}
	return ct.req, ct.body
}

// replay rebuilds a captured request for the handler.
func replay(captured *http.Request, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "http://"+captured.Host+"/", bytes.NewReader(body))
	req.Host = captured.Host
	for k, v := range captured.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	return req
}

// Exactly one thing changes per case; each change gets the AuthFailure code (or the later
// front-door code) Tencent answers.
func TestSignatureTamper(t *testing.T) {
	longTerm := common.NewCredential(TestSecretID, TestSecretKey)
	temporary := common.NewTokenCredential(TestTempSecretID, TestTempSecretKey, TestSessionToken)
	setHeader := func(k, v string) func(*http.Request, *[]byte) {
		return func(r *http.Request, _ *[]byte) { r.Header.Set(k, v) }
	}
	delHeader := func(k string) func(*http.Request, *[]byte) {
		return func(r *http.Request, _ *[]byte) { r.Header.Del(k) }
	}
	editAuth := func(old, new string) func(*http.Request, *[]byte) {
		return func(r *http.Request, _ *[]byte) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	shiftTimestamp := func(d int64) func(*http.Request, *[]byte) {
		return func(r *http.Request, _ *[]byte) {
			ts, _ := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
			r.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts+d, 10))
		}
	}
	cases := []struct {
		name   string
		cred   common.CredentialIface
		mutate func(*http.Request, *[]byte)
		clock  time.Duration // sandbox clock minus the request's timestamp
		want   string        // "" means accepted
	}{
		{name: "unchanged", want: ""},
		{name: "temporary key unchanged", cred: temporary, want: ""},
		{name: "one body byte", mutate: func(_ *http.Request, b *[]byte) {
			*b = bytes.Replace(*b, []byte("merchant"), []byte("merchanT"), 1)
		}, want: codeAuthSignatureFailure},
		{name: "host", mutate: func(r *http.Request, _ *[]byte) { r.Host = "faceid.tencentcloudapi.com" }, want: codeAuthSignatureFailure},
		{name: "timestamp +301 s", mutate: shiftTimestamp(301), want: codeAuthSignatureExpire},
		{name: "timestamp -301 s", mutate: shiftTimestamp(-301), want: codeAuthSignatureExpire},
		{name: "timestamp +1 s (signed)", mutate: shiftTimestamp(1), want: codeAuthSignatureFailure},
		{name: "server clock +301 s", clock: 301 * time.Second, want: codeAuthSignatureExpire},
		{name: "server clock -301 s", clock: -301 * time.Second, want: codeAuthSignatureExpire},
		{name: "server clock +300 s", clock: 300 * time.Second, want: ""},
		{name: "secret key", cred: common.NewCredential(TestSecretID, TestSecretKey+"x"), want: codeAuthSignatureFailure},
		{name: "SecretId", cred: common.NewCredential("AKID-not-known", TestSecretKey), want: codeAuthSecretIDNotFound},
		{name: "credential date", mutate: func(r *http.Request, b *[]byte) {
			ts, _ := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
			day := time.Unix(ts, 0).UTC()
			editAuth(day.Format(time.DateOnly), day.AddDate(0, 0, -1).Format(time.DateOnly))(r, b)
		}, want: codeAuthSignatureFailure},
		{name: "credential service", mutate: editAuth("/faceid/", "/cvm/"), want: codeAuthSignatureFailure},
		{name: "signed header added", mutate: editAuth("SignedHeaders=content-type;host", "SignedHeaders=content-type;host;x-tc-action"), want: codeAuthSignatureFailure},
		{name: "signed header host dropped", mutate: editAuth("SignedHeaders=content-type;host", "SignedHeaders=content-type"), want: codeAuthInvalidAuthz},
		{name: "signature digit", mutate: func(r *http.Request, _ *[]byte) {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			flip := byte('0')
			if last == '0' {
				flip = '1'
			}
			r.Header.Set("Authorization", a[:len(a)-1]+string(flip))
		}, want: codeAuthSignatureFailure},
		{name: "signed content-type value", mutate: setHeader("Content-Type", "application/json; charset=utf-8"), want: codeAuthSignatureFailure},
		{name: "unsigned-payload claim", mutate: setHeader("X-TC-Content-SHA256", unsignedPayload), want: codeAuthSignatureFailure},
		{name: "X-TC-Token on a long-term key", mutate: setHeader("X-TC-Token", TestSessionToken), want: codeAuthTokenFailure},
		{name: "temporary key without X-TC-Token", cred: temporary, mutate: delHeader("X-TC-Token"), want: codeAuthTokenFailure},
		{name: "temporary key wrong X-TC-Token", cred: temporary, mutate: setHeader("X-TC-Token", TestSessionToken+"x"), want: codeAuthTokenFailure},
		{name: "no Authorization", mutate: delHeader("Authorization"), want: codeAuthInvalidAuthz},
		{name: "malformed Authorization", mutate: setHeader("Authorization", "TC3-HMAC-SHA256 Credential=x"), want: codeAuthInvalidAuthz},
		{name: "other algorithm", mutate: editAuth("TC3-HMAC-SHA256", "HMAC-SHA256"), want: codeAuthInvalidAuthz},
		{name: "no X-TC-Action", mutate: delHeader("X-TC-Action"), want: codeAuthInvalidAuthz},
		{name: "no X-TC-Timestamp", mutate: delHeader("X-TC-Timestamp"), want: codeAuthInvalidAuthz},
		{name: "no X-TC-Region", mutate: delHeader("X-TC-Region"), want: codeAuthInvalidAuthz},
		{name: "unknown action", mutate: setHeader("X-TC-Action", "DetectAuth"), want: codeInvalidAction},
		{name: "other version", mutate: setHeader("X-TC-Version", "2020-01-01"), want: codeNoSuchVersion},
		{name: "other region", mutate: setHeader("X-TC-Region", "ap-guangzhou"), want: codeUnsupportedRegion},
	}
	captured := map[common.CredentialIface]struct {
		req  *http.Request
		body []byte
	}{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred := tc.cred
			if cred == nil {
				cred = longTerm
			}
			c, ok := captured[cred]
			if !ok {
				c.req, c.body = captureSigned(t, cred)
				captured[cred] = c
			}
			ts, _ := strconv.ParseInt(c.req.Header.Get("X-TC-Timestamp"), 10, 64)
			sb := New(Options{RateLimit: -1, Now: func() time.Time { return time.Unix(ts, 0).Add(tc.clock) }})
			body := append([]byte(nil), c.body...)
			req := replay(c.req, body)
			if tc.mutate != nil {
				tc.mutate(req, &body)
				req.Body = io.NopCloser(bytes.NewReader(body))
			}
			r := serve(t, sb.APIHandler(), req)
			if r.Code != tc.want {
				t.Fatalf("code %q (%s), want %q", r.Code, r.Message, tc.want)
			}
		})
	}
}

// A fixed request, timestamp and key, with the Authorization computed once from the
// algorithm in faceid-api.md (outside Go) and pinned here.
func TestSignatureKnownVector(t *testing.T) {
	const (
		ts   = 1767225600 // 2026-01-01T00:00:00Z
		body = `{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`
		want = "TC3-HMAC-SHA256 Credential=AKID-sandbox-local/2026-01-01/faceid/tc3_request, SignedHeaders=content-type;host, Signature=d4b8e0455be985bf54a39515dbaa9dc2524d18539a1128a7cd6ca62e80523ac1"
	)
	req := newAPIRequest(actionResultIntl, []byte(body), time.Unix(ts, 0))
	if got := req.Header.Get("Authorization"); got != want {
		t.Fatalf("test signer:\n got %s\nwant %s", got, want)
	}
	sig := tc3Signature(TestSecretKey, "2026-01-01", "faceid", strconv.Itoa(ts),
		canonicalRequestHash(req, req.Host, "content-type;host", sha256Hex([]byte(body))))
	if !strings.HasSuffix(want, "Signature="+sig) {
		t.Fatalf("sandbox signature %s", sig)
	}
	sb := New(Options{Now: func() time.Time { return time.Unix(ts+120, 0) }})
	if _, aerr := sb.authenticate(req, []byte(body), time.Unix(ts+120, 0)); aerr != nil {
		t.Fatalf("pinned request rejected: %s %s", aerr.Code, aerr.Message)
	}
	// The same request answers through the handler: the token is well-formed but unknown.
	if r := serve(t, sb.APIHandler(), newAPIRequest(actionResultIntl, []byte(body), time.Unix(ts, 0))); r.Code != codeBizTokenIllegal {
		t.Fatalf("code %q, want %q", r.Code, codeBizTokenIllegal)
	}
}

func TestParseAuthorization(t *testing.T) {
	good := "TC3-HMAC-SHA256 Credential=AKID/2026-01-01/faceid/tc3_request, SignedHeaders=content-type;host, Signature=" + strings.Repeat("ab", 32)
	if _, ok := parseAuthorization(good); !ok {
		t.Fatal("well-formed header rejected")
	}
	for _, bad := range []string{
		"",
		strings.Replace(good, "TC3-HMAC-SHA256 ", "TC3-HMAC-SHA256", 1),
		strings.Replace(good, "Credential=AKID/", "Credential=/", 1),
		strings.Replace(good, "/tc3_request", "/tc2_request", 1),
		strings.Replace(good, "2026-01-01", "2026-13-01", 1),
		strings.Replace(good, "Signature=ab", "Signature=AB", 1),
		strings.Replace(good, "Signature=abab", "Signature=ab", 1),
		strings.Replace(good, ", Signature=", ", Credential=", 1),
		strings.Replace(good, "SignedHeaders=", "Headers=", 1),
		good + ", Extra=1",
	} {
		if _, ok := parseAuthorization(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	now := time.Unix(1767225600, 0)
	body := []byte(`{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`)
	req := newAPIRequest(actionResultIntl, body, now)
	sb := New(Options{Now: func() time.Time { return now }})
	b.ReportAllocs()
	for b.Loop() {
		if _, aerr := sb.authenticate(req, body, now); aerr != nil {
			b.Fatal(aerr.Code)
		}
	}
}

// A client may sign more headers than content-type and host; the sandbox canonicalizes
// what SignedHeaders lists, names and values lower-cased and trimmed (Tencent's rule).
func TestSignatureExtraSignedHeaders(t *testing.T) {
	now := time.Unix(1767225600, 0)
	body := []byte(`{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`)
	req := newAPIRequest(actionResultIntl, body, now)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	hexSHA := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	hm := func(k []byte, m string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(m)); return h.Sum(nil) }
	canonical := "POST\n/\n\n" +
		"content-type:application/json; charset=utf-8\n" +
		"host:" + testHost + "\n" +
		"x-tc-action:getwebverificationresultintl\n" +
		"\ncontent-type;host;x-tc-action\n" + hexSHA(string(body))
	toSign := "TC3-HMAC-SHA256\n1767225600\n2026-01-01/faceid/tc3_request\n" + hexSHA(canonical)
	key := hm(hm(hm([]byte("TC3"+TestSecretKey), "2026-01-01"), "faceid"), "tc3_request")
	req.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+TestSecretID+"/2026-01-01/faceid/tc3_request, "+
		"SignedHeaders=content-type;host;x-tc-action, Signature="+hex.EncodeToString(hm(key, toSign)))
	sb := New(Options{Now: func() time.Time { return now }})
	if r := serve(t, sb.APIHandler(), req); r.Code != codeBizTokenIllegal {
		t.Fatalf("code %q (%s), want the request to pass authentication", r.Code, r.Message)
	}
	// The action is now signed: changing it breaks the signature instead of naming
	// another action.
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.Header.Set("X-TC-Action", actionResult)
	if r := serve(t, sb.APIHandler(), req); r.Code != codeAuthSignatureFailure {
		t.Fatalf("changed signed action: %q", r.Code)
	}
}
