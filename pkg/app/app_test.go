package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/cosstore"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/storetest"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// prodEnv is a minimal production configuration on the local store.
func prodEnv(t *testing.T) map[string]string {
	return map[string]string{
		"FACEGATE_CALLBACK_URL":   "https://api.example.com/callback",
		"FACEGATE_RETURN_TO":      "https://shop.example.com/verify/",
		"FACEGATE_TICKET_SECRETS": "a-ticket-secret-of-at-least-32-characters",
		"FACEGATE_TOKEN_KEYS":     "a-token-key-of-at-least-32-characters-long",
		"FACEGATE_SECRET_ID":      "AKIDexample",
		"FACEGATE_SECRET_KEY":     "example-secret-key",
		"FACEGATE_STORE":          "local",
		"FACEGATE_LOCAL_DIR":      t.TempDir(),
	}
}

func TestLoadConfigNamesEveryMissingVariable(t *testing.T) {
	_, err := app.LoadConfig(envMap(nil))
	if err == nil {
		t.Fatal("an empty environment loaded")
	}
	for _, name := range []string{"FACEGATE_CALLBACK_URL", "FACEGATE_RETURN_TO", "FACEGATE_TICKET_SECRETS", "FACEGATE_SECRET_ID", "FACEGATE_STORE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
	for kind, name := range map[string]string{"local": "FACEGATE_LOCAL_DIR", "cos": "FACEGATE_COS_BUCKET", "s3": "FACEGATE_S3_BUCKET"} {
		env := prodEnv(t)
		env["FACEGATE_STORE"] = kind
		delete(env, "FACEGATE_LOCAL_DIR")
		if _, err := app.LoadConfig(envMap(env)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("store %s without %s: %v", kind, name, err)
		}
	}
}

func TestLoadConfigRefusesMalformedValues(t *testing.T) {
	for name, value := range map[string]string{
		"FACEGATE_CALLBACK_URL":           "",
		"FACEGATE_RETURN_TO":              "//evil.example",
		"FACEGATE_TICKET_SECRETS":         "short",
		"FACEGATE_START_TOKEN_SECRETS":    "also-short",
		"FACEGATE_TICKET_TTL":             "soon",
		"FACEGATE_CALLBACK_TIMEOUT":       "-3s",
		"FACEGATE_COOKIE_SECURE":          "maybe",
		"FACEGATE_FLOW":                   "v2",
		"FACEGATE_MODES":                  "2,5",
		"FACEGATE_CHECK_MODE":             "7",
		"FACEGATE_LANGUAGES":              "en,fr",
		"FACEGATE_DOCUMENT_TYPES":         "LibraryCard",
		"FACEGATE_MERCHANT_KEYS":          "short",
		"FACEGATE_VERIFICATION_CONFIG":    `{"ThemeColor":"blue"}`,
		"FACEGATE_TENCENT_SCHEME":         "ftp",
		"FACEGATE_RATE_LIMIT_RETRIES":     "many",
		"FACEGATE_STORE":                  "dropbox",
		"FACEGATE_SECRET_KEY":             "",
		"FACEGATE_STORE_MEDIA":            "true", // with the local store
		"FACEGATE_TENCENT_TIMEOUT":        "0s",
		"FACEGATE_COMPARE_IMAGE_PREFIXES": "sessions/",
	} {
		env := prodEnv(t)
		env[name] = value
		cfg, err := app.LoadConfig(envMap(env))
		if err == nil {
			// Some values are only refused when the core checks them.
			_, err = app.Build(context.Background(), "start", cfg, nil)
		}
		if err == nil {
			t.Errorf("%s=%q accepted", name, value)
			continue
		}
		if !strings.Contains(err.Error(), name) && !strings.Contains(err.Error(), "prefix") {
			t.Errorf("%s=%q: error does not name it: %v", name, value, err)
		}
		if name == "FACEGATE_TICKET_SECRETS" && strings.Contains(err.Error(), value) {
			t.Errorf("the error repeats a secret: %v", err)
		}
	}
	env := prodEnv(t)
	env["FACEGATE_VERIFICATION_CONFIG"] = `{"CheckMode":1}`
	if _, err := app.LoadConfig(envMap(env)); err == nil || !strings.Contains(err.Error(), "FACEGATE_CHECK_MODE") {
		t.Errorf("CheckMode in the verification config: %v", err)
	}
}

func TestLoadConfigReadsEverything(t *testing.T) {
	env := prodEnv(t)
	for k, v := range map[string]string{
		"FACEGATE_TICKET_SECRETS":         "new-ticket-secret-of-at-least-32-chars, old-ticket-secret-of-at-least-32-chars",
		"FACEGATE_MERCHANT_KEYS":          "merchant-key-one-0000,merchant-key-two-0000",
		"FACEGATE_CORS_ORIGINS":           "https://shop.example.com",
		"FACEGATE_FLOW":                   "legacy",
		"FACEGATE_MODES":                  "1,3",
		"FACEGATE_CHECK_MODE":             "1",
		"FACEGATE_DOCUMENT_TYPES":         "HKIDCard",
		"FACEGATE_RULE_IDS":               "1,2",
		"FACEGATE_RULE_ID":                "1",
		"FACEGATE_VERIFICATION_CONFIG":    `{"ThemeColor":"#112233","AutoSkip":true}`,
		"FACEGATE_COMPARE_IMAGE_PREFIXES": "uploads/",
		"FACEGATE_TICKET_TTL":             "5m",
		"FACEGATE_CALLBACK_TIMEOUT":       "2s",
		"FACEGATE_REGION":                 "ap-jakarta",
		"FACEGATE_RATE_LIMIT_RETRIES":     "0",
	} {
		env[k] = v
	}
	cfg, err := app.LoadConfig(envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Core
	if len(c.TicketSecrets) != 2 || string(c.TicketSecrets[1]) != "old-ticket-secret-of-at-least-32-chars" ||
		len(c.MerchantKeys) != 2 || c.Flow != core.FlowLegacy || c.Policy.DefaultMode != 1 || len(c.Policy.Modes) != 2 ||
		c.Policy.DefaultRuleID != "1" || c.Verification == nil || *c.Verification.ThemeColor != "#112233" ||
		c.TicketTTL != 5*time.Minute || c.CallbackTimeout != 2*time.Second || !c.CookieSecure || len(c.Policy.Languages) != 5 {
		t.Fatalf("core config %+v", c)
	}
	if cfg.FaceID.Region != "ap-jakarta" || cfg.FaceID.RateLimitRetries != -1 || cfg.FaceID.Credentials == nil {
		t.Fatalf("faceid config %+v", cfg.FaceID)
	}
	if len(cfg.Warnings) != 0 {
		t.Fatalf("production config warned: %v", cfg.Warnings)
	}
}

func TestLoadConfigCredentials(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		ok   bool
		want string
	}{
		"facegate keys":   {map[string]string{"FACEGATE_SECRET_ID": "A", "FACEGATE_SECRET_KEY": "B"}, true, "A"},
		"long-term keys":  {map[string]string{"TENCENTCLOUD_SECRET_ID": "L", "TENCENTCLOUD_SECRET_KEY": "K"}, true, "L"},
		"SCF role keys":   {map[string]string{"TENCENTCLOUD_SECRETID": "R", "TENCENTCLOUD_SECRETKEY": "K", "TENCENTCLOUD_SESSIONTOKEN": "T"}, true, "R"},
		"explicit wins":   {map[string]string{"FACEGATE_SECRET_ID": "A", "FACEGATE_SECRET_KEY": "B", "TENCENTCLOUD_SECRETID": "R", "TENCENTCLOUD_SECRETKEY": "K"}, true, "A"},
		"half a pair":     {map[string]string{"TENCENTCLOUD_SECRET_ID": "L"}, false, "FACEGATE_SECRET_ID"},
		"id without key":  {map[string]string{"FACEGATE_SECRET_ID": "A"}, false, "FACEGATE_SECRET_KEY"},
		"nothing at all":  {map[string]string{}, false, "TENCENTCLOUD_SECRETID"},
		"key without id":  {map[string]string{"FACEGATE_SECRET_KEY": "B"}, false, "FACEGATE_SECRET_ID"},
		"role without id": {map[string]string{"TENCENTCLOUD_SECRETKEY": "K"}, false, "FACEGATE_SECRET_ID"},
	} {
		env := prodEnv(t)
		delete(env, "FACEGATE_SECRET_ID")
		delete(env, "FACEGATE_SECRET_KEY")
		for k, v := range c.env {
			env[k] = v
		}
		cfg, err := app.LoadConfig(envMap(env))
		if !c.ok {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v, want an error naming %s", name, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cred, err := cfg.FaceID.Credentials.Credential()
		if err != nil || cred.GetSecretId() != c.want {
			t.Errorf("%s: credential %v %v, want SecretId %s", name, cred, err, c.want)
		}
	}
}

// TestBuildMakesNoNetworkCalls keeps cold starts cheap: building any function touches
// neither Tencent nor the bucket.
func TestBuildMakesNoNetworkCalls(t *testing.T) {
	var hits atomic.Int64
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "no", http.StatusTeapot)
	}))
	defer trap.Close()
	env := prodEnv(t)
	env["FACEGATE_TENCENT_ENDPOINT"] = strings.TrimPrefix(trap.URL, "http://")
	env["FACEGATE_TENCENT_SCHEME"] = "http"
	env["FACEGATE_STORE"] = "s3"
	env["FACEGATE_S3_BUCKET"] = "b"
	env["FACEGATE_S3_REGION"] = "ap-southeast-1"
	env["FACEGATE_S3_ENDPOINT"] = trap.URL
	env["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLE"
	env["AWS_SECRET_ACCESS_KEY"] = "example"
	cfg, err := app.LoadConfig(envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range app.Functions {
		h, err := app.Build(context.Background(), fn, cfg, nil)
		if err != nil || h == nil {
			t.Fatalf("Build(%s): %v", fn, err)
		}
	}
	if _, err := app.Build(context.Background(), "admin", cfg, nil); err == nil {
		t.Fatal("an unknown function built")
	}
	if hits.Load() != 0 {
		t.Fatalf("Build made %d network calls", hits.Load())
	}
}

// sandboxEnv starts the sandbox on loopback and returns the variables that point at it.
func sandboxEnv(t *testing.T) (map[string]string, *sandbox.Sandbox) {
	t.Helper()
	pageLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox.New(sandbox.Options{PageURL: "http://" + pageLn.Addr().String(), RateLimit: -1})
	page := &httptest.Server{Listener: pageLn, Config: &http.Server{Handler: sb.PageHandler()}}
	page.Start()
	t.Cleanup(page.Close)
	api := httptest.NewServer(sb.APIHandler())
	t.Cleanup(api.Close)
	env := prodEnv(t)
	env["FACEGATE_TENCENT_ENDPOINT"] = strings.TrimPrefix(api.URL, "http://")
	env["FACEGATE_TENCENT_SCHEME"] = "http"
	env["FACEGATE_SECRET_ID"] = sandbox.TestSecretID
	env["FACEGATE_SECRET_KEY"] = sandbox.TestSecretKey
	env["FACEGATE_MERCHANT_KEYS"] = "merchant-key-0123456789"
	env["FACEGATE_ANONYMOUS_STARTS"] = "true" // the flows below start from a browser
	return env, sb
}

// TestBuildAllServesAFlow wires the local stack from the environment, on the local store,
// on S3 and on COS (each through its real SDK to the storetest server), and runs a
// verification through it. The COS server checks every signature against the Tencent keys,
// as the wiring signs COS requests with them.
func TestBuildAllServesAFlow(t *testing.T) {
	for _, storeKind := range []string{"local", "s3", "cos"} {
		t.Run(storeKind, func(t *testing.T) {
			env, sb := sandboxEnv(t)
			cosHost := ""
			switch storeKind {
			case "s3":
				srv := storetest.NewS3Server(t, nil)
				for k, v := range map[string]string{
					"FACEGATE_STORE": "s3", "FACEGATE_S3_BUCKET": storetest.S3Bucket, "FACEGATE_S3_ENDPOINT": srv.URL,
					"FACEGATE_S3_PATH_STYLE": "true", "AWS_REGION": storetest.S3Region,
					"AWS_ACCESS_KEY_ID": storetest.S3AccessKey, "AWS_SECRET_ACCESS_KEY": storetest.S3SecretKey,
				} {
					env[k] = v
				}
			case "cos":
				srv := storetest.NewCOSServer(t, nil, cosstore.Credentials{SecretID: sandbox.TestSecretID, SecretKey: sandbox.TestSecretKey})
				env["FACEGATE_STORE"] = "cos"
				env["FACEGATE_COS_BUCKET"] = storetest.COSBucket
				env["FACEGATE_COS_REGION"] = storetest.COSRegion
				env["FACEGATE_COS_ENDPOINT"] = srv.URL
				cosHost = storetest.COSHost
			}
			cfg, err := app.LoadConfig(envMap(env))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Store.COS.Host = cosHost
			h, err := app.Build(context.Background(), "all", cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			body := `{"returnTo":"https://shop.example.com/verify/done","mode":3}`
			req := httptest.NewRequest(http.MethodPost, "/start", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				t.Fatalf("start = %d %s", rec.Code, rec.Body)
			}
			var started core.StartResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &started); err != nil {
				t.Fatal(err)
			}
			cookie := rec.Result().Cookies()[0]
			if !cookie.Secure {
				t.Fatal("production cookie without Secure")
			}
			if err := sb.SetOutcome(started.Token, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
				t.Fatal(err)
			}
			req = httptest.NewRequest(http.MethodGet, "/callback?token="+started.Token, nil)
			req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			loc, _ := url.Parse(rec.Header().Get("Location"))
			if rec.Code != http.StatusFound || loc.Query().Get("status") != "passed" {
				t.Fatalf("callback = %d %s", rec.Code, loc)
			}
			req = httptest.NewRequest(http.MethodGet, "/result?token="+started.Token, nil)
			req.Header.Set("Authorization", "Bearer merchant-key-0123456789")
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"passed"`) {
				t.Fatalf("result = %d %s", rec.Code, rec.Body)
			}
		})
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunServesAndStops runs a function the way its main does, on the local runtime.
func TestRunServesAndStops(t *testing.T) {
	env, _ := sandboxEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	env["FACEGATE_RUNTIME"] = "local"
	env["PORT"] = port
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, "result", "test", envMap(env), &logs) }()

	var resp *http.Response
	for i := 0; i < 200; i++ {
		resp, err = http.Get("http://" + addr + "/result?token=ABC")
		if err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the function never answered: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("result function answered %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !strings.Contains(logs.String(), `"function":"result"`) {
		t.Fatalf("logs: %s", logs.String())
	}

	if err := app.Run(context.Background(), "start", "test", envMap(nil), &logs); err == nil || !strings.Contains(err.Error(), "FACEGATE_CALLBACK_URL") {
		t.Fatalf("Run without configuration: %v", err)
	}
}

// TestLocalMediaLinks: with FACEGATE_STORE_MEDIA on the local store, the local stack keeps
// the best frame and video in its folder and hands the merchant signed links it serves
// itself; a tampered link is refused.
func TestLocalMediaLinks(t *testing.T) {
	env, sb := sandboxEnv(t)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	env["FACEGATE_STORE_MEDIA"] = "true"
	if _, err := app.LoadConfig(envMap(env)); err == nil || !strings.Contains(err.Error(), "FACEGATE_MEDIA_BASE_URL") {
		t.Fatalf("local media without a base URL: %v", err)
	}
	env["FACEGATE_MEDIA_BASE_URL"] = srv.URL + "/media"
	cfg, err := app.LoadConfig(envMap(env))
	if err != nil {
		t.Fatal(err)
	}
	if h, err = app.Build(t.Context(), "all", cfg, nil); err != nil {
		t.Fatal(err)
	}
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	do := func(req *http.Request) *http.Response {
		t.Helper()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/start", strings.NewReader(`{"returnTo":"https://shop.example.com/verify/done","mode":3}`))
	req.Header.Set("Content-Type", "application/json")
	resp := do(req)
	var started core.StartResponse
	if err := json.NewDecoder(resp.Body).Decode(&started); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("start = %d %v", resp.StatusCode, err)
	}
	if err := sb.SetOutcome(started.Token, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/callback?token="+started.Token, nil)
	req.AddCookie(resp.Cookies()[0])
	if resp := do(req); resp.StatusCode != http.StatusFound {
		t.Fatalf("callback = %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/result?token="+started.Token, nil)
	req.Header.Set("Authorization", "Bearer merchant-key-0123456789")
	var result core.Result
	if err := json.NewDecoder(do(req).Body).Decode(&result); err != nil {
		t.Fatal(err)
	}
	if len(result.Media) == 0 {
		t.Fatal("no media links in the merchant's result")
	}
	for _, m := range result.Media {
		if !strings.HasPrefix(m.URL, srv.URL+"/media/") {
			t.Fatalf("link %q is not under the media base URL", m.URL)
		}
		req, _ = http.NewRequest(http.MethodGet, m.URL, nil)
		resp := do(req)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || int64(len(body)) != m.Size || resp.Header.Get("Content-Type") != m.ContentType {
			t.Fatalf("%s: %d, %d bytes of %s", m.Name, resp.StatusCode, len(body), resp.Header.Get("Content-Type"))
		}
		req, _ = http.NewRequest(http.MethodGet, strings.Replace(m.URL, "sig=", "sig=x", 1), nil)
		if resp := do(req); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: a tampered link answered %d", m.Name, resp.StatusCode)
		}
	}
}
