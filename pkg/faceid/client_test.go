package faceid_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/faceid"
)

const (
	testID  = "AKIDtest"
	testKey = "test-key"
)

// apiCall is one request the fake API received, after its signature verified.
type apiCall struct {
	Action string
	Token  string
	Body   []byte
}

// fakeAPI is a loopback HTTP server that verifies TC3 signatures with the independent
// verifier and answers with reply. Each test scripts reply; the sandbox round trips live
// in roundtrip_test.go.
type fakeAPI struct {
	*httptest.Server
	keys  map[string]string
	reply func(call apiCall) (status int, body string)

	mu    sync.Mutex
	calls []apiCall
}

func newFakeAPI(t *testing.T, reply func(apiCall) (int, string)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{keys: map[string]string{testID: testKey}, reply: reply}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	in := tc3Input{Host: r.Host, ContentType: r.Header.Get("Content-Type"), Timestamp: r.Header.Get("X-TC-Timestamp"), Body: body}
	if err := verifyTC3(in, r.Header.Get("Authorization"), f.keys, time.Now()); err != nil {
		writeEnvelopeError(w, "AuthFailure.SignatureFailure", err.Error())
		return
	}
	call := apiCall{Action: r.Header.Get("X-TC-Action"), Token: r.Header.Get("X-TC-Token"), Body: body}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	status, resp := f.reply(call)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, resp)
}

func (f *fakeAPI) received() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

func writeEnvelopeError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(map[string]any{"Response": map[string]any{
		"Error": map[string]string{"Code": code, "Message": msg}, "RequestId": "req-err"}})
	w.Write(b)
}

func errorEnvelope(code, msg string) string {
	b, _ := json.Marshal(map[string]any{"Response": map[string]any{
		"Error": map[string]string{"Code": code, "Message": msg}, "RequestId": "req-" + code}})
	return string(b)
}

func (f *fakeAPI) client(t testing.TB, edit func(*faceid.Config)) *faceid.Client {
	t.Helper()
	return newClient(t, f.URL, faceid.Config{Credentials: faceid.StaticCredentials(testID, testKey, "")}, edit)
}

// newClient points a client at the loopback server serverURL, with throttling retries
// that wait a millisecond; edit, if any, changes the configuration last.
func newClient(t testing.TB, serverURL string, cfg faceid.Config, edit func(*faceid.Config)) *faceid.Client {
	t.Helper()
	cfg.Endpoint = strings.TrimPrefix(serverURL, "http://")
	cfg.Scheme = "http"
	cfg.RateLimitBackoff = func(int) time.Duration { return time.Millisecond }
	if edit != nil {
		edit(&cfg)
	}
	c, err := faceid.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const applyOK = `{"Response":{"BizToken":"TOKEN-1","VerificationURL":"https://intl.faceid.qq.com/reflect/?token=TOKEN-1","RequestId":"req-apply"}}`

// Every error code faceid-api.md names, with the Kind the core acts on.
var tencentCodes = []struct {
	code string
	kind faceid.Kind
}{
	{"InvalidParameter", faceid.KindBadParameter},
	{"InvalidParameterValue", faceid.KindBadParameter},
	{"InvalidParameterValue.RuleIdNotExist", faceid.KindBadParameter},
	{"InvalidParameterValue.BizTokenExpired", faceid.KindTokenExpired},
	{"InvalidParameterValue.BizTokenIllegal", faceid.KindTokenIllegal},
	{"FailedOperation.ImageSizeTooLarge", faceid.KindBadParameter},
	{"OperationDenied", faceid.KindBadParameter},
	{"UnauthorizedOperation.Nonactivated", faceid.KindNotActivated},
	{"UnauthorizedOperation.Activating", faceid.KindNotActivated},
	{"UnauthorizedOperation.ActivateError", faceid.KindNotActivated},
	{"UnauthorizedOperation.Arrears", faceid.KindNotActivated},
	{"UnauthorizedOperation.NonAuthorize", faceid.KindNotActivated},
	{"InternalError", faceid.KindUnavailable},
	{"RequestLimitExceeded", faceid.KindThrottled},
	{"FailedOperation.RequestLimitExceeded", faceid.KindThrottled},
	{"AuthFailure.SignatureExpire", faceid.KindAuth},
	{"AuthFailure.SignatureFailure", faceid.KindAuth},
	{"AuthFailure.SecretIdNotFound", faceid.KindAuth},
	{"AuthFailure.InvalidAuthorization", faceid.KindAuth},
	{"AuthFailure.TokenFailure", faceid.KindAuth},
	// Families beyond the doc's list, so new codes land somewhere sensible.
	{"InternalError.Unknown", faceid.KindUnavailable},
	{"RequestLimitExceeded.UinLimitExceeded", faceid.KindThrottled},
	{"InvalidParameterValue.Whatever", faceid.KindBadParameter},
	{"MissingParameter", faceid.KindBadParameter},
	{"UnauthorizedOperation", faceid.KindNotActivated},
	{"ResourceUnavailable.Something", faceid.KindUnavailable},
	{"AuthFailureX", faceid.KindUnavailable},
	// Tencent's common codes for a wrong region, action or version, and an oversized body.
	{"UnsupportedRegion", faceid.KindConfig},
	{"InvalidAction", faceid.KindConfig},
	{"NoSuchVersion", faceid.KindConfig},
	{"UnsupportedProtocol", faceid.KindConfig},
	{"RequestSizeLimitExceeded", faceid.KindBadParameter},
}

func TestKindOf(t *testing.T) {
	for _, tt := range tencentCodes {
		if got := faceid.KindOf(tt.code); got != tt.kind {
			t.Errorf("KindOf(%q) = %s, want %s", tt.code, got, tt.kind)
		}
	}
}

// TestTencentErrorsOverHTTP sends each code through the real SDK path: error envelope
// with HTTP 200, as Tencent answers.
func TestTencentErrorsOverHTTP(t *testing.T) {
	var code atomic.Value
	api := newFakeAPI(t, func(apiCall) (int, string) {
		return 200, errorEnvelope(code.Load().(string), "message for "+code.Load().(string))
	})
	c := api.client(t, func(cfg *faceid.Config) { cfg.RateLimitRetries = -1 })
	for _, tt := range tencentCodes {
		code.Store(tt.code)
		_, err := c.GetWebVerificationResultIntl(context.Background(), "TOKEN-1")
		var fe *faceid.Error
		if !errors.As(err, &fe) {
			t.Fatalf("%s: error %v (%T), want *faceid.Error", tt.code, err, err)
		}
		if fe.Kind != tt.kind || fe.Code != tt.code || fe.RequestID != "req-"+tt.code || fe.Message != "message for "+tt.code {
			t.Errorf("%s: got %+v", tt.code, fe)
		}
		if fe.Action != faceid.ActionGetWebVerificationResultIntl {
			t.Errorf("%s: Action %q", tt.code, fe.Action)
		}
		wantRetry := tt.kind == faceid.KindThrottled || tt.kind == faceid.KindUnavailable
		if fe.Retryable() != wantRetry {
			t.Errorf("%s: Retryable = %v", tt.code, fe.Retryable())
		}
	}
}

func TestRetryableOnlyForThrottledAndUnavailable(t *testing.T) {
	for _, k := range []faceid.Kind{faceid.KindTokenExpired, faceid.KindTokenIllegal, faceid.KindThrottled, faceid.KindAuth,
		faceid.KindNotActivated, faceid.KindBadParameter, faceid.KindUnavailable, faceid.KindConfig} {
		want := k == faceid.KindThrottled || k == faceid.KindUnavailable
		if got := (&faceid.Error{Kind: k}).Retryable(); got != want {
			t.Errorf("%s: Retryable = %v", k, got)
		}
	}
}

func TestHTTPStatusErrors(t *testing.T) {
	for _, tt := range []struct {
		status int
		kind   faceid.Kind
	}{
		{500, faceid.KindUnavailable},
		{502, faceid.KindUnavailable},
		{503, faceid.KindUnavailable},
		{429, faceid.KindThrottled},
		{403, faceid.KindAuth},
		{413, faceid.KindBadParameter},
	} {
		api := newFakeAPI(t, func(apiCall) (int, string) {
			return tt.status, `{"secret":"TOKEN-1 and FACEBODY"}`
		})
		_, err := api.client(t, nil).GetWebVerificationResultIntl(context.Background(), "TOKEN-1")
		var fe *faceid.Error
		if !errors.As(err, &fe) || fe.Kind != tt.kind {
			t.Errorf("HTTP %d: %v, want kind %s", tt.status, err, tt.kind)
			continue
		}
		if strings.Contains(err.Error(), "TOKEN-1") || strings.Contains(err.Error(), "FACEBODY") {
			t.Errorf("HTTP %d: error quotes the body: %v", tt.status, err)
		}
	}
}

func TestUnreadableResponseIsNotQuoted(t *testing.T) {
	api := newFakeAPI(t, func(apiCall) (int, string) {
		return 200, `{"Response":{"BestFrameBase64":"FACEDATA","ErrorCode":"not a number"}}`
	})
	_, err := api.client(t, nil).GetWebVerificationResultIntl(context.Background(), "TOKEN-1")
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindUnavailable {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "FACEDATA") {
		t.Fatalf("error quotes the body: %v", err)
	}
}

func TestBizTokenNeverInErrorText(t *testing.T) {
	const token = "3E9C1A52-SECRET-TOKEN-VALUE"
	api := newFakeAPI(t, func(apiCall) (int, string) {
		return 200, errorEnvelope("InvalidParameterValue.BizTokenIllegal", "BizToken "+token+" is illegal")
	})
	_, err := api.client(t, nil).GetWebVerificationResultIntl(context.Background(), token)
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindTokenIllegal {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(fe.Message, token) {
		t.Fatalf("token in error: %v", err)
	}
}

func TestNetworkFailureIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := faceid.New(faceid.Config{Endpoint: addr, Scheme: "http", Credentials: faceid.StaticCredentials(testID, testKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetWebVerificationResultIntl(context.Background(), "TOKEN-1")
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindUnavailable || !fe.Retryable() {
		t.Fatalf("got %v", err)
	}
}

func TestContextCancelStopsCall(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	api := newFakeAPI(t, func(apiCall) (int, string) {
		arrived <- struct{}{}
		<-release
		return 200, applyOK
	})
	defer close(release)
	c := api.client(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	_, err := c.GetWebVerificationResultIntl(ctx, "TOKEN-1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestTimeoutIsUnavailable(t *testing.T) {
	release := make(chan struct{})
	api := newFakeAPI(t, func(apiCall) (int, string) {
		<-release
		return 200, applyOK
	})
	defer close(release)
	c := api.client(t, func(cfg *faceid.Config) { cfg.Timeout = 50 * time.Millisecond })
	_, err := c.GetWebVerificationResultIntl(context.Background(), "TOKEN-1")
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

// TestThrottlingIsRetried: both of Tencent's throttling codes, alone or mixed, are
// retried with the same count and backoff; the SDK itself retries only the first.
func TestThrottlingIsRetried(t *testing.T) {
	for _, tt := range []struct {
		name  string
		codes []string // the answers before success
	}{
		{"RequestLimitExceeded", []string{"RequestLimitExceeded", "RequestLimitExceeded"}},
		{"FailedOperation.RequestLimitExceeded", []string{"FailedOperation.RequestLimitExceeded", "FailedOperation.RequestLimitExceeded"}},
		{"mixed", []string{"FailedOperation.RequestLimitExceeded", "RequestLimitExceeded"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			api := newFakeAPI(t, func(apiCall) (int, string) {
				if i := int(n.Add(1)) - 1; i < len(tt.codes) {
					return 200, errorEnvelope(tt.codes[i], "slow down")
				}
				return 200, applyOK
			})
			var waits []int
			resp, err := api.client(t, func(cfg *faceid.Config) {
				cfg.RateLimitBackoff = func(retry int) time.Duration {
					waits = append(waits, retry)
					return time.Millisecond
				}
			}).ApplyWebVerificationBizTokenIntl(context.Background(), validApply())
			if err != nil {
				t.Fatal(err)
			}
			if resp.BizToken != "TOKEN-1" || n.Load() != 3 || fmt.Sprint(waits) != "[0 1]" {
				t.Fatalf("token %q after %d requests, backoffs %v", resp.BizToken, n.Load(), waits)
			}

			// One retry configured: the second throttled answer is returned as throttled.
			n.Store(0)
			_, err = api.client(t, func(cfg *faceid.Config) { cfg.RateLimitRetries = 1 }).
				ApplyWebVerificationBizTokenIntl(context.Background(), validApply())
			var fe *faceid.Error
			if !errors.As(err, &fe) || fe.Kind != faceid.KindThrottled || fe.Code != tt.codes[1] || n.Load() != 2 {
				t.Fatalf("got %v after %d requests", err, n.Load())
			}

			// Retries off: the first throttled answer is returned.
			n.Store(0)
			_, err = api.client(t, func(cfg *faceid.Config) { cfg.RateLimitRetries = -1 }).
				ApplyWebVerificationBizTokenIntl(context.Background(), validApply())
			if !errors.As(err, &fe) || fe.Kind != faceid.KindThrottled || fe.Code != tt.codes[0] || n.Load() != 1 {
				t.Fatalf("without retries: %v after %d requests", err, n.Load())
			}
		})
	}
}

// TestOnlyThrottlingIsRetried: other retryable failures are the caller's to retry, as
// only the caller knows whether repeating the call is safe.
func TestOnlyThrottlingIsRetried(t *testing.T) {
	for _, code := range []string{"InternalError", "FailedOperation.ImageSizeTooLarge", "UnauthorizedOperation.NonAuthorize"} {
		var n atomic.Int32
		api := newFakeAPI(t, func(apiCall) (int, string) {
			n.Add(1)
			return 200, errorEnvelope(code, "no")
		})
		_, err := api.client(t, nil).GetWebVerificationResultIntl(context.Background(), "TOKEN-1")
		var fe *faceid.Error
		if !errors.As(err, &fe) || fe.Code != code || n.Load() != 1 {
			t.Errorf("%s: %v after %d requests", code, err, n.Load())
		}
	}
}

// TestThrottlingWaitEndsWithContext: the backoff is an hour, so only the context can end
// the wait; the test finishing at all is the assertion.
func TestThrottlingWaitEndsWithContext(t *testing.T) {
	var n atomic.Int32
	api := newFakeAPI(t, func(apiCall) (int, string) {
		n.Add(1)
		return 200, errorEnvelope("RequestLimitExceeded", "slow down")
	})
	ctx, cancel := context.WithCancel(context.Background())
	c := api.client(t, func(cfg *faceid.Config) {
		cfg.RateLimitBackoff = func(int) time.Duration {
			cancel()
			return time.Hour
		}
	})
	_, err := c.GetWebVerificationResultIntl(ctx, "TOKEN-1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if n.Load() != 1 {
		t.Fatalf("%d requests reached the server after cancel", n.Load())
	}
}

func TestValidationBeforeAnyRequest(t *testing.T) {
	api := newFakeAPI(t, func(call apiCall) (int, string) {
		t.Errorf("request sent: %s", call.Action)
		return 500, ""
	})
	c := api.client(t, nil)
	ctx := context.Background()
	discard := func(_ any, err error) error { return err }
	for _, tt := range []struct {
		field string
		call  func() error
	}{
		{"RedirectURL", func() error {
			return discard(c.ApplyWebVerificationBizTokenIntl(ctx, &faceid.ApplyWebVerificationBizTokenIntlRequest{RedirectURL: "/relative"}))
		}},
		{"request", func() error { return discard(c.ApplyWebVerificationBizTokenIntl(ctx, nil)) }},
		{"request", func() error { return discard(c.ApplyWebVerificationToken(ctx, nil)) }},
		{"BizToken", func() error { return discard(c.GetWebVerificationResultIntl(ctx, "")) }},
		{"BizToken", func() error { return discard(c.GetWebVerificationResult(ctx, " ")) }},
		{"TargetAction", func() error { return discard(c.CreateUploadUrl(ctx, "")) }},
		{"CompareImageUrl", func() error {
			return discard(c.ApplyWebVerificationToken(ctx, &faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "https://m.example/cb"}))
		}},
		{"CompareImageMd5", func() error {
			return discard(c.ApplyWebVerificationToken(ctx, &faceid.ApplyWebVerificationTokenRequest{
				RedirectUrl: "https://m.example/cb", CompareImageUrl: api.URL + "/resource/1", CompareImageMd5: "xyz",
			}))
		}},
		{"uploadURL", func() error { return discard(c.Upload(ctx, "not a url", jpegBytes)) }},
		{"image", func() error { return discard(c.Upload(ctx, api.URL+"/upload", gifBytes)) }},
	} {
		checkValidation(t, tt.call(), tt.field)
	}
}

func TestNewConfigErrors(t *testing.T) {
	creds := faceid.StaticCredentials(testID, testKey, "")
	for _, tt := range []struct {
		field string
		cfg   faceid.Config
	}{
		{"Credentials", faceid.Config{}},
		{"Scheme", faceid.Config{Credentials: creds, Scheme: "ftp"}},
		{"Endpoint", faceid.Config{Credentials: creds, Endpoint: "https://faceid.intl.tencentcloudapi.com"}},
		{"Endpoint", faceid.Config{Credentials: creds, Endpoint: "host/path"}},
		{"Timeout", faceid.Config{Credentials: creds, Timeout: -time.Second}},
	} {
		_, err := faceid.New(tt.cfg)
		var fe *faceid.Error
		var ce *faceid.ConfigError
		if !errors.As(err, &fe) || fe.Kind != faceid.KindConfig || !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%s: got %v", tt.field, err)
		}
		if err != nil && (!strings.Contains(err.Error(), tt.field) || strings.Count(err.Error(), "faceid") != 1) {
			t.Errorf("%s: error %q does not name it once", tt.field, err)
		}
	}
	if _, err := faceid.New(faceid.Config{Credentials: creds, Scheme: "HTTP"}); err != nil {
		t.Errorf("upper-case scheme: %v", err)
	}
}

func TestErrorText(t *testing.T) {
	e := &faceid.Error{Kind: faceid.KindThrottled, Code: "RequestLimitExceeded", Message: "slow", RequestID: "r-1", Action: "X"}
	want := "faceid: X: throttled (RequestLimitExceeded): slow [RequestId r-1]"
	if e.Error() != want {
		t.Fatalf("%q, want %q", e.Error(), want)
	}
	cause := fmt.Errorf("boom")
	e = &faceid.Error{Kind: faceid.KindUnavailable, Err: cause}
	if !errors.Is(e, cause) || e.Error() != "faceid: unavailable: boom" {
		t.Fatalf("%q", e.Error())
	}
}
