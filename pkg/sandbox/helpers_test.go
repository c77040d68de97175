package sandbox

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testHost is the Host the tests sign and send, as the SDK does with its endpoint.
const testHost = "faceid.intl.tencentcloudapi.com"

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testSign signs req the TC3 way, written out step by step independently of the sandbox's
// verifier so that a shared mistake cannot hide.
func testSign(req *http.Request, body []byte, secretID, secretKey string, ts int64) {
	hexSHA := func(s []byte) string { h := sha256.Sum256(s); return hex.EncodeToString(h[:]) }
	hm := func(k []byte, m string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(m)); return h.Sum(nil) }
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	canonical := "POST\n/\n\ncontent-type:application/json\nhost:" + req.Host + "\n\ncontent-type;host\n" + hexSHA(body)
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + date + "/faceid/tc3_request\n" + hexSHA([]byte(canonical))
	k := hm(hm(hm([]byte("TC3"+secretKey), date), "faceid"), "tc3_request")
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("Authorization", fmt.Sprintf("TC3-HMAC-SHA256 Credential=%s/%s/faceid/tc3_request, SignedHeaders=content-type;host, Signature=%s",
		secretID, date, hex.EncodeToString(hm(k, toSign))))
}

// newAPIRequest builds a request signed with the long-term test key at time now.
func newAPIRequest(action string, body []byte, now time.Time) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "http://"+testHost+"/", bytes.NewReader(body))
	req.Host = testHost
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", "2018-03-01")
	req.Header.Set("X-TC-Region", "ap-singapore")
	testSign(req, body, TestSecretID, TestSecretKey, now.Unix())
	return req
}

// apiReply is a decoded envelope.
type apiReply struct {
	Code      string          // Error.Code, "" on success
	Message   string          // Error.Message
	RequestID string          // RequestId
	Raw       json.RawMessage // the whole Response member
}

func (r apiReply) decode(t testing.TB, dst any) {
	t.Helper()
	if err := json.Unmarshal(r.Raw, dst); err != nil {
		t.Fatalf("decoding %s: %v", r.Raw, err)
	}
}

// parseEnvelope checks the envelope promise: HTTP 200, JSON {"Response": {...}} with a
// RequestId, and an Error with a Code when it is an error.
func parseEnvelope(t testing.TB, status int, body []byte) apiReply {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", status, body)
	}
	var env struct {
		Response json.RawMessage
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Response) == 0 {
		t.Fatalf("not an envelope: %s (%v)", body, err)
	}
	var head struct {
		Error *struct {
			Code    string
			Message string
		}
		RequestId string
	}
	if err := json.Unmarshal(env.Response, &head); err != nil {
		t.Fatalf("Response is not an object: %s", env.Response)
	}
	if head.RequestId == "" {
		t.Fatalf("no RequestId in %s", body)
	}
	r := apiReply{RequestID: head.RequestId, Raw: env.Response}
	if head.Error != nil {
		if head.Error.Code == "" {
			t.Fatalf("error without code: %s", body)
		}
		r.Code, r.Message = head.Error.Code, head.Error.Message
	}
	return r
}

// serve runs req through h and parses the envelope.
func serve(t testing.TB, h http.Handler, req *http.Request) apiReply {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return parseEnvelope(t, rec.Code, rec.Body.Bytes())
}

// testEnv is a sandbox on a fake clock, called through its handlers without a network.
type testEnv struct {
	t     testing.TB
	clock *fakeClock
	sb    *Sandbox
	api   http.Handler
	page  http.Handler
}

func newTestEnv(t testing.TB, opts Options) *testEnv {
	clock := newFakeClock()
	opts.Now = clock.Now
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	if opts.PageURL == "" {
		opts.PageURL = "http://page.test"
	}
	sb := New(opts)
	return &testEnv{t: t, clock: clock, sb: sb, api: sb.APIHandler(), page: sb.PageHandler()}
}

// call signs and sends one action with body (a string or a value to marshal).
func (e *testEnv) call(action string, body any) apiReply {
	e.t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			e.t.Fatal(err)
		}
	}
	return serve(e.t, e.api, newAPIRequest(action, b, e.clock.Now()))
}

// mustOK fails unless the reply is a success.
func mustOK(t testing.TB, r apiReply) apiReply {
	t.Helper()
	if r.Code != "" {
		t.Fatalf("unexpected error %s: %s", r.Code, r.Message)
	}
	return r
}

// applyIntl issues a BizToken with the given Config (nil for none) and a compare image.
func (e *testEnv) applyIntl(config map[string]any, extra string) string {
	e.t.Helper()
	body := map[string]any{"RedirectURL": "https://merchant.test/callback", "CompareImageBase64": testJPEGBase64()}
	if config != nil {
		body["Config"] = config
	}
	if extra != "" {
		body["Extra"] = extra
	}
	var resp struct {
		BizToken        string
		VerificationURL string
		VerificationUrl string
	}
	mustOK(e.t, e.call(actionApplyIntl, body)).decode(e.t, &resp)
	if !isBizToken(resp.BizToken) || resp.VerificationURL != "http://page.test/reflect/?token="+resp.BizToken ||
		resp.VerificationUrl != resp.VerificationURL {
		e.t.Fatalf("apply answered %+v", resp)
	}
	return resp.BizToken
}

// intlResultView is the test's view of GetWebVerificationResultIntl.
type intlResultView struct {
	ErrorCode              *int64
	ErrorMsg               *string
	VerificationDetailList []map[string]any
	VideoBase64            *string
	BestFrameBase64        *string
	OCRResult              []map[string]any
	Extra                  *string
}

func (e *testEnv) result(token string) (intlResultView, apiReply) {
	e.t.Helper()
	r := e.call(actionResultIntl, map[string]string{"BizToken": token})
	var v intlResultView
	if r.Code == "" {
		r.decode(e.t, &v)
	}
	return v, r
}

func testJPEGBase64() string { return base64.StdEncoding.EncodeToString(sampleJPEG()) }
