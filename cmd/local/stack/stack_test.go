package stack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
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
	return startWith(t, Options{
		GatewayAddr: "127.0.0.1:0",
		SandboxAddr: "127.0.0.1:0",
		PageAddr:    "127.0.0.1:0",
		Getenv:      mapEnv(env),
	})
}

// startWith starts a stack with opts (logging errors to the test) and stops it when the
// test ends; the cancel it returns stops it sooner.
func startWith(t *testing.T, opts Options) (*Stack, context.CancelFunc) {
	t.Helper()
	opts.Logger = slog.New(errorLog{t})
	ctx, cancel := context.WithCancel(context.Background())
	st, err := Start(ctx, opts)
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

// startLANStack starts a stack with the LAN option on ip, on free ports.
func startLANStack(t *testing.T, ip string) *Stack {
	t.Helper()
	st, _ := startWith(t, Options{
		GatewayAddr: net.JoinHostPort(ip, "0"), SandboxAddr: "127.0.0.1:0", PageAddr: net.JoinHostPort(ip, "0"),
		LAN:    true,
		Getenv: mapEnv(map[string]string{"FACEGATE_LOCAL_DIR": t.TempDir()}),
	})
	return st
}

// walkAsABrowser starts through the demo shop's backend, finishes on the sandbox with
// outcome and follows the callback, as a phone's browser would, checking that every
// address it is sent to is on the gateway's or the sandbox page's origin. It returns where
// the callback sent it.
func walkAsABrowser(t *testing.T, st *Stack, outcome string) *url.URL {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := NewHTTPClient(1)
	browser.Jar = jar
	res, err := browser.Post(st.Gateway+"/demo/api/start", "application/json", strings.NewReader(`{"lang":"th","mode":3}`))
	if err != nil {
		t.Fatal(err)
	}
	data, err := readBody(res, http.StatusOK)
	if err != nil {
		t.Fatal(err)
	}
	var link struct{ StartURL string }
	_ = json.Unmarshal(data, &link)
	if !strings.HasPrefix(link.StartURL, st.Gateway+"/start?") {
		t.Fatalf("start link %s is not on the gateway %s", link.StartURL, st.Gateway)
	}
	res, err = browser.Get(link.StartURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	page, _ := url.Parse(res.Header.Get("Location"))
	if !strings.HasPrefix(page.String(), st.SandboxPage+"/reflect/?token=") {
		t.Fatalf("GET /start sent the browser to %s, not the sandbox page %s", page, st.SandboxPage)
	}
	token := page.Query().Get("token")
	res, err = browser.PostForm(st.SandboxPage+"/reflect/", url.Values{"token": {token}, "step": {"finish"}, "outcome": {outcome}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = browser.PostForm(st.SandboxPage+"/reflect/", url.Values{"token": {token}, "step": {"next"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	callback := res.Header.Get("Location")
	if !strings.HasPrefix(callback, st.Gateway+"/callback?token=") {
		t.Fatalf("the sandbox sent the browser to %s, not the gateway's callback", callback)
	}
	res, err = browser.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, _ := url.Parse(res.Header.Get("Location"))
	return back
}

// With the LAN option the stack serves what a phone needs on the address given (here a
// loopback one, as a test can bind it anywhere), and every address the defaults give
// browsers names it: callback URL, returnTo allowlist, home link, webhooks, media links
// and the sandbox page.
func TestStackOnTheLAN(t *testing.T) {
	st := startLANStack(t, "127.0.0.1")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(st.Gateway, "http://"))
	origin := "http://127.0.0.1:" + port
	if st.Gateway != origin || st.Local != origin || !strings.HasPrefix(st.SandboxPage, "http://127.0.0.1:") {
		t.Fatalf("gateway %s, local %s, sandbox page %s", st.Gateway, st.Local, st.SandboxPage)
	}
	for name, want := range map[string]string{
		"FACEGATE_CALLBACK_URL":   origin + "/callback",
		"FACEGATE_RETURN_TO":      origin + "/demo/",
		"FACEGATE_HOME_URL":       origin + "/demo/",
		"FACEGATE_WEBHOOK_URL":    origin + "/demo/webhook",
		"FACEGATE_MEDIA_BASE_URL": origin + "/media",
	} {
		if got := st.Env(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	back := walkAsABrowser(t, st, sandbox.ResultPass)
	if back.Scheme+"://"+back.Host+back.Path != origin+"/demo/return.html" || back.Query().Get("status") != "passed" {
		t.Errorf("the callback sent the browser to %s", redact(back))
	}
	// The merchant's backend, and the tests, start as before.
	if sum, err := st.NewClient(1).Verify(t.Context(), origin+"/demo/return.html", sandbox.ResultUserExit); err != nil || sum.Status != "failed" {
		t.Errorf("a backend start: %+v, %v", sum, err)
	}
}

// On a real network address the gateway also listens on loopback, where webhooks and
// facegate's link home go: the core allows plain http only to loopback for those. Skipped
// on a machine without such an address.
func TestStackOnARealLANAddress(t *testing.T) {
	var ip string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			ip = n.IP.String()
			break
		}
	}
	if ip == "" {
		t.Skip("this machine has no IPv4 address besides loopback")
	}
	st := startLANStack(t, ip)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(st.Gateway, "http://"))
	if st.Gateway != "http://"+net.JoinHostPort(ip, port) || !strings.HasPrefix(st.Local, "http://localhost:") {
		t.Fatalf("gateway %s, local %s", st.Gateway, st.Local)
	}
	for name, want := range map[string]string{
		"FACEGATE_CALLBACK_URL": st.Gateway + "/callback",
		"FACEGATE_RETURN_TO":    st.Gateway + "/demo/",
		"FACEGATE_HOME_URL":     st.Local + "/demo/",
		"FACEGATE_WEBHOOK_URL":  st.Local + "/demo/webhook",
	} {
		if got := st.Env(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, origin := range []string{st.Gateway, st.Local} {
		res, err := http.Get(origin + "/demo/")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s/demo/: %d", origin, res.StatusCode)
		}
	}
	if back := walkAsABrowser(t, st, sandbox.ResultPass); back.Query().Get("status") != "passed" {
		t.Errorf("the callback sent the browser to %s", redact(back))
	}
}

func TestStackRefusesTheLANWrongly(t *testing.T) {
	for _, c := range []struct {
		gateway string
		env     map[string]string
		want    string
	}{
		{"localhost:0", nil, "must name one IP address"},
		{"0.0.0.0:0", nil, "must name one IP address"},
		{"127.0.0.1:0", map[string]string{"TENCENTCLOUD_SECRET_ID": "AKIDexampleexampleexample", "TENCENTCLOUD_SECRET_KEY": "exampleexampleexampleexample"}, "sandbox only"},
	} {
		env := map[string]string{"FACEGATE_LOCAL_DIR": t.TempDir()}
		maps.Copy(env, c.env)
		_, err := Start(t.Context(), Options{GatewayAddr: c.gateway, SandboxAddr: "127.0.0.1:0", PageAddr: "127.0.0.1:0", LAN: true, Getenv: mapEnv(env)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want %q", c.gateway, c.env, err, c.want)
		}
	}
}

// redact hides the token and ticket of a return address in test output.
func redact(u *url.URL) string {
	q := u.Query()
	for _, k := range []string{"token", "ticket"} {
		if q.Has(k) {
			q.Set(k, "…")
		}
	}
	return u.Scheme + "://" + u.Host + u.Path + "?" + q.Encode()
}
