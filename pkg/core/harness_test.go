package core_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/filestore"
	"github.com/facegate/facegate/pkg/qrcode"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/storage"
)

// The test stack is the real thing end to end: the faceid client signs real requests to
// the sandbox over loopback HTTP, the store is a real adapter, and the core's handlers
// are driven with httptest as a gateway would drive them.

const (
	callbackURL = "https://gw.example.test/callback"
	returnTo    = "https://shop.example.test/verify/done"
	merchantKey = "merchant-key-0123456789abcdef"
)

var (
	tokenKey     = []byte("token-key-0123456789abcdef-0123456789abcd")
	ticketSecret = []byte("ticket-secret-0123456789abcdef-0123456789")
	startSecret  = []byte("start-secret-0123456789abcdef-0123456789ab")
)

// jpegImage is enough of a JPEG for Tencent's (and the sandbox's) magic-byte check.
var jpegImage = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}, bytes.Repeat([]byte{0x42}, 512)...)

var jpegBase64 = base64.StdEncoding.EncodeToString(jpegImage)

// clock is a settable clock shared by the sandbox, the client's signer and the core.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// logBuffer collects every log line of a stack, for the privacy checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// countingStore counts the calls the core makes; it passes everything to the real store.
type countingStore struct {
	inner   storage.Store
	creates atomic.Int64
	gets    atomic.Int64
	puts    atomic.Int64
	deletes atomic.Int64
	lists   atomic.Int64
	// claims counts the creates of Tencent-read claims (checks/) and probes the writes
	// a start makes before its billed Apply (probes/, deleted again), which creates leaves
	// out: they are markers, not records.
	claims atomic.Int64
	probes atomic.Int64
}

func (c *countingStore) Delete(ctx context.Context, key string) error {
	c.deletes.Add(1)
	return c.inner.Delete(ctx, key)
}

func (c *countingStore) List(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	c.lists.Add(1)
	return c.inner.List(ctx, prefix, after, limit)
}

func (c *countingStore) Create(ctx context.Context, key string, data []byte) error {
	switch {
	case strings.HasPrefix(key, "checks/"):
		c.claims.Add(1)
	case strings.HasPrefix(key, "probes/"):
		c.probes.Add(1)
	default:
		c.creates.Add(1)
	}
	return c.inner.Create(ctx, key, data)
}

func (c *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	c.gets.Add(1)
	return c.inner.Get(ctx, key)
}

func (c *countingStore) PutMedia(ctx context.Context, key string, body io.Reader, size int64, contentType string) error {
	c.puts.Add(1)
	return c.inner.(storage.MediaStore).PutMedia(ctx, key, body, size, contentType)
}

func (c *countingStore) MediaURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return c.inner.(storage.MediaStore).MediaURL(ctx, key, ttl)
}

func (c *countingStore) reset() {
	c.creates.Store(0)
	c.gets.Store(0)
	c.puts.Store(0)
	c.deletes.Store(0)
	c.lists.Store(0)
	c.claims.Store(0)
	c.probes.Store(0)
}

// nextSlot moves the clock past the current Tencent-read slot, so the next read of a
// pending session may ask Tencent again.
func (st *stack) nextSlot() { st.clock.Advance(5 * time.Second) }

// countingFaceID counts Tencent calls of every kind, passing them to the real client. It
// also remembers every value of Tencent's answers that must never reach a log (tokens,
// page and upload URLs, media, document data), for the privacy test.
type countingFaceID struct {
	inner *faceid.Client
	calls atomic.Int64

	mu        sync.Mutex
	sensitive []string
}

func (c *countingFaceID) remember(vals ...*string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range vals {
		if v != nil && *v != "" {
			c.sensitive = append(c.sensitive, *v)
		}
	}
}

// rememberJSON keeps every string inside raw JSON (document fields such as names and ID
// numbers).
func (c *countingFaceID) rememberJSON(raw json.RawMessage) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	walkStrings(v, func(s string) { c.remember(&s) })
}

// seen returns the sensitive values of every answer so far.
func (c *countingFaceID) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sensitive)
}

func (c *countingFaceID) ApplyWebVerificationBizTokenIntl(ctx context.Context, r *faceid.ApplyWebVerificationBizTokenIntlRequest) (*faceid.ApplyWebVerificationBizTokenIntlResponse, error) {
	c.calls.Add(1)
	resp, err := c.inner.ApplyWebVerificationBizTokenIntl(ctx, r)
	if err == nil {
		c.remember(&resp.BizToken, &resp.VerificationURL, &resp.VerificationUrl)
	}
	return resp, err
}

func (c *countingFaceID) GetWebVerificationResultIntl(ctx context.Context, t string) (*faceid.GetWebVerificationResultIntlResponse, error) {
	c.calls.Add(1)
	resp, err := c.inner.GetWebVerificationResultIntl(ctx, t)
	if err == nil {
		c.remember(resp.BestFrameBase64, resp.VideoBase64, resp.Extra)
		for _, o := range resp.OCRResult {
			c.remember(o.CardImageBase64, o.CardBackImageBase64, o.CardCutImageBase64, o.CardBackCutImageBase64,
				o.HeadImageBase64, o.OriginalCardInfo)
			c.rememberJSON(o.CardInfo)
			c.rememberJSON(o.NormalCardInfo)
		}
	}
	return resp, err
}

func (c *countingFaceID) CreateUploadUrl(ctx context.Context, a string) (*faceid.CreateUploadUrlResponse, error) {
	c.calls.Add(1)
	resp, err := c.inner.CreateUploadUrl(ctx, a)
	if err == nil {
		c.remember(&resp.UploadUrl, &resp.ResourceUrl)
	}
	return resp, err
}

func (c *countingFaceID) Upload(ctx context.Context, u string, img []byte) (string, error) {
	c.calls.Add(1)
	return c.inner.Upload(ctx, u, img)
}

func (c *countingFaceID) ApplyWebVerificationToken(ctx context.Context, r *faceid.ApplyWebVerificationTokenRequest) (*faceid.ApplyWebVerificationTokenResponse, error) {
	c.calls.Add(1)
	resp, err := c.inner.ApplyWebVerificationToken(ctx, r)
	if err == nil {
		c.remember(&resp.BizToken, &resp.VerificationUrl)
	}
	return resp, err
}

func (c *countingFaceID) GetWebVerificationResult(ctx context.Context, t string) (*faceid.GetWebVerificationResultResponse, error) {
	c.calls.Add(1)
	resp, err := c.inner.GetWebVerificationResult(ctx, t)
	if err == nil {
		c.remember(resp.VideoBestFrameUrl, resp.VideoUrl)
	}
	return resp, err
}

type stackOptions struct {
	config   func(*core.Config)
	sandbox  func(*sandbox.Options)
	newStore func(t testing.TB) storage.Store
	// secretKey replaces the sandbox's test key, to play a misconfigured deployment.
	secretKey string
}

type stack struct {
	t       testing.TB
	clock   *clock
	sandbox *sandbox.Sandbox
	store   *countingStore
	faceid  *countingFaceID
	svc     *core.Service
	handler http.Handler
	logs    *logBuffer
	cfg     core.Config
}

func testConfig() core.Config {
	return core.Config{
		CallbackURL:   callbackURL,
		ReturnTo:      []string{"https://shop.example.test/verify/"},
		TicketSecrets: [][]byte{ticketSecret},
		TokenKeys:     [][]byte{tokenKey},
		MerchantKeys:  []string{merchantKey},
		CORSOrigins:   []string{"https://shop.example.test"},
		// Most flows here start from a browser without a start token: a merchant who has
		// switched anonymous starts on. TestAnonymousStartsAreOffByDefault covers the rest.
		AnonymousStarts: true,
		Policy: core.Policy{
			Languages:     faceid.Languages(),
			Modes:         []int64{1, 2, 3, 4},
			DefaultMode:   3,
			DocumentTypes: []string{"HKIDCard", "MLIDCard"},
			RuleIDs:       []string{"1"},
		},
		CompareImagePrefixes: []string{"uploads/"},
	}
}

func fileStore(t testing.TB) storage.Store {
	s, err := filestore.New(t.TempDir(), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newStack(t testing.TB, o stackOptions) *stack {
	t.Helper()
	st := &stack{t: t, clock: &clock{}, logs: &logBuffer{}}

	pageLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sbOpts := sandbox.Options{
		Now:       st.clock.Now,
		PageURL:   "http://" + pageLn.Addr().String(),
		RateLimit: -1,
	}
	if o.sandbox != nil {
		o.sandbox(&sbOpts)
	}
	st.sandbox = sandbox.New(sbOpts)
	page := &httptest.Server{Listener: pageLn, Config: &http.Server{Handler: st.sandbox.PageHandler()}}
	page.Start()
	t.Cleanup(page.Close)
	api := httptest.NewServer(st.sandbox.APIHandler())
	t.Cleanup(api.Close)

	secretKey := sandbox.TestSecretKey
	if o.secretKey != "" {
		secretKey = o.secretKey
	}
	client, err := faceid.New(faceid.Config{
		Endpoint:         strings.TrimPrefix(api.URL, "http://"),
		Scheme:           "http",
		Credentials:      faceid.StaticCredentials(sandbox.TestSecretID, secretKey, ""),
		RateLimitRetries: -1,
		Timeout:          5 * time.Second,
		Now:              st.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	st.faceid = &countingFaceID{inner: client}
	newStore := o.newStore
	if newStore == nil {
		newStore = fileStore
	}
	st.store = &countingStore{inner: newStore(t)}

	st.cfg = testConfig()
	if o.config != nil {
		o.config(&st.cfg)
	}
	st.rebuild()
	return st
}

// rebuild makes the service anew from st.cfg, on the same sandbox, client and store.
func (st *stack) rebuild() {
	st.t.Helper()
	svc, err := core.New(st.cfg, core.Deps{
		FaceID: st.faceid,
		Store:  st.store,
		Now:    st.clock.Now,
		Logger: slog.New(slog.NewJSONHandler(st.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		QRCode: qrcode.SVG,
	})
	if err != nil {
		st.t.Fatal(err)
	}
	st.svc, st.handler = svc, svc.Routes()
}

// do runs one request through the gateway-mounted handlers.
func (st *stack) do(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	st.handler.ServeHTTP(rec, req)
	return rec
}

func (st *stack) get(target string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "https://gw.example.test"+target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	return st.do(req)
}

func (st *stack) postJSON(target string, body any, hdr ...string) *httptest.ResponseRecorder {
	var r io.Reader
	switch b := body.(type) {
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			st.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(http.MethodPost, "https://gw.example.test"+target, r)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return st.do(req)
}

// browser is what a user's browser holds between the stages.
type browser struct {
	token  string
	cookie *http.Cookie
	start  *httptest.ResponseRecorder
}

// startPost runs POST /start as a browser would and returns what the browser holds.
func (st *stack) startPost(opts core.StartOptions) *browser {
	st.t.Helper()
	rec := st.postJSON("/start", opts)
	if rec.Code != http.StatusCreated {
		st.t.Fatalf("POST /start = %d %s", rec.Code, rec.Body)
	}
	var resp core.StartResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		st.t.Fatal(err)
	}
	return &browser{token: resp.Token, cookie: bindingCookie(st.t, rec), start: rec}
}

// startGet runs GET /start as a navigating page would.
func (st *stack) startGet(q url.Values) *browser {
	st.t.Helper()
	rec := st.get("/start?"+q.Encode(), "Accept", "text/html")
	if rec.Code != http.StatusFound {
		st.t.Fatalf("GET /start = %d %s", rec.Code, rec.Body)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		st.t.Fatal(err)
	}
	return &browser{token: loc.Query().Get("token"), cookie: bindingCookie(st.t, rec), start: rec}
}

func bindingCookie(t testing.TB, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("start set %d cookies, want exactly 1", len(cookies))
	}
	return cookies[0]
}

// callback runs GET /callback?token= with the browser's cookie, as Tencent's redirect does.
func (st *stack) callback(b *browser) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, callbackURL+"?token="+url.QueryEscape(b.token), nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if b.cookie != nil {
		req.AddCookie(&http.Cookie{Name: b.cookie.Name, Value: b.cookie.Value})
	}
	return st.do(req)
}

// landing is what the merchant's return page receives.
type landing struct {
	token, ticket, status string
	url                   *url.URL
}

func (st *stack) mustCallback(b *browser) landing {
	st.t.Helper()
	rec := st.callback(b)
	if rec.Code != http.StatusFound {
		st.t.Fatalf("callback = %d %s", rec.Code, rec.Body)
	}
	u, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		st.t.Fatal(err)
	}
	q := u.Query()
	return landing{token: q.Get("token"), ticket: q.Get("ticket"), status: q.Get("status"), url: u}
}

func (st *stack) fullResult(token string) (core.Result, *httptest.ResponseRecorder) {
	st.t.Helper()
	rec := st.get("/result?token="+url.QueryEscape(token), "Authorization", "Bearer "+merchantKey)
	var res core.Result
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			st.t.Fatal(err)
		}
	}
	return res, rec
}

func (st *stack) summary(token, ticket string) (core.Summary, *httptest.ResponseRecorder) {
	st.t.Helper()
	rec := st.get("/result?token=" + url.QueryEscape(token) + "&ticket=" + url.QueryEscape(ticket))
	var res core.Summary
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			st.t.Fatal(err)
		}
	}
	return res, rec
}

func (st *stack) setOutcome(token string, o sandbox.Outcome) {
	st.t.Helper()
	if err := st.sandbox.SetOutcome(token, o); err != nil {
		st.t.Fatalf("SetOutcome(%s): %v", o.Result, err)
	}
}

// errorCode decodes the code of a JSON error answer.
func errorCode(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", rec.Body, err)
	}
	if body.Error.Message == "" {
		t.Fatalf("error %q has no message", body.Error.Code)
	}
	return body.Error.Code
}
