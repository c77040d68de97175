package faceid_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/sandbox"
)

// clock is the time shared by the sandbox and the client, so tests can move both.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rig is a sandbox served over loopback HTTP on two origins (API and page, as Tencent's
// differ), and a client pointed at it with the sandbox's test keys.
type rig struct {
	sb     *sandbox.Sandbox
	clock  *clock
	api    *httptest.Server
	page   *httptest.Server
	client *faceid.Client
}

func newRig(t testing.TB, opts sandbox.Options, edit func(*faceid.Config)) *rig {
	t.Helper()
	r := &rig{clock: newClock()}
	// The page origin must exist before the sandbox, which builds its URLs on it; the
	// handler is set before any request can arrive.
	var page http.Handler
	r.page = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { page.ServeHTTP(w, req) }))
	t.Cleanup(r.page.Close)
	if opts.Now == nil {
		opts.Now = r.clock.Now
	}
	opts.PageURL = r.page.URL
	r.sb = sandbox.New(opts)
	page = r.sb.PageHandler()
	r.api = httptest.NewServer(r.sb.APIHandler())
	t.Cleanup(r.api.Close)
	r.client = newClient(t, r.api.URL, faceid.Config{
		Credentials: faceid.StaticCredentials(sandbox.TestSecretID, sandbox.TestSecretKey, ""),
		Now:         r.clock.Now,
	}, edit)
	return r
}

func applyReq(cfg *faceid.WebVerificationConfigIntl) *faceid.ApplyWebVerificationBizTokenIntlRequest {
	return &faceid.ApplyWebVerificationBizTokenIntlRequest{
		RedirectURL:        "https://merchant.example/callback?shop=7",
		CompareImageBase64: b64(jpegBytes),
		Extra:              "order-7",
		Config:             cfg,
	}
}

func (r *rig) apply(t testing.TB, cfg *faceid.WebVerificationConfigIntl) *faceid.ApplyWebVerificationBizTokenIntlResponse {
	t.Helper()
	resp, err := r.client.ApplyWebVerificationBizTokenIntl(context.Background(), applyReq(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (r *rig) get(t testing.TB, token string) *faceid.GetWebVerificationResultIntlResponse {
	t.Helper()
	res, err := r.client.GetWebVerificationResultIntl(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRoundTripApplyPendingPass(t *testing.T) {
	r := newRig(t, sandbox.Options{}, nil)
	start := r.apply(t, nil)
	if start.BizToken == "" || !strings.HasPrefix(start.VerificationURL, r.page.URL+"/") || !strings.Contains(start.VerificationURL, start.BizToken) {
		t.Fatalf("apply answered %+v", start)
	}
	if start.RequestId == "" {
		t.Error("no RequestId")
	}

	res := r.get(t, start.BizToken)
	if o := core.InterpretResult(res); o.Status != core.StatusPending || o.Code != nil {
		t.Fatalf("before the user finished: %+v", o)
	}
	if res.Extra == nil || *res.Extra != "order-7" {
		t.Fatalf("Extra %v", res.Extra)
	}

	if err := r.sb.SetOutcome(start.BizToken, sandbox.Outcome{Result: sandbox.ResultPass, Similarity: 88}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // results can be read repeatedly
		res = r.get(t, start.BizToken)
		if o := core.InterpretResult(res); o.Status != core.StatusPassed || *o.Code != 0 {
			t.Fatalf("after pass: %+v", o)
		}
		if len(res.VerificationDetailList) != 1 || res.VerificationDetailList[0].Similarity == nil || *res.VerificationDetailList[0].Similarity != 88 {
			t.Fatalf("details %+v", res.VerificationDetailList)
		}
		if res.BestFrameBase64 == nil || res.VideoBase64 == nil {
			t.Fatal("media missing from a passed result")
		}
		if res.Extra == nil || *res.Extra != "order-7" {
			t.Fatalf("Extra %v", res.Extra)
		}
	}
}

// outcomeCase is one outcome of the hosted page and how the core must read it.
type outcomeCase struct {
	name     string
	cfg      func() *faceid.WebVerificationConfigIntl // a fresh Config (nil for none)
	outcome  sandbox.Outcome
	status   core.Status
	category core.Category
	ocrPass  *bool
}

func outcomeCases() []outcomeCase {
	none := func() *faceid.WebVerificationConfigIntl { return nil }
	ocr := func() *faceid.WebVerificationConfigIntl {
		return &faceid.WebVerificationConfigIntl{CheckMode: new(int64(1)), IDCardType: new("HKIDCard")}
	}
	cfg := func(c faceid.WebVerificationConfigIntl) func() *faceid.WebVerificationConfigIntl {
		return func() *faceid.WebVerificationConfigIntl { c := c; return &c }
	}
	return []outcomeCase{
		{"pass", none, sandbox.Outcome{Result: sandbox.ResultPass}, core.StatusPassed, "", nil},
		{"pass liveness only", cfg(faceid.WebVerificationConfigIntl{CheckMode: new(int64(3))}), sandbox.Outcome{Result: sandbox.ResultPass}, core.StatusPassed, "", nil},
		{"liveness failure", none, sandbox.Outcome{Result: sandbox.ResultLivenessFail}, core.StatusFailed, core.CategoryLiveness, nil},
		{"silent liveness failure", cfg(faceid.WebVerificationConfigIntl{SecurityLevel: new(int64(1))}),
			sandbox.Outcome{Result: sandbox.ResultLivenessFail}, core.StatusFailed, core.CategoryLiveness, nil},
		{"compare failure", none, sandbox.Outcome{Result: sandbox.ResultCompareFail, Similarity: 35}, core.StatusFailed, core.CategoryCompare, nil},
		{"document pass", ocr, sandbox.Outcome{Result: sandbox.ResultDocument}, core.StatusPassed, "", new(true)},
		{"pass with ocr", ocr, sandbox.Outcome{Result: sandbox.ResultPass}, core.StatusPassed, "", new(true)},
		{"document failure", ocr, sandbox.Outcome{Result: sandbox.ResultDocumentFail}, core.StatusFailed, core.CategoryDocument, new(false)},
		{"ocr only failure", cfg(faceid.WebVerificationConfigIntl{CheckMode: new(int64(4))}),
			sandbox.Outcome{Result: sandbox.ResultDocumentFail}, core.StatusFailed, core.CategoryDocument, new(false)},
		{"user exit", none, sandbox.Outcome{Result: sandbox.ResultUserExit}, core.StatusFailed, core.CategoryUserExit, nil},
		{"timeout", none, sandbox.Outcome{Result: sandbox.ResultTimeout}, core.StatusFailed, core.CategoryTimeout, nil},
		{"retry limit", cfg(faceid.WebVerificationConfigIntl{LivenessRetryLimit: new(int64(3))}),
			sandbox.Outcome{Result: sandbox.ResultRetryLimit}, core.StatusFailed, core.CategoryRetryLimit, nil},
	}
}

// checkOutcome reads the result of token with the client and holds it to tt.
func (r *rig) checkOutcome(t *testing.T, token string, tt outcomeCase) {
	t.Helper()
	res := r.get(t, token)
	o := core.InterpretResult(res)
	if o.Status != tt.status || o.Category != tt.category || o.Code == nil || o.Message == "" {
		t.Fatalf("outcome %+v (ErrorCode %v), want %s/%s", o, res.ErrorCode, tt.status, tt.category)
	}
	if tt.ocrPass != nil {
		if len(res.OCRResult) == 0 || res.OCRResult[0].IsPass == nil || *res.OCRResult[0].IsPass != *tt.ocrPass {
			t.Fatalf("OCRResult %+v", res.OCRResult)
		}
		if len(res.OCRResult[0].NormalCardInfo) == 0 {
			t.Fatal("no card data")
		}
	}
	if tt.outcome.Result == sandbox.ResultRetryLimit && len(res.VerificationDetailList) != 3 {
		t.Fatalf("%d attempts, want 3", len(res.VerificationDetailList))
	}
	if tt.outcome.Result == sandbox.ResultCompareFail {
		if d := res.VerificationDetailList; len(d) != 1 || d[0].Similarity == nil || *d[0].Similarity != tt.outcome.Similarity {
			t.Fatalf("compare details %+v, want similarity %v", d, tt.outcome.Similarity)
		}
	}
	if res.Extra == nil || *res.Extra != "order-7" {
		t.Fatalf("Extra %v", res.Extra)
	}
}

// TestRoundTripEveryOutcome scripts every outcome through the control API over HTTP, as
// a test or a script without a browser does, and reads it back as the core will.
func TestRoundTripEveryOutcome(t *testing.T) {
	r := newRig(t, sandbox.Options{RateLimit: -1}, nil)
	for _, tt := range outcomeCases() {
		t.Run(tt.name, func(t *testing.T) {
			start := r.apply(t, tt.cfg())
			body, err := json.Marshal(map[string]any{"BizToken": start.BizToken, "Outcome": tt.outcome})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post(r.api.URL+"/_sandbox/outcome", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("control API answered %s", resp.Status)
			}
			r.checkOutcome(t, start.BizToken, tt)
		})
	}
}

// htmlLang is the lang attribute the hosted page declares for each Config.Language.
var htmlLang = map[string]string{"en": "en", "th": "th", "id": "id", "zh-cn": "zh-Hans", "zh-tc": "zh-Hant"}

// TestRoundTripThroughHostedPage is a browser on the sandbox's page origin, over HTTP, for
// every outcome: it opens VerificationURL, starts, picks the outcome, taps Next (each step
// a form post the page answers with a 303 back to itself, like a browser follows), and must
// land on RedirectURL with the token appended and the merchant's query kept. Each case
// also sets a page Language and ThemeColor (checked in the HTML) and, every other case,
// AutoSkip: a pass then redirects at once, a failure still shows its result page.
func TestRoundTripThroughHostedPage(t *testing.T) {
	r := newRig(t, sandbox.Options{RateLimit: -1}, nil)
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	langs := faceid.Languages()
	for i, tt := range outcomeCases() {
		t.Run(tt.name, func(t *testing.T) {
			fetch := func(resp *http.Response, err error) (int, string, string) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				return resp.StatusCode, string(b), resp.Header.Get("Location")
			}
			cfg := tt.cfg()
			if cfg == nil {
				cfg = &faceid.WebVerificationConfigIntl{}
			}
			lang, theme, autoSkip := langs[i%len(langs)], fmt.Sprintf("#%06X", 0x1A2B3C+i), i%2 == 0
			cfg.Language, cfg.ThemeColor, cfg.AutoSkip = &lang, &theme, &autoSkip
			start := r.apply(t, cfg)
			wantLocation := "https://merchant.example/callback?shop=7&token=" + start.BizToken

			status, page, _ := fetch(browser.Get(start.VerificationURL))
			if status != http.StatusOK || !strings.Contains(page, `data-page="intro"`) {
				t.Fatalf("VerificationURL: %d\n%s", status, page)
			}
			for _, want := range []string{`<html lang="` + htmlLang[lang] + `">`, "--theme: " + theme + ";"} {
				if !strings.Contains(page, want) {
					t.Fatalf("page lacks %q", want)
				}
			}
			// post submits a step like the browser does: the page answers a step with a 303
			// back to itself (fetched with GET), or with the redirect to RedirectURL.
			post := func(form url.Values) (int, string, string) {
				form.Set("token", start.BizToken)
				status, page, location := fetch(browser.PostForm(r.page.URL+"/reflect/", form))
				if status != http.StatusSeeOther {
					return status, page, location
				}
				if !strings.HasPrefix(location, "/reflect/?token=") {
					t.Fatalf("the page sent the browser to %q, not back to itself", location)
				}
				return fetch(browser.Get(r.page.URL + location))
			}
			status, page, _ = post(url.Values{"step": {"begin"}})
			if status != http.StatusOK || !strings.Contains(page, `data-outcome="`+tt.outcome.Result+`"`) {
				t.Fatalf("choose page: %d, no button for %s\n%s", status, tt.outcome.Result, page)
			}
			finish := url.Values{"step": {"finish"}, "outcome": {tt.outcome.Result}}
			if tt.outcome.Similarity != 0 {
				finish.Set("similarity", strconv.FormatFloat(tt.outcome.Similarity, 'f', -1, 64))
			}
			status, page, location := post(finish)
			if autoSkip && tt.status == core.StatusPassed {
				if status != http.StatusFound || location != wantLocation {
					t.Fatalf("AutoSkip pass: %d to %q, want a redirect to %q", status, location, wantLocation)
				}
			} else {
				if status != http.StatusOK || !strings.Contains(page, `data-page="result"`) {
					t.Fatalf("result page: %d\n%s", status, page)
				}
				status, _, location = post(url.Values{"step": {"next"}})
				if status != http.StatusFound || location != wantLocation {
					t.Fatalf("Next: %d to %q, want a redirect to %q", status, location, wantLocation)
				}
			}
			r.checkOutcome(t, start.BizToken, tt)
		})
	}
}

// TestRoundTripEveryCode scripts each code of the table as the final ErrorCode and checks
// it arrives and is interpreted like the table says.
func TestRoundTripEveryCode(t *testing.T) {
	r := newRig(t, sandbox.Options{RateLimit: -1}, nil)
	for _, code := range append(core.ResultCodes(), 4242) {
		start := r.apply(t, nil)
		if err := r.sb.SetOutcome(start.BizToken, sandbox.Outcome{Result: sandbox.ResultLivenessFail, ErrorCode: new(code)}); err != nil {
			t.Fatal(err)
		}
		res := r.get(t, start.BizToken)
		if res.ErrorCode == nil || *res.ErrorCode != code {
			t.Fatalf("code %d arrived as %v", code, res.ErrorCode)
		}
		got, want := core.InterpretResult(res), core.Interpret(&code)
		if got.Status != want.Status || got.Category != want.Category || *got.Code != code {
			t.Errorf("code %d: %+v, want %+v", code, got, want)
		}
	}
}

func TestRoundTripTokenLifecycle(t *testing.T) {
	r := newRig(t, sandbox.Options{}, nil)
	ctx := context.Background()

	// Not opened within the start window: the result reads as code 15, expired.
	unused := r.apply(t, nil)
	finished := r.apply(t, nil)
	if err := r.sb.SetOutcome(finished.BizToken, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(sandbox.DefaultStartWindow + time.Second)
	o := core.InterpretResult(r.get(t, unused.BizToken))
	if o.Status != core.StatusExpired || o.Category != core.CategoryExpired || *o.Code != 15 {
		t.Fatalf("unused token after the start window: %+v", o)
	}
	// A finished result stays readable for three days...
	r.clock.Advance(sandbox.DefaultResultWindow - sandbox.DefaultStartWindow - 2*time.Second)
	if o := core.InterpretResult(r.get(t, finished.BizToken)); o.Status != core.StatusPassed {
		t.Fatalf("within the result window: %+v", o)
	}
	// ...and then the token itself is expired.
	r.clock.Advance(2 * time.Second)
	_, err := r.client.GetWebVerificationResultIntl(ctx, finished.BizToken)
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindTokenExpired || fe.Code != "InvalidParameterValue.BizTokenExpired" || fe.RequestID == "" {
		t.Fatalf("after the result window: %v", err)
	}
	if strings.Contains(err.Error(), finished.BizToken) {
		t.Fatal("BizToken in the error text")
	}

	// Never issued.
	_, err = r.client.GetWebVerificationResultIntl(ctx, "00000000-0000-0000-0000-000000000000")
	if !errors.As(err, &fe) || fe.Kind != faceid.KindTokenIllegal {
		t.Fatalf("unknown token: %v", err)
	}
	// An intl token is not a legacy token.
	_, err = r.client.GetWebVerificationResult(ctx, unused.BizToken)
	if !errors.As(err, &fe) || fe.Kind != faceid.KindTokenIllegal {
		t.Fatalf("intl token on the legacy action: %v", err)
	}
}

func TestRoundTripAuthFailures(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(cfg *faceid.Config, c *clock)
		code string
	}{
		{"wrong key", func(cfg *faceid.Config, _ *clock) {
			cfg.Credentials = faceid.StaticCredentials(sandbox.TestSecretID, "wrong", "")
		}, "AuthFailure.SignatureFailure"},
		{"unknown secret id", func(cfg *faceid.Config, _ *clock) {
			cfg.Credentials = faceid.StaticCredentials("AKIDnobody", sandbox.TestSecretKey, "")
		}, "AuthFailure.SecretIdNotFound"},
		{"clock six minutes behind", func(cfg *faceid.Config, c *clock) {
			cfg.Now = func() time.Time { return c.Now().Add(-6 * time.Minute) }
		}, "AuthFailure.SignatureExpire"},
		{"temporary key without token", func(cfg *faceid.Config, _ *clock) {
			cfg.Credentials = faceid.StaticCredentials(sandbox.TestTempSecretID, sandbox.TestTempSecretKey, "")
		}, "AuthFailure.TokenFailure"},
		{"temporary key with a wrong token", func(cfg *faceid.Config, _ *clock) {
			cfg.Credentials = faceid.StaticCredentials(sandbox.TestTempSecretID, sandbox.TestTempSecretKey, "stale")
		}, "AuthFailure.TokenFailure"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			r := newRig(t, sandbox.Options{Now: c.Now}, func(cfg *faceid.Config) { tt.edit(cfg, c) })
			_, err := r.client.ApplyWebVerificationBizTokenIntl(context.Background(), applyReq(nil))
			var fe *faceid.Error
			if !errors.As(err, &fe) || fe.Kind != faceid.KindAuth || fe.Code != tt.code || fe.Retryable() {
				t.Fatalf("got %v, want auth %s", err, tt.code)
			}
		})
	}
	// Within five minutes of skew the signature is accepted.
	c := newClock()
	r := newRig(t, sandbox.Options{Now: c.Now}, func(cfg *faceid.Config) {
		cfg.Now = func() time.Time { return c.Now().Add(4 * time.Minute) }
	})
	r.apply(t, nil)
}

// TestRoundTripRegions: the sandbox serves the regions of the web actions and refuses
// others, which the client reports as a configuration error.
func TestRoundTripRegions(t *testing.T) {
	for _, region := range []string{"ap-jakarta", "ap-bangkok", "ap-hongkong", "sa-saopaulo"} {
		r := newRig(t, sandbox.Options{}, func(cfg *faceid.Config) { cfg.Region = region })
		r.apply(t, nil)
	}
	r := newRig(t, sandbox.Options{}, func(cfg *faceid.Config) { cfg.Region = "eu-frankfurt" })
	_, err := r.client.ApplyWebVerificationBizTokenIntl(context.Background(), applyReq(nil))
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindConfig || fe.Code != "UnsupportedRegion" {
		t.Fatalf("got %v", err)
	}
}

// TestRoundTripSCFRoleKeys uses the environment variables SCF sets for an execution role.
func TestRoundTripSCFRoleKeys(t *testing.T) {
	e := &env{vars: map[string]string{
		faceid.EnvSCFSecretID: sandbox.TestTempSecretID, faceid.EnvSCFSecretKey: sandbox.TestTempSecretKey,
		faceid.EnvSCFSessionToken: sandbox.TestSessionToken,
	}}
	r := newRig(t, sandbox.Options{}, func(cfg *faceid.Config) { cfg.Credentials = faceid.EnvCredentials(e.getenv) })
	start := r.apply(t, nil)
	if o := core.InterpretResult(r.get(t, start.BizToken)); o.Status != core.StatusPending {
		t.Fatalf("%+v", o)
	}
}

func TestRoundTripParameterErrors(t *testing.T) {
	r := newRig(t, sandbox.Options{RuleIDs: []string{"1"}, RateLimit: -1}, nil)
	ctx := context.Background()
	// The client's own validation passes these; the service refuses them.
	req := applyReq(nil)
	req.RuleId = "99"
	_, err := r.client.ApplyWebVerificationBizTokenIntl(ctx, req)
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindBadParameter || fe.Code != "InvalidParameterValue.RuleIdNotExist" {
		t.Fatalf("unknown RuleId: %v", err)
	}
	req = applyReq(nil)
	req.CompareImageBase64 = "" // the sandbox takes the strict reading: CheckMode 2 needs the image
	_, err = r.client.ApplyWebVerificationBizTokenIntl(ctx, req)
	if !errors.As(err, &fe) || fe.Kind != faceid.KindBadParameter {
		t.Fatalf("CheckMode 2 without an image: %v", err)
	}
	// Everything the client accepts in a full configuration, the service accepts too.
	full := applyReq(&faceid.WebVerificationConfigIntl{
		AutoSkipStartPage: new(true), AutoSkip: new(true), CheckMode: new(int64(1)), IDCardType: new("HKIDCard"),
		DisableCheckOcrWarnings: new(false), SecurityLevel: new(int64(5)), SkipPrivacyPolicy: new(true),
		IdCardCutReturn: new(true), ThemeColor: new("#12AB9f"), Language: new("id"), AutoDowngrade: new(int64(2)),
		ActionList: new("nod,blink"), LivenessRetryLimit: new(int64(99)), LivenessTimeout: new(int64(600)),
		SelectedWarningCodes: new("-9101,-9102,-9103,-9104,-9107,-9108,-9109"), AllowExpiredDocument: new(true), Version: new("PLUS"),
	})
	full.RuleId = "1"
	full.Extra = strings.Repeat("字", faceid.MaxExtraRunes)
	if _, err := r.client.ApplyWebVerificationBizTokenIntl(ctx, full); err != nil {
		t.Fatalf("full configuration: %v", err)
	}
	for _, card := range faceid.IDCardTypes() {
		req := applyReq(&faceid.WebVerificationConfigIntl{CheckMode: new(int64(1)), IDCardType: new(card)})
		if _, err := r.client.ApplyWebVerificationBizTokenIntl(ctx, req); err != nil {
			t.Fatalf("%s: %v", card, err)
		}
	}
}

// TestRoundTripThrottling lowers the sandbox's limit to one request per second on a
// frozen clock. Without retries the second call is throttled; with retries whose backoff
// moves the clock on, it succeeds.
func TestRoundTripThrottling(t *testing.T) {
	r := newRig(t, sandbox.Options{RateLimit: 1}, func(cfg *faceid.Config) { cfg.RateLimitRetries = -1 })
	r.apply(t, nil)
	_, err := r.client.ApplyWebVerificationBizTokenIntl(context.Background(), applyReq(nil))
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindThrottled || !fe.Retryable() {
		t.Fatalf("second call in the same second: %v", err)
	}

	var retries int
	r2 := newRig(t, sandbox.Options{RateLimit: 1}, nil)
	c := newClient(t, r2.api.URL, faceid.Config{
		Credentials: faceid.StaticCredentials(sandbox.TestSecretID, sandbox.TestSecretKey, ""),
		Now:         r2.clock.Now,
	}, func(cfg *faceid.Config) {
		cfg.RateLimitBackoff = func(int) time.Duration {
			retries++
			r2.clock.Advance(time.Second)
			return time.Millisecond
		}
	})
	r2.apply(t, nil)
	if _, err := c.ApplyWebVerificationBizTokenIntl(context.Background(), applyReq(nil)); err != nil {
		t.Fatalf("with retries: %v", err)
	}
	if retries != 1 {
		t.Fatalf("%d retries, want 1", retries)
	}
}

// TestRoundTripFailedOperationThrottling: the sandbox throttles with the code the SDK's
// own retry does not retry; the client retries it with its count and backoff.
func TestRoundTripFailedOperationThrottling(t *testing.T) {
	throttle := sandbox.Faults{ThrottleRate: 1, ThrottleCode: "FailedOperation.RequestLimitExceeded"}

	// Throttled twice, then let through: the default two retries reach the answer.
	var retries []int
	release := true // lift the throttling before the second retry
	var r *rig
	r = newRig(t, sandbox.Options{Faults: throttle}, func(cfg *faceid.Config) {
		cfg.RateLimitBackoff = func(retry int) time.Duration {
			retries = append(retries, retry)
			if release && retry == 1 {
				r.sb.SetFaults(sandbox.Faults{})
			}
			return time.Millisecond
		}
	})
	start := r.apply(t, nil)
	if start.BizToken == "" || fmt.Sprint(retries) != "[0 1]" {
		t.Fatalf("token %q after retries %v", start.BizToken, retries)
	}

	// Throttled throughout: after the retries the call is throttled, with the code.
	retries, release = nil, false
	r.sb.SetFaults(throttle)
	_, err := r.client.GetWebVerificationResultIntl(context.Background(), start.BizToken)
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindThrottled || fe.Code != "FailedOperation.RequestLimitExceeded" || !fe.Retryable() {
		t.Fatalf("got %v", err)
	}
	if fmt.Sprint(retries) != "[0 1]" {
		t.Fatalf("retries %v, want the default two", retries)
	}
}

// TestRoundTripMalformedBizToken: GetWebVerificationResultIntl answers plain
// InvalidParameterValue for a value that cannot be a BizToken, a bad parameter (not
// BizTokenIllegal, which is a well-formed token Tencent did not issue).
func TestRoundTripMalformedBizToken(t *testing.T) {
	r := newRig(t, sandbox.Options{}, nil)
	_, err := r.client.GetWebVerificationResultIntl(context.Background(), "not-a-token")
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindBadParameter || fe.Code != "InvalidParameterValue" || fe.Retryable() {
		t.Fatalf("got %v", err)
	}
}

// TestRoundTripNotFinishedCode: ErrorCode 17 ("process not finished") reaches the caller
// as 17, which the core reads as pending with its code kept, like a null ErrorCode.
func TestRoundTripNotFinishedCode(t *testing.T) {
	r := newRig(t, sandbox.Options{}, nil)
	start := r.apply(t, nil)
	if err := r.sb.SetOutcome(start.BizToken, sandbox.Outcome{Result: sandbox.ResultPass, ErrorCode: new(int64(17))}); err != nil {
		t.Fatal(err)
	}
	res := r.get(t, start.BizToken)
	if res.ErrorCode == nil || *res.ErrorCode != 17 {
		t.Fatalf("ErrorCode arrived as %v, want 17", res.ErrorCode)
	}
	if o := core.InterpretResult(res); o.Status != core.StatusPending || o.Code == nil || *o.Code != 17 {
		t.Fatalf("17 is read as %+v, want pending with code 17", o)
	}
}

func TestRoundTripInjectedFaults(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults sandbox.Faults
		code   string
	}{
		{"internal error", sandbox.Faults{InternalErrorRate: 1}, "InternalError"},
		{"dropped connection", sandbox.Faults{DropRate: 1}, "ClientError.NetworkError"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, sandbox.Options{Faults: tt.faults}, nil)
			_, err := r.client.GetWebVerificationResultIntl(context.Background(), "00000000-0000-0000-0000-000000000000")
			var fe *faceid.Error
			if !errors.As(err, &fe) || fe.Kind != faceid.KindUnavailable || fe.Code != tt.code || !fe.Retryable() {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// TestRoundTripLegacyFlow is the upload-URL flow of the seed documents end to end:
// CreateUploadUrl, the PUT of the image, ApplyWebVerificationToken with its MD5, and
// GetWebVerificationResult with media links that serve what their MD5 says.
func TestRoundTripLegacyFlow(t *testing.T) {
	r := newRig(t, sandbox.Options{}, nil)
	ctx := context.Background()
	up, err := r.client.CreateUploadUrl(ctx, faceid.ActionApplyWebVerificationToken)
	if err != nil {
		t.Fatal(err)
	}
	if up.ExpiredTimestamp <= r.clock.Now().Unix() {
		t.Fatalf("upload URL already expired: %d", up.ExpiredTimestamp)
	}
	sum, err := r.client.Upload(ctx, up.UploadUrl, jpegBytes)
	if err != nil {
		t.Fatal(err)
	}
	start, err := r.client.ApplyWebVerificationToken(ctx, &faceid.ApplyWebVerificationTokenRequest{
		RedirectUrl: "https://merchant.example/legacy-callback", CompareImageUrl: up.ResourceUrl, CompareImageMd5: sum,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(start.VerificationUrl, r.page.URL+"/") || start.BizToken == "" {
		t.Fatalf("legacy apply answered %+v", start)
	}

	res, err := r.client.GetWebVerificationResult(ctx, start.BizToken)
	if err != nil {
		t.Fatal(err)
	}
	if o := core.Interpret(res.ErrorCode); o.Status != core.StatusPending || res.VideoUrl != nil {
		t.Fatalf("before the user finished: %+v, video %v", o, res.VideoUrl)
	}
	if err := r.sb.SetOutcome(start.BizToken, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
		t.Fatal(err)
	}
	res, err = r.client.GetWebVerificationResult(ctx, start.BizToken)
	if err != nil {
		t.Fatal(err)
	}
	if o := core.Interpret(res.ErrorCode); o.Status != core.StatusPassed {
		t.Fatalf("after pass: %+v", o)
	}
	for _, m := range []struct{ url, md5 *string }{{res.VideoBestFrameUrl, res.VideoBestFrameMd5}, {res.VideoUrl, res.VideoMd5}} {
		if m.url == nil || m.md5 == nil {
			t.Fatalf("media missing: %+v", res)
		}
		if got := fetchMD5(t, *m.url); got != *m.md5 {
			t.Errorf("media MD5 %s, result says %s", got, *m.md5)
		}
	}
}

func fetchMD5(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET media: %d %v", resp.StatusCode, err)
	}
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

func TestRoundTripLegacyOutcomesAndErrors(t *testing.T) {
	r := newRig(t, sandbox.Options{RateLimit: -1}, nil)
	ctx := context.Background()
	legacyStart := func(t *testing.T, md5hex string) (*faceid.ApplyWebVerificationTokenResponse, error) {
		t.Helper()
		up, err := r.client.CreateUploadUrl(ctx, faceid.ActionApplyWebVerificationToken)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := r.client.Upload(ctx, up.UploadUrl, pngBytes)
		if err != nil {
			t.Fatal(err)
		}
		if md5hex == "" {
			md5hex = sum
		}
		return r.client.ApplyWebVerificationToken(ctx, &faceid.ApplyWebVerificationTokenRequest{
			RedirectUrl: "https://merchant.example/cb", CompareImageUrl: up.ResourceUrl, CompareImageMd5: md5hex,
		})
	}
	for _, tt := range []struct {
		outcome  sandbox.Outcome
		category core.Category
	}{
		{sandbox.Outcome{Result: sandbox.ResultLivenessFail}, core.CategoryLiveness},
		{sandbox.Outcome{Result: sandbox.ResultCompareFail}, core.CategoryCompare},
		{sandbox.Outcome{Result: sandbox.ResultUserExit}, core.CategoryUserExit},
		{sandbox.Outcome{Result: sandbox.ResultTimeout}, core.CategoryTimeout},
		{sandbox.Outcome{Result: sandbox.ResultRetryLimit}, core.CategoryRetryLimit},
	} {
		start, err := legacyStart(t, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.sb.SetOutcome(start.BizToken, tt.outcome); err != nil {
			t.Fatal(err)
		}
		res, err := r.client.GetWebVerificationResult(ctx, start.BizToken)
		if err != nil {
			t.Fatal(err)
		}
		if o := core.Interpret(res.ErrorCode); o.Status != core.StatusFailed || o.Category != tt.category {
			t.Errorf("%s: %+v", tt.outcome.Result, o)
		}
	}

	// An MD5 that is not the uploaded image's is refused by the service.
	_, err := legacyStart(t, strings.Repeat("0", 32))
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindBadParameter {
		t.Fatalf("wrong MD5: %v", err)
	}

	// A legacy token lives 7200 s.
	start, err := legacyStart(t, "")
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(sandbox.DefaultLegacyTokenTTL + time.Second)
	_, err = r.client.GetWebVerificationResult(ctx, start.BizToken)
	if !errors.As(err, &fe) || fe.Kind != faceid.KindTokenExpired {
		t.Fatalf("legacy token after 7200 s: %v", err)
	}

	// An upload URL past its expiry is refused with a 4xx: a bad parameter, not retryable.
	up, err := r.client.CreateUploadUrl(ctx, faceid.ActionApplyWebVerificationToken)
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Unix(up.ExpiredTimestamp, 0).Sub(r.clock.Now()) + time.Minute)
	_, err = r.client.Upload(ctx, up.UploadUrl, jpegBytes)
	if !errors.As(err, &fe) || fe.Kind != faceid.KindBadParameter || fe.Retryable() {
		t.Fatalf("expired upload URL: %v", err)
	}
}

func BenchmarkApplyGetRoundTrip(b *testing.B) {
	r := newRig(b, sandbox.Options{RateLimit: -1}, nil)
	ctx := context.Background()
	req := applyReq(&faceid.WebVerificationConfigIntl{CheckMode: new(int64(3))})
	b.ReportAllocs()
	for b.Loop() {
		start, err := r.client.ApplyWebVerificationBizTokenIntl(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.client.GetWebVerificationResultIntl(ctx, start.BizToken); err != nil {
			b.Fatal(err)
		}
	}
}
