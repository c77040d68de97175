package stack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/facegate/facegate/pkg/demo"
	"github.com/facegate/facegate/pkg/sandbox"
)

// errorLog fails the test on every record logged at ERROR by any part of the stack.
type errorLog struct{ t *testing.T }

func (h errorLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h errorLog) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h errorLog) WithGroup(string) slog.Handler                { return h }
func (h errorLog) Handle(_ context.Context, r slog.Record) error {
	h.t.Errorf("logged an error: %s", r.Message)
	return nil
}

func mapEnv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// startTestStack starts a stack on free ports with its store in a temporary folder.
func startTestStack(t *testing.T, env map[string]string) (*Stack, context.CancelFunc) {
	t.Helper()
	if env == nil {
		env = map[string]string{}
	}
	if env["FACEGATE_LOCAL_DIR"] == "" {
		env["FACEGATE_LOCAL_DIR"] = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := Start(ctx, Options{
		GatewayAddr: "127.0.0.1:0",
		SandboxAddr: "127.0.0.1:0",
		PageAddr:    "127.0.0.1:0",
		Getenv:      mapEnv(env),
		Logger:      slog.New(errorLog{t}),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = st.Wait()
	})
	return st, cancel
}

func TestStackRunsWholeVerifications(t *testing.T) {
	dir := t.TempDir()
	st, cancel := startTestStack(t, map[string]string{"FACEGATE_LOCAL_DIR": dir})
	if st.RealTencent || st.Sandbox == nil || st.Store != "local" || st.StoreDir != dir {
		t.Fatalf("stack %+v: want the sandbox and the local store in %s", st, dir)
	}
	if !strings.HasPrefix(st.Gateway, "http://localhost:") || st.Gateway == "http://localhost:8080" {
		t.Fatalf("gateway %s: want localhost on a free port", st.Gateway)
	}
	client := st.NewClient(1)

	// The demo page is served beside the functions, and / leads to it.
	res, err := client.HTTP.Get(st.Gateway + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/demo/" {
		t.Fatalf("GET /: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = client.HTTP.Get(st.Gateway + "/demo/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "Start verification") {
		t.Fatalf("GET /demo/: %d", res.StatusCode)
	}

	returnTo := st.Gateway + "/demo/return.html"
	ctx := t.Context()
	for _, c := range []struct{ outcome, status, category string }{
		{sandbox.ResultPass, "passed", ""},
		{sandbox.ResultLivenessFail, "failed", "liveness"},
		{sandbox.ResultUserExit, "failed", "user_exit"},
	} {
		started, err := client.Start(ctx, returnTo)
		if err != nil {
			t.Fatalf("%s: %v", c.outcome, err)
		}
		// The verification URL is the sandbox's page origin, which the defaults did not know.
		if !strings.HasPrefix(started.VerificationURL, st.SandboxPage+"/reflect/") {
			t.Errorf("verification URL %s is not on the sandbox page origin %s", started.VerificationURL, st.SandboxPage)
		}
		if err := client.SetOutcome(ctx, started.Token, c.outcome); err != nil {
			t.Fatalf("%s: %v", c.outcome, err)
		}
		back, err := client.Callback(ctx, started)
		if err != nil {
			t.Fatalf("%s: %v", c.outcome, err)
		}
		if !strings.HasPrefix(back.Location, returnTo+"?") || back.Status != c.status {
			t.Errorf("%s: callback sent the browser to %s with status %q", c.outcome, returnTo, back.Status)
		}
		sum, err := client.Result(ctx, started.Token, back.Ticket)
		if err != nil {
			t.Fatalf("%s: %v", c.outcome, err)
		}
		if sum.Status != c.status || sum.Category != c.category || sum.Message == "" {
			t.Errorf("%s: summary %+v, want %s/%s with a message", c.outcome, sum, c.status, c.category)
		}
	}

	// Sessions went to the folder given, not to ./data.
	entries, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(entries) == 0 {
		t.Error("nothing was written to the store folder")
	}
	if _, err := os.Stat("data"); err == nil {
		t.Error("a ./data folder appeared beside the test: the store folder was not used")
	}

	cancel()
	if err := st.Wait(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := http.Get(st.Gateway + "/demo/"); err == nil {
		t.Error("the gateway still answers after shutdown")
	}
	if _, err := http.Get(st.SandboxAPI + "/"); err == nil {
		t.Error("the sandbox still answers after shutdown")
	}
}

// The stack starts as a deployment does: a browser needs a start token, which the demo
// shop's backend signs with the secret the stack made for this run, for the language,
// check mode and document type the user chose; face compare uses the backend's sample
// photo on file, kept in the store's compare folder.
func TestStackStartsWithTheDemoBackendsTokens(t *testing.T) {
	dir := t.TempDir()
	st, _ := startTestStack(t, map[string]string{"FACEGATE_LOCAL_DIR": dir})
	browser := NewHTTPClient(1)
	returnTo := st.Gateway + "/demo/return.html"

	// No token, no key: refused before anything is billed.
	req, _ := http.NewRequest(http.MethodGet, st.Gateway+"/start?returnTo="+url.QueryEscape(returnTo), nil)
	req.Header.Set("Accept", "application/json")
	res, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := readBody(res, http.StatusUnauthorized); err != nil || !strings.Contains(string(data), `"start_token_required"`) {
		t.Fatalf("an anonymous start: %v %s, want 401 start_token_required", err, data)
	}

	for _, c := range []struct {
		body         string
		lang         string
		mode         int64
		documentType string
	}{
		{`{"lang":"th","mode":2}`, "th", 2, ""},
		{`{"lang":"id","mode":1,"documentType":"IndonesiaIDCard"}`, "id", 1, "IndonesiaIDCard"},
		{`{"lang":"zh-tc","mode":4,"documentType":"HKIDCard"}`, "zh-tc", 4, "HKIDCard"},
		{`{"lang":"en","mode":3}`, "en", 3, ""},
	} {
		res, err := browser.Post(st.Gateway+"/demo/api/start", "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		data, err := readBody(res, http.StatusOK)
		if err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		var link struct{ StartURL string }
		if err := json.Unmarshal(data, &link); err != nil || !strings.HasPrefix(link.StartURL, st.Gateway+"/start?startToken=") {
			t.Fatalf("%s: start link %q (%v)", c.body, link.StartURL, err)
		}
		// The browser follows it: Tencent's (the sandbox's) page, and the binding cookie.
		res, err = browser.Get(link.StartURL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := url.Parse(res.Header.Get("Location"))
		if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), st.SandboxPage+"/reflect/") || len(res.Cookies()) == 0 {
			t.Fatalf("%s: GET /start: %d to %s, %d cookies", c.body, res.StatusCode, loc, len(res.Cookies()))
		}
		state, err := st.Sandbox.TokenState(loc.Query().Get("token"))
		if err != nil {
			t.Fatal(err)
		}
		if state.Language != c.lang || state.CheckMode != c.mode || state.HasCompareImage != (c.mode == 2) ||
			(c.documentType != "" && state.IDCardType != c.documentType) {
			t.Errorf("%s: Tencent was asked for %+v", c.body, state)
		}
		// The link starts one verification: opened again by a browser, it leads back to
		// the shop's return page (in the user's language) with the reason.
		req, _ := http.NewRequest(http.MethodGet, link.StartURL, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		res, err = browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if want := returnTo + "?lang=" + c.lang + "&code=start_token_used&status=error"; res.Header.Get("Location") != want {
			t.Errorf("%s: the used link leads to %q, want %q", c.body, res.Header.Get("Location"), want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "uploads", demo.SampleCompareImageName)); err != nil {
		t.Errorf("the sample photo on file is not in the store's uploads/ folder: %v", err)
	}
}

// Real Tencent credentials switch the stack to Tencent: no sandbox is started and the
// functions are configured for Tencent's own endpoint.
func TestStackWithRealCredentialsStartsNoSandbox(t *testing.T) {
	st, _ := startTestStack(t, map[string]string{
		"TENCENTCLOUD_SECRET_ID":  "AKIDexampleexampleexample",
		"TENCENTCLOUD_SECRET_KEY": "exampleexampleexampleexample",
	})
	if !st.RealTencent || st.Sandbox != nil || st.SandboxAPI != "" || st.SandboxPage != "" {
		t.Fatalf("stack %+v: want Tencent and no sandbox", st)
	}
	res, err := http.Get(st.Gateway + "/demo/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("demo page: %d", res.StatusCode)
	}
}

func TestStackReportsBadConfiguration(t *testing.T) {
	_, err := Start(t.Context(), Options{
		GatewayAddr: "127.0.0.1:0", SandboxAddr: "127.0.0.1:0", PageAddr: "127.0.0.1:0",
		Getenv: mapEnv(map[string]string{"FACEGATE_LOCAL_DIR": t.TempDir(), "FACEGATE_STORE": "floppy"}),
	})
	if err == nil || !strings.Contains(err.Error(), "FACEGATE_STORE") {
		t.Fatalf("error %v, want one naming FACEGATE_STORE", err)
	}
}

func TestStackReportsPortInUse(t *testing.T) {
	st, _ := startTestStack(t, nil)
	_, err := Start(t.Context(), Options{
		GatewayAddr: "127.0.0.1:0", SandboxAddr: strings.TrimPrefix(st.SandboxAPI, "http://"), PageAddr: "127.0.0.1:0",
		Getenv: mapEnv(map[string]string{"FACEGATE_LOCAL_DIR": t.TempDir()}),
	})
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("error %v, want a listen error", err)
	}
}

func TestLayeredEnvKeepsUserValues(t *testing.T) {
	user := mapEnv(map[string]string{
		"FACEGATE_CALLBACK_URL": "https://pay.example.com/callback",
		"FACEGATE_WEBHOOK_URL":  "https://shop.example.com/hooks",
	})
	run := runEnv("http://localhost:9999", "whsec-generated-for-this-run-of-the-stack", "start-secret-generated-for-this-run-of-the-stack")
	env := layeredEnv(user, run, strings.NewReplacer("localhost:8080", "localhost:9999", "127.0.0.1:8090", "127.0.0.1:7777"))
	if got := env("FACEGATE_CALLBACK_URL"); got != "https://pay.example.com/callback" {
		t.Errorf("user value rewritten: %s", got)
	}
	if got := env("FACEGATE_WEBHOOK_URL"); got != "https://shop.example.com/hooks" {
		t.Errorf("the stack's webhook URL %s won over the user's", got)
	}
	if got := env("FACEGATE_WEBHOOK_SECRETS"); got != "whsec-generated-for-this-run-of-the-stack" {
		t.Errorf("webhook secrets %q, want the stack's when the user set none", got)
	}
	if got := env("FACEGATE_RETURN_TO"); got != "http://localhost:9999/demo/" {
		t.Errorf("default returnTo %s, want the gateway's port", got)
	}
	if got := env("FACEGATE_TENCENT_ENDPOINT"); got != "127.0.0.1:7777" {
		t.Errorf("default endpoint %s, want the sandbox's port", got)
	}
}

func TestEnvFuncPrefersTheEnvironment(t *testing.T) {
	getenv := EnvFunc(mapEnv(map[string]string{"A": "env", "C": ""}), map[string]string{"A": "file", "B": "file", "C": "file"})
	for k, want := range map[string]string{"A": "env", "B": "file", "C": "file", "D": ""} {
		if got := getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// S3 settings switch the stack's store with no code change: whole verifications through
// the gateway land in the bucket (gofakes3 behind the real SDK), and nothing in a folder.
func TestStackSwitchesToS3ByConfiguration(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("sessions"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(s3srv.Close)
	dir := t.TempDir()
	st, _ := startTestStack(t, map[string]string{
		"FACEGATE_LOCAL_DIR": dir,
		"FACEGATE_STORE":     "s3", "FACEGATE_S3_BUCKET": "sessions", "FACEGATE_S3_ENDPOINT": s3srv.URL,
		"FACEGATE_S3_PATH_STYLE": "true", "AWS_REGION": "ap-southeast-1",
		"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example-secret",
	})
	if st.Store != "s3" || st.Sandbox == nil {
		t.Fatalf("stack %+v: want the s3 store and the sandbox", st)
	}
	client := st.NewClient(1)
	sum, err := client.Verify(t.Context(), st.Gateway+"/demo/return.html", sandbox.ResultPass)
	if err != nil || sum.Status != "passed" {
		t.Fatalf("verification: %+v, %v", sum, err)
	}
	objects, err := backend.ListBucket("sessions", nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objects.Contents) == 0 {
		t.Error("no session record in the S3 bucket")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the local folder got %d entries although the store is S3", len(entries))
	}
}
