package examples

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/cmd/local/stack"
	"github.com/facegate/facegate/internal/kittest"
	"github.com/facegate/facegate/pkg/webhook"
)

// Each example is a merchant's backend with the same five routes (see doc.go and the
// examples' own comments). The test starts facegate's local stack configured as a merchant
// would (start tokens, the merchant key, webhooks to the example, no anonymous starts),
// runs the example as a real process, and drives whole verifications through it.

func TestGoExample(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "merchant")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "go"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build examples/go: %v\n%s", err, out)
	}
	runExample(t, "go", bin)
}

func TestNodeExample(t *testing.T) {
	t.Parallel()
	node := kittest.RequireTool(t, "node", "nodejs", "FACEGATE_SKIP_NODE")
	out, err := exec.Command(node, "--version").Output()
	major, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(strings.TrimSpace(string(out)), ".", 2)[0], "v"))
	if err != nil || major < 18 {
		t.Fatalf("examples/node needs Node.js 18 or later (the global fetch); %s is %q", node, out)
	}
	runExample(t, "node", node, "server.js")
}

func TestPythonExample(t *testing.T) {
	t.Parallel()
	python := kittest.RequireTool(t, "python3", "python3", "FACEGATE_SKIP_PYTHON")
	runExample(t, "python", python, "-I", "server.py")
}

// The examples verify webhooks with the README's snippets, as they are there (the
// README's tests run those against webhook.Sign), so the two cannot drift apart.
func TestExamplesCarryTheReadmeVerifier(t *testing.T) {
	readme := read(t, "../README.md")
	for lang, file := range map[string]string{"node": "node/server.js", "python": "python/server.py"} {
		snippet := fenced(t, readme, "<!-- webhook-verify:"+lang+":begin -->", "<!-- webhook-verify:"+lang+":end -->")
		if !strings.Contains(read(t, file), snippet) {
			t.Errorf("examples/%s does not carry the README's %s webhook verifier as it is there", file, lang)
		}
	}
}

// verificationView is one verification as an example's GET /kyc/status tells it.
type verificationView struct {
	Session  string   `json:"session"`
	Status   string   `json:"status"`
	Category string   `json:"category"`
	Attempts int      `json:"attempts"`
	Events   []string `json:"events"`
}

// merchant is a running example and the facegate it talks to.
type merchant struct {
	t          *testing.T
	st         *stack.Stack
	p          *kittest.Process
	base       string // the example's origin
	facegate   string // facegate's origin as the example reaches it
	key        string // the merchant key
	whSecret   string // the webhook secret
	returnPage string
}

func runExample(t *testing.T, dir, name string, args ...string) {
	port := kittest.FreePort(t)
	m := &merchant{t: t, base: "http://127.0.0.1:" + port, key: "mk_" + kittest.NewSecret(),
		whSecret: kittest.NewSecret(), returnPage: kittest.ReturnPage}
	startSecret := kittest.NewSecret()
	m.st = kittest.StartStack(t, map[string]string{
		"FACEGATE_RETURN_TO":           kittest.ReturnTo,
		"FACEGATE_CORS_ORIGINS":        kittest.ShopOrigin,
		"FACEGATE_HOME_URL":            kittest.ShopOrigin + "/",
		"FACEGATE_MERCHANT_KEYS":       m.key,
		"FACEGATE_START_TOKEN_SECRETS": startSecret,
		"FACEGATE_ANONYMOUS_STARTS":    "false",
		"FACEGATE_TICKET_SECRETS":      kittest.NewSecret(),
		"FACEGATE_TOKEN_KEYS":          kittest.NewSecret(),
		"FACEGATE_WEBHOOK_URL":         m.base + "/webhooks/facegate",
		"FACEGATE_WEBHOOK_SECRETS":     m.whSecret,
		"FACEGATE_SWEEP_INTERVAL":      "500ms",
	})
	m.facegate = kittest.LoopbackURL(m.st)
	m.p = kittest.StartProcess(t, dir, []string{
		"FACEGATE_URL=" + m.facegate,
		"FACEGATE_MERCHANT_KEY=" + m.key,
		"FACEGATE_START_TOKEN_SECRET=" + startSecret,
		"FACEGATE_WEBHOOK_SECRETS=" + m.whSecret,
		"RETURN_TO=" + m.returnPage,
		"PORT=" + port,
	}, name, args...)
	m.p.WaitReady(t, m.base+"/kyc/status?user=probe", 2*time.Minute)
	m.fullFlow()
}

// fullFlow: alice starts with a start link and passes, bob is started by the backend and
// fails; the sweeper delivers both webhooks, which the example verifies and follows with
// the full result; a redelivery and forgeries change nothing; erasing alice deletes her
// verification at facegate.
func (m *merchant) fullFlow() {
	t := m.t

	// alice: the example's start link, a browser's navigation, Tencent's page, the callback.
	res, body := kittest.Do(t, http.MethodGet, m.base+"/kyc/start?user=alice", nil, nil)
	link := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(link, m.facegate+"/start?startToken=v1.") {
		m.fatalf("GET /kyc/start: %d to %q, want 302 to facegate's /start with a start token\n%s", res.StatusCode, link, body)
	}
	nav := kittest.Navigate(t, m.st, link)
	kittest.Finish(t, m.st, nav.Token, "pass")
	back := kittest.Return(t, m.st, nav.Token, nav.Cookies)
	if got := back.Scheme + "://" + back.Host + back.Path; got != m.returnPage || back.Query().Get("status") != "passed" {
		m.fatalf("the callback sent alice to %s with status %q, want %s and passed", got, back.Query().Get("status"), m.returnPage)
	}
	// A start link works once: the second navigation goes back to the return page.
	if code := kittest.Refused(t, link); code != "start_token_used" {
		m.fatalf("second use of a start link: code %q, want start_token_used", code)
	}
	aliceSession := m.sessionOf(nav.Token)

	// bob: the backend starts with the merchant key; the same attempt gets the same session.
	first := m.backendStart("bob", "1")
	if again := m.backendStart("bob", "1"); again["session"] != first["session"] {
		m.fatalf("POST /kyc/start repeated: session %v, then %v: the Idempotency-Key did not hold", first["session"], again["session"])
	}
	u, err := url.Parse(first["verificationUrl"])
	if err != nil || u.Query().Get("token") == "" {
		m.fatalf("POST /kyc/start: verificationUrl %q has no token", first["verificationUrl"])
	}
	bobToken := u.Query().Get("token")
	kittest.Finish(t, m.st, bobToken, "liveness_fail")
	if back := kittest.Return(t, m.st, bobToken, nil); back.Query().Get("status") != "failed" {
		m.fatalf("the callback gave bob status %q, want failed", back.Query().Get("status"))
	}
	bobSession := first["session"]
	if got := m.sessionOf(bobToken); got != bobSession {
		m.fatalf("POST /kyc/start answered session %s; facegate says %s", bobSession, got)
	}

	// The sweeper delivers both events (the stack's own timer sweeps too); the example
	// verifies each, fetches the full result and keeps what its app may see.
	if _, err := m.st.Sweep(t.Context()); err != nil {
		m.fatalf("sweep: %v", err)
	}
	alice := m.waitFor("alice", aliceSession, "passed")
	bob := m.waitFor("bob", bobSession, "failed")
	if bob.Category != "liveness" {
		m.fatalf("bob's verification: category %q, want liveness", bob.Category)
	}
	for _, v := range []verificationView{alice, bob} {
		if v.Attempts < 1 || len(v.Events) != 1 || !regexp.MustCompile(`^evt_[0-9a-f]{32}$`).MatchString(v.Events[0]) {
			m.fatalf("verification %+v: want the attempts of the full result and one event", v)
		}
	}

	// A redelivery of alice's event, even with another body, is dropped by its id; a
	// forged or stale delivery is refused.
	now := time.Now()
	event, _ := json.Marshal(webhook.Event{ID: alice.Events[0], Type: webhook.TypeFailed, Created: now.Unix(),
		Data: webhook.EventData{Session: aliceSession, Status: "failed", Category: "system", Reference: "alice", CompletedAt: now.UTC()}})
	if status := m.deliver(event, webhook.Sign(event, []string{m.whSecret}, now)); status/100 != 2 {
		m.fatalf("redelivered event: %d, want 2xx", status)
	}
	if v := m.status("alice"); len(v) != 1 || v[0].Status != "passed" || len(v[0].Events) != 1 {
		m.fatalf("after a redelivery alice's verifications are %+v, want the passed one, unchanged", v)
	}
	forged, _ := json.Marshal(webhook.Event{ID: "evt_" + strings.Repeat("0", 32), Type: webhook.TypePassed, Created: now.Unix(),
		Data: webhook.EventData{Session: bobSession, Status: "passed", Reference: "mallory", CompletedAt: now.UTC()}})
	for name, header := range map[string]string{
		"signed with another secret":  webhook.Sign(forged, []string{kittest.NewSecret()}, now),
		"signed six minutes ago":      webhook.Sign(forged, []string{m.whSecret}, now.Add(-6*time.Minute)),
		"without a signature":         "",
		"with a v0 signature instead": strings.Replace(webhook.Sign(forged, []string{m.whSecret}, now), "v1=", "v0=", 1),
	} {
		if status := m.deliver(forged, header); status != http.StatusBadRequest {
			m.fatalf("a delivery %s: %d, want 400", name, status)
		}
	}
	if v := m.status("mallory"); len(v) != 0 {
		m.fatalf("a forged event was kept: %+v", v)
	}

	// Erasing alice deletes her verification at facegate; bob's stays.
	res, body = kittest.Do(t, http.MethodPost, m.base+"/kyc/erase?user=alice", nil, nil)
	var erased struct{ Deleted int }
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &erased) != nil || erased.Deleted != 1 {
		m.fatalf("POST /kyc/erase: %d %s, want 200 with 1 deleted", res.StatusCode, body)
	}
	if status, answer := kittest.Merchant(t, m.st, m.key, http.MethodGet, "/result?session="+aliceSession); status != http.StatusGone || kittest.ErrorCode(answer) != "session_deleted" {
		m.fatalf("alice's result after the erasure: %d %v, want 410 session_deleted", status, answer)
	}
	if v := m.status("alice"); len(v) != 0 {
		m.fatalf("the example still shows alice's verifications: %+v", v)
	}
	if status, _ := kittest.Merchant(t, m.st, m.key, http.MethodGet, "/result?session="+bobSession); status != http.StatusOK {
		m.fatalf("bob's result after alice's erasure: %d, want 200", status)
	}
}

// fatalf fails the test; the example's output follows in the log (kittest.StartProcess).
func (m *merchant) fatalf(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf(format, args...)
}

// sessionOf asks facegate, with the merchant key, for the session id of a BizToken.
func (m *merchant) sessionOf(token string) string {
	m.t.Helper()
	status, answer := kittest.Merchant(m.t, m.st, m.key, http.MethodGet, "/result?token="+url.QueryEscape(token))
	session, _ := answer["session"].(string)
	if status != http.StatusOK || session == "" {
		m.fatalf("GET /result?token=: %d %v", status, answer)
	}
	return session
}

func (m *merchant) backendStart(user, attempt string) map[string]string {
	m.t.Helper()
	res, body := kittest.Do(m.t, http.MethodPost, m.base+"/kyc/start?user="+user+"&attempt="+attempt, nil, nil)
	var out map[string]string
	if res.StatusCode != http.StatusCreated || json.Unmarshal(body, &out) != nil || out["session"] == "" || out["verificationUrl"] == "" {
		m.fatalf("POST /kyc/start: %d %s, want 201 with session and verificationUrl", res.StatusCode, body)
	}
	return out
}

func (m *merchant) status(user string) []verificationView {
	m.t.Helper()
	res, body := kittest.Do(m.t, http.MethodGet, m.base+"/kyc/status?user="+user, nil, nil)
	var out struct {
		User          string             `json:"user"`
		Verifications []verificationView `json:"verifications"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.User != user {
		m.fatalf("GET /kyc/status: %d %s", res.StatusCode, body)
	}
	return out.Verifications
}

// waitFor waits until the example knows session of user with status.
func (m *merchant) waitFor(user, session, status string) verificationView {
	m.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, v := range m.status(user) {
			if v.Session == session && v.Status == status {
				return v
			}
		}
		if time.Now().After(deadline) {
			m.fatalf("the example never showed %s's verification %s as %s (the webhook did not arrive, was refused, or the result was not fetched); it shows %+v",
				user, session, status, m.status(user))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// deliver posts a webhook body with a signature header to the example, as facegate does.
func (m *merchant) deliver(body []byte, signature string) int {
	m.t.Helper()
	h := http.Header{"Content-Type": {"application/json"}, webhook.AttemptHeader: {"1"}}
	if signature != "" {
		h.Set(webhook.SignatureHeader, signature)
	}
	res, _ := kittest.Do(m.t, http.MethodPost, m.base+"/webhooks/facegate", h, body)
	return res.StatusCode
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fenced returns the code of the one fenced block between the markers begin and end.
func fenced(t *testing.T, doc, begin, end string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, begin)
	block, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("markers %s ... %s not found", begin, end)
	}
	block = strings.TrimSpace(block)
	fence, code, ok := strings.Cut(block, "\n")
	if !ok || !strings.HasPrefix(fence, "```") || !strings.HasSuffix(code, "```") {
		t.Fatalf("between %s and %s is not one fenced block", begin, end)
	}
	return strings.TrimSuffix(code, "```")
}
