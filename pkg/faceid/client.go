package faceid

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// Defaults used for zero Config fields. DefaultEndpoint is the host Tencent's current
// international documentation and its Java, Python and C++ intl SDKs use; the Go intl
// SDK defaults to faceid.tencentcloudapi.com, which Config.Endpoint still reaches, as it
// does the region hosts faceid.<region>.tencentcloudapi.com.
const (
	DefaultRegion           = "ap-singapore"
	DefaultEndpoint         = "faceid.intl.tencentcloudapi.com"
	DefaultScheme           = "https"
	DefaultTimeout          = 10 * time.Second
	DefaultRateLimitRetries = 2
)

// Config configures a Client. Zero values mean the documented defaults.
type Config struct {
	// Region is the API region, default "ap-singapore". Both web actions are offered in
	// ap-bangkok, ap-hongkong, ap-jakarta, ap-singapore and sa-saopaulo (confirmed
	// 2025-11); the legacy flow only ever in ap-singapore. Another region is not refused
	// here, since Tencent may add some: Tencent answers UnsupportedRegion, a KindConfig error.
	Region string
	// Endpoint is the API host (optionally with a port), default
	// "faceid.intl.tencentcloudapi.com"; e.g. "127.0.0.1:8090" for the sandbox.
	Endpoint string
	// Scheme is "https" (default) or "http".
	Scheme string
	// Timeout bounds each call, throttling retries included; default 10s.
	Timeout time.Duration
	// Credentials is required; New fails with a KindConfig error naming it when nil.
	Credentials Credentials
	// RateLimitRetries is how often a throttled call (KindThrottled: RequestLimitExceeded,
	// FailedOperation.RequestLimitExceeded) is retried; default 2, negative for none.
	RateLimitRetries int
	// RateLimitBackoff is the wait before throttling retry n (0-based); default
	// 1s, 2s, 4s... as in the SDK. The wait ends early when the call's context is done.
	RateLimitBackoff func(retry int) time.Duration
	// HTTPClient is optional. Its Transport carries the API calls (so connections are
	// reused across calls) and the client itself performs the upload PUT.
	HTTPClient *http.Client
	// Now is the clock requests are signed with; default time.Now. Tencent refuses
	// signatures more than five minutes off, so a sandbox with a scripted clock needs the
	// same clock here.
	Now func() time.Time
}

// Client calls the faceid web-verification actions. It is safe for concurrent use.
type Client struct {
	region    string
	endpoint  string
	scheme    string
	timeout   time.Duration
	creds     Credentials
	retries   int
	backoff   func(int) time.Duration
	transport http.RoundTripper
	uploader  *http.Client
	now       func() time.Time
}

// New checks cfg and returns a Client. It sends nothing and reads no environment.
func New(cfg Config) (*Client, error) {
	c := &Client{
		region:   orDefault(cfg.Region, DefaultRegion),
		endpoint: orDefault(cfg.Endpoint, DefaultEndpoint),
		scheme:   strings.ToLower(orDefault(cfg.Scheme, DefaultScheme)),
		timeout:  cfg.Timeout,
		creds:    cfg.Credentials,
		retries:  cfg.RateLimitRetries,
		backoff:  cfg.RateLimitBackoff,
		now:      cfg.Now,
	}
	if err := cfg.Validate(); err != nil {
		return nil, &Error{Kind: KindConfig, Err: err}
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.retries < 0:
		c.retries = 0
	case c.retries == 0:
		c.retries = DefaultRateLimitRetries
	}
	if c.backoff == nil {
		c.backoff = profile.ExponentialBackoff
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.uploader = cfg.HTTPClient
	if c.uploader == nil {
		// A pool of its own, so that nothing else tuning http.DefaultTransport
		// changes how this client connects.
		var rt http.RoundTripper = http.DefaultTransport
		if t, ok := rt.(*http.Transport); ok {
			rt = t.Clone()
		}
		c.uploader = &http.Client{Transport: rt}
	}
	c.transport = c.uploader.Transport
	if c.transport == nil {
		c.transport = http.DefaultTransport
	}
	return c, nil
}

// Validate reports the first setting New would refuse, as a *ConfigError naming the
// Config field, or nil.
func (cfg Config) Validate() error {
	if cfg.Credentials == nil {
		return &ConfigError{Field: "Credentials", Reason: "required"}
	}
	if scheme := strings.ToLower(orDefault(cfg.Scheme, DefaultScheme)); scheme != "http" && scheme != "https" {
		return &ConfigError{Field: "Scheme", Reason: `must be "http" or "https"`}
	}
	if strings.Contains(cfg.Endpoint, "://") || strings.ContainsAny(cfg.Endpoint, " /?#@") {
		return &ConfigError{Field: "Endpoint", Reason: "must be a host with an optional port, without scheme or path"}
	}
	if cfg.Timeout < 0 {
		return &ConfigError{Field: "Timeout", Reason: "must not be negative"}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ApplyWebVerificationBizTokenIntl validates req and starts a web verification. The
// answer's VerificationURL is where the user's browser goes; keep the BizToken.
func (c *Client) ApplyWebVerificationBizTokenIntl(ctx context.Context, req *ApplyWebVerificationBizTokenIntlRequest) (*ApplyWebVerificationBizTokenIntlResponse, error) {
	if req == nil {
		return nil, &ValidationError{Field: "request", Reason: "missing"}
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	resp, err := send[ApplyWebVerificationBizTokenIntlResponse](ctx, c, ActionApplyWebVerificationBizTokenIntl, req, "")
	if err != nil {
		return nil, err
	}
	if resp.VerificationURL == "" {
		resp.VerificationURL = resp.VerificationUrl
	}
	if resp.BizToken == "" || resp.VerificationURL == "" {
		return nil, incomplete(ActionApplyWebVerificationBizTokenIntl, resp.RequestId)
	}
	return resp, nil
}

// GetWebVerificationResultIntl reads the result of bizToken. A nil ErrorCode in the
// answer, or 17 ("process not finished"), means the user has not finished; pkg/core's
// InterpretResult reads the answer.
func (c *Client) GetWebVerificationResultIntl(ctx context.Context, bizToken string) (*GetWebVerificationResultIntlResponse, error) {
	if err := validateBizToken(bizToken); err != nil {
		return nil, err
	}
	return send[GetWebVerificationResultIntlResponse](ctx, c, ActionGetWebVerificationResultIntl,
		&GetWebVerificationResultIntlRequest{BizToken: bizToken}, bizToken)
}

// CreateUploadUrl asks for a presigned PUT target for an image that targetAction (for
// example ActionApplyWebVerificationToken) will consume. Uploads are kept two hours.
// Tencent removed the web target, with the legacy web actions, on 2026-03-09; the
// method stays for accounts that still have them.
func (c *Client) CreateUploadUrl(ctx context.Context, targetAction string) (*CreateUploadUrlResponse, error) {
	if strings.TrimSpace(targetAction) == "" {
		return nil, &ValidationError{Field: "TargetAction", Reason: "required"}
	}
	resp, err := send[CreateUploadUrlResponse](ctx, c, ActionCreateUploadUrl, &CreateUploadUrlRequest{TargetAction: targetAction}, "")
	if err != nil {
		return nil, err
	}
	if resp.UploadUrl == "" || resp.ResourceUrl == "" {
		return nil, incomplete(ActionCreateUploadUrl, resp.RequestId)
	}
	return resp, nil
}

// ApplyWebVerificationToken validates req and starts a verification of the legacy
// upload-URL flow. Tencent removed the legacy web actions on 2026-03-09 (from its SDKs
// and documentation); the method stays for accounts that still have them.
func (c *Client) ApplyWebVerificationToken(ctx context.Context, req *ApplyWebVerificationTokenRequest) (*ApplyWebVerificationTokenResponse, error) {
	if req == nil {
		return nil, &ValidationError{Field: "request", Reason: "missing"}
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	resp, err := send[ApplyWebVerificationTokenResponse](ctx, c, ActionApplyWebVerificationToken, req, "")
	if err != nil {
		return nil, err
	}
	if resp.BizToken == "" || resp.VerificationUrl == "" {
		return nil, incomplete(ActionApplyWebVerificationToken, resp.RequestId)
	}
	return resp, nil
}

// GetWebVerificationResult reads a result of the legacy flow (removed by Tencent on
// 2026-03-09, see ApplyWebVerificationToken). Its media URLs are valid for ten minutes.
func (c *Client) GetWebVerificationResult(ctx context.Context, bizToken string) (*GetWebVerificationResultResponse, error) {
	if err := validateBizToken(bizToken); err != nil {
		return nil, err
	}
	return send[GetWebVerificationResultResponse](ctx, c, ActionGetWebVerificationResult,
		&GetWebVerificationResultRequest{BizToken: bizToken}, bizToken)
}

func validateBizToken(bizToken string) error {
	if strings.TrimSpace(bizToken) == "" {
		return &ValidationError{Field: "BizToken", Reason: "required"}
	}
	return nil
}

func incomplete(action, requestID string) *Error {
	return &Error{Kind: KindUnavailable, Action: action, RequestID: requestID, Message: "response lacks required fields"}
}

// credential fetches the credential for one call, as an *Error of KindConfig on failure.
func (c *Client) credential(action string) (common.CredentialIface, error) {
	cred, err := c.creds.Credential()
	if err == nil {
		err = checkCredential(cred)
	}
	if err != nil {
		return nil, &Error{Kind: KindConfig, Action: action, Message: "no usable credential", Err: err}
	}
	return cred, nil
}

// sdkRequest carries one action's parameters through the SDK, which signs the JSON
// that MarshalJSON produces.
type sdkRequest struct {
	*tchttp.BaseRequest
	params any
}

// MarshalJSON encodes the parameters alone, as Tencent expects them.
func (r *sdkRequest) MarshalJSON() ([]byte, error) { return json.Marshal(r.params) }

// sdkResponse is the {"Response": {...}} envelope of a successful answer; the SDK has
// already turned an error envelope into an error by the time it is decoded.
type sdkResponse[T any] struct {
	*tchttp.BaseResponse
	Response *T `json:"Response"`
}

// send performs one call within the client's timeout, retrying it while Tencent
// throttles it. The retries are ours, not the SDK's: the SDK retries only
// RequestLimitExceeded, and Tencent also throttles with FailedOperation.RequestLimitExceeded.
// Each attempt is signed anew, with the credential of that moment.
func send[T any](ctx context.Context, c *Client, action string, params any, scrub string) (*T, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	for retry := 0; ; retry++ {
		resp, err := sendOnce[T](ctx, c, action, params, scrub)
		var fe *Error
		if err == nil || !errors.As(err, &fe) || fe.Kind != KindThrottled || retry >= c.retries {
			return resp, err
		}
		t := time.NewTimer(c.backoff(retry))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, translate(action, ctx.Err(), 0)
		}
	}
}

// sendOnce signs and performs one attempt. A new SDK client is built per attempt because
// the credential may change between attempts and the SDK client holds it unsynchronised;
// the transport (and its connection pool) is shared.
func sendOnce[T any](ctx context.Context, c *Client, action string, params any, scrub string) (*T, error) {
	cred, err := c.credential(action)
	if err != nil {
		return nil, err
	}
	req := &sdkRequest{BaseRequest: &tchttp.BaseRequest{}, params: params}
	req.Init().WithApiInfo(Service, Version, action)
	req.SetContext(ctx)
	// The SDK stamps its own wall clock; a header of the same name overrides the stamp
	// it signs (SDK v1.3.209 merges request headers before signing), which lets the
	// signing time follow c.now. TestSignatureVector fails if that ever changes.
	req.SetHeader(map[string]string{"X-TC-Timestamp": strconv.FormatInt(c.now().Unix(), 10)})

	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = c.endpoint
	prof.HttpProfile.Scheme = c.scheme
	prof.HttpProfile.ReqTimeout = int(math.Ceil(c.timeout.Seconds()))
	prof.Language = "en-US"
	// The region breaker would send calls to a backup host, never right for a fixed endpoint.
	prof.DisableRegionBreaker = true
	// Throttling is retried by send, for every throttling code and watching the context.
	prof.RateLimitExceededMaxRetries = 0

	rec := &statusRecorder{next: c.transport}
	client := common.NewCommonClient(cred, c.region, prof).WithHttpTransport(rec)
	resp := &sdkResponse[T]{BaseResponse: &tchttp.BaseResponse{}}
	if err := client.Send(req, resp); err != nil {
		return nil, translate(action, err, rec.status, scrub)
	}
	if resp.Response == nil {
		return nil, incomplete(action, "")
	}
	return resp.Response, nil
}

// statusRecorder remembers the HTTP status of the last answer, which the SDK reports
// only inside a message that also quotes the body.
type statusRecorder struct {
	next   http.RoundTripper
	status int
}

// RoundTrip passes the request on and records the status. The SDK calls it from the
// calling goroutine, one attempt after another.
func (s *statusRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if resp != nil {
		s.status = resp.StatusCode
	}
	return resp, err
}
