package docs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/facegate/facegate/cmd/local/stack"
	"github.com/facegate/facegate/internal/kittest"
)

// guideStack starts the local stack configured with the guide's own .env (its secrets,
// returnTo allowlist, CORS origins, home page, no anonymous starts), with only what must
// differ on a laptop replaced: the callback (the stack's own), the store, plain-HTTP
// cookies, and webhooks to a local receiver instead of the shop.
func guideStack(t *testing.T, s setup) *stack.Stack {
	t.Helper()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	env := map[string]string{}
	for k, v := range s.dotenv {
		env[k] = v
	}
	delete(env, "FACEGATE_CALLBACK_URL") // the stack's default names its own gateway
	env["FACEGATE_WEBHOOK_URL"] = receiver.URL
	env["FACEGATE_STORE"] = "local"
	env["FACEGATE_COOKIE_SECURE"] = "false"
	env["FACEGATE_MODES"] = "2,3" // a deployment's default
	env["FACEGATE_SWEEP_INTERVAL"] = "1h"
	return kittest.StartStack(t, env)
}

// TestGuideFlows runs the guide's blocks in the order of the guide, against a stack
// configured by its configuration blocks, with the backend's environment from its
// backend-env block (FACEGATE_URL pointed at the stack).
func TestGuideFlows(t *testing.T) {
	requireCommands(t, "curl")
	blocks := readGuide(t)
	s := runSetup(t, blocks)
	st := guideStack(t, s)
	sh := map[string]string{}
	for _, k := range []string{"FACEGATE_MERCHANT_KEY", "FACEGATE_START_TOKEN_SECRET", "FACEGATE_WEBHOOK_SECRETS"} {
		sh[k] = s.backend[k]
	}
	sh["FACEGATE_URL"] = st.Gateway
	key := sh["FACEGATE_MERCHANT_KEY"]
	secret := sh["FACEGATE_START_TOKEN_SECRET"]
	run := func(name string) string {
		t.Helper()
		return shell(t, t.TempDir(), sh, blocks[name].code)
	}

	// (a) Start links, signed in each language (FACEGATE_SKIP_NODE=1 or
	// FACEGATE_SKIP_PYTHON=1 skips only that language's signer).
	var returned *url.URL // where the callback sent the browser of a start link
	withReference := 0    // the sessions the signers started with reference user-42
	signers := map[string]func(t *testing.T, requests []signRequest) []string{
		"sign-node": func(t *testing.T, requests []signRequest) []string {
			node := kittest.RequireTool(t, "node", "nodejs", "FACEGATE_SKIP_NODE")
			return sign(t, requests, "sign.cjs", blocks["sign-node"].code+`
const requests = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
for (const r of requests) console.log(signStartToken(r.secret, r.options, r.ttl));
`, node)
		},
		"sign-python": func(t *testing.T, requests []signRequest) []string {
			python := kittest.RequireTool(t, "python3", "python3", "FACEGATE_SKIP_PYTHON")
			return sign(t, requests, "sign.py", blocks["sign-python"].code+`

import sys as _sys

for _r in json.load(_sys.stdin):
    print(sign_start_token(_r["secret"], _r["options"], _r["ttl"]))
`, python, "-I")
		},
		"sign-go": func(t *testing.T, requests []signRequest) []string {
			return signGo(t, requests, blocks["sign-go"].code)
		},
	}
	photo, other := testPhoto(t, 10), testPhoto(t, 200)
	for _, name := range []string{"sign-node", "sign-python", "sign-go"} {
		t.Run(name, func(t *testing.T) {
			tokens := signers[name](t, []signRequest{
				{secret, map[string]any{"returnTo": kittest.ReturnPage, "reference": "user-42", "lang": "en"}, 600},
				{secret, map[string]any{"returnTo": kittest.ReturnPage, "mode": 2, "compareImage": photo}, 600},
				{secret, map[string]any{"returnTo": kittest.ReturnPage, "mode": 2, "compareImage": photo}, 600},
				{secret, map[string]any{"returnTo": kittest.ReturnPage, "reference": "user-42"}, 16 * 60},
				{secret, map[string]any{"returnTo": kittest.ReturnPage, "reference": "user-42"}, 600},
			})
			// A start link: the browser navigates, facegate sends it to Tencent's page with
			// the binding cookie, and the link works once.
			link := st.Gateway + "/start?startToken=" + url.QueryEscape(tokens[0])
			nav := kittest.Navigate(t, st, link)
			withReference++
			if len(nav.Cookies) == 0 {
				t.Error("the start link's navigation set no binding cookie")
			}
			if code := kittest.Refused(t, link); code != "start_token_used" {
				t.Errorf("the start link used twice: code %q, want start_token_used", code)
			}
			kittest.Finish(t, st, nav.Token, "pass")
			returned = kittest.Return(t, st, nav.Token, nav.Cookies)

			// An inline photo goes with the token that carries its hash, and no other.
			start := func(body map[string]any) (int, map[string]any) {
				data, _ := json.Marshal(body)
				res, answer := kittest.Do(t, http.MethodPost, st.Gateway+"/start", http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}, data)
				var out map[string]any
				_ = json.Unmarshal(answer, &out)
				return res.StatusCode, out
			}
			if status, out := start(map[string]any{"startToken": tokens[1], "compareImage": photo}); status != http.StatusCreated || str(out, "session") == "" {
				t.Errorf("POST /start with the token's photo: %d %v, want 201", status, out)
			}
			for what, c := range map[string]struct {
				body map[string]any
				code string
			}{
				"another photo":            {map[string]any{"startToken": tokens[2], "compareImage": other}, "invalid_start_token"},
				"16 minutes to live":       {map[string]any{"startToken": tokens[3]}, "invalid_start_token"},
				"a reference of its own":   {map[string]any{"startToken": tokens[4], "reference": "user-43"}, "invalid_start_token"},
				"no start token, no key":   {map[string]any{"returnTo": kittest.ReturnPage}, "start_token_required"},
				"the same reference again": {map[string]any{"startToken": tokens[4], "reference": "user-42"}, ""},
			} {
				status, out := start(c.body)
				if c.code == "" && status != http.StatusCreated {
					t.Errorf("%s: %d %v, want 201", what, status, out)
				} else if c.code == "" {
					withReference++
				}
				if c.code != "" && kittest.ErrorCode(out) != c.code {
					t.Errorf("%s: %d %v, want %s", what, status, out, c.code)
				}
			}
		})
	}
	if returned == nil {
		t.Fatal("no start link came back to the return page")
	}

	// (b) A backend start, twice with the same Idempotency-Key: one session.
	first := decodeAll(t, run("backend-start"))
	second := decodeAll(t, run("backend-start"))
	if len(first) != 1 || len(second) != 1 || str(first[0], "session") == "" || str(first[0], "session") != str(second[0], "session") ||
		first[0]["bound"] != false || str(first[0], "verificationUrl") == "" {
		t.Fatalf("backend-start printed %v, then %v: want one session, unbound, with a verificationUrl", first, second)
	}
	session, token := str(first[0], "session"), str(first[0], "token")
	sh["SESSION"], sh["TOKEN"] = session, token

	// (c) A handoff: the phone opens the link once, the desktop's status URL follows.
	handoff := decodeAll(t, run("handoff"))
	if len(handoff) != 1 || !slices.Equal(keysOf(handoff[0]), []string{"expiresAt", "handoff", "qrCode", "statusUrl", "url"}) ||
		!strings.HasPrefix(str(handoff[0], "qrCode"), "<svg") {
		t.Fatalf("handoff printed %v", handoff)
	}
	phone := kittest.Navigate(t, st, str(handoff[0], "url"))
	kittest.Finish(t, st, phone.Token, "pass")
	res, body := kittest.Do(t, http.MethodGet, str(handoff[0], "statusUrl"), http.Header{"Origin": {kittest.ShopOrigin}}, nil)
	var status map[string]any
	if err := json.Unmarshal(body, &status); err != nil || res.StatusCode != http.StatusOK || str(status, "state") != "done" ||
		!strings.HasPrefix(str(status, "continue"), kittest.ReturnPage+"?") || res.Header.Get("Access-Control-Allow-Origin") != kittest.ShopOrigin {
		t.Fatalf("the handoff's status URL after the phone finished: %d %s (CORS %q)", res.StatusCode, body, res.Header.Get("Access-Control-Allow-Origin"))
	}

	// 4: the reference lists every session started with it, newest first.
	page := decodeAll(t, run("result-by-reference"))
	if len(page) != 1 {
		t.Fatalf("result-by-reference printed %v", page)
	}
	listed, _ := page[0]["sessions"].([]any)
	var ids []string
	for _, s := range listed {
		m, _ := s.(map[string]any)
		ids = append(ids, str(m, "session"))
	}
	cont, _ := url.Parse(str(status, "continue"))
	handoffSession := sessionOf(t, st, key, cont.Query().Get("token"))
	// The signers' sessions, the backend start's and, newest, the handoff's.
	if len(ids) != withReference+2 || ids[0] != handoffSession || !slices.Contains(ids, session) {
		t.Errorf("the sessions of user-42 are %v, want %d with the handoff's %s first and the backend start's %s",
			ids, withReference+2, handoffSession, session)
	}

	// 5: the return page, run in Node with the browser's location and history.
	t.Run("return-page", func(t *testing.T) {
		node := kittest.RequireTool(t, "node", "nodejs", "FACEGATE_SKIP_NODE")
		res, _ := kittest.Do(t, http.MethodGet, st.Gateway+"/result?"+returned.RawQuery, http.Header{"Origin": {kittest.ShopOrigin}}, nil)
		if res.Header.Get("Access-Control-Allow-Origin") != kittest.ShopOrigin {
			t.Errorf("GET /result from the shop's origin: no CORS answer for %s, so a browser would block it", kittest.ShopOrigin)
		}
		bad := *returned
		q := bad.Query()
		q.Set("ticket", q.Get("ticket")+"x")
		bad.RawQuery = q.Encode()
		for _, c := range []struct {
			url    string
			status string
			code   string
		}{
			{returned.String(), "passed", ""},
			{kittest.ReturnPage + "?status=error&code=start_token_used", "error", "start_token_used"},
			{bad.String(), "error", "invalid_ticket"},
			{kittest.ReturnPage, "missing", ""},
		} {
			got := returnPage(t, node, blocks["return-page"].code, st.Gateway, c.url)
			if got.Outcome.Status != c.status || got.Outcome.Code != c.code || (c.status == "passed" && got.Outcome.Message == "") {
				t.Errorf("return page at %s shows %+v, want status %s, code %q", c.url, got.Outcome, c.status, c.code)
			}
			if !slices.Equal(got.Replaced, []string{"/kyc/done"}) {
				t.Errorf("return page at %s replaced the address with %q, want /kyc/done alone", c.url, got.Replaced)
			}
		}
	})

	// 6: the full result of the backend start, by session and by token.
	kittest.Finish(t, st, token, "liveness_fail")
	full := decodeAll(t, run("full-result"))
	if len(full) != 2 {
		t.Fatalf("full-result printed %d answers, want 2", len(full))
	}
	for _, r := range full {
		attempts, _ := r["attempts"].([]any)
		if str(r, "session") != session || str(r, "status") != "failed" || str(r, "category") != "liveness" || str(r, "reference") != "user-42" || len(attempts) == 0 {
			t.Errorf("full result %v: want the backend start's session, failed for liveness, with its attempts", r)
		}
	}

	// 8: delete, then every read is 410; deleting again is 204 still.
	if out := run("delete"); out != "204\n" {
		t.Fatalf("delete printed %q, want 204", out)
	}
	if status, answer := kittest.Merchant(t, st, key, http.MethodGet, "/result?session="+session); status != http.StatusGone || kittest.ErrorCode(answer) != "session_deleted" {
		t.Errorf("after delete: %d %v, want 410 session_deleted", status, answer)
	}
	if out := run("delete"); out != "204\n" {
		t.Errorf("delete again printed %q, want 204", out)
	}
}

// sessionOf asks facegate, with the merchant key, for the session id of a BizToken.
func sessionOf(t *testing.T, st *stack.Stack, key, token string) string {
	t.Helper()
	status, answer := kittest.Merchant(t, st, key, http.MethodGet, "/result?token="+url.QueryEscape(token))
	if status != http.StatusOK || str(answer, "session") == "" {
		t.Fatalf("GET /result?token=: %d %v", status, answer)
	}
	return str(answer, "session")
}

type signRequest struct {
	Secret  string         `json:"secret"`
	Options map[string]any `json:"options"`
	TTL     int            `json:"ttl"`
}

// sign runs program (a signer block and a driver) with requests on its standard input and
// returns the tokens it prints, one a line.
func sign(t *testing.T, requests []signRequest, file, program string, command ...string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	return runSigner(t, requests, exec.Command(command[0], append(command[1:], path)...))
}

// signGo builds the Go block, as a file of a package main of its own beside a driver.
func signGo(t *testing.T, requests []signRequest, code string) []string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":    "module guidesigner\n\ngo 1.22\n",
		"signer.go": "package main\n\n" + code,
		"main.go": `package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

func main() {
	var requests []struct {
		Secret  string
		Options json.RawMessage
		TTL     int
	}
	if err := json.NewDecoder(os.Stdin).Decode(&requests); err != nil {
		panic(err)
	}
	for _, r := range requests {
		var opts StartOptions
		var image struct{ CompareImage string }
		if json.Unmarshal(r.Options, &opts) != nil || json.Unmarshal(r.Options, &image) != nil {
			panic("options")
		}
		opts.CompareImage = image.CompareImage
		token, err := SignStartToken(r.Secret, opts, time.Duration(r.TTL)*time.Second)
		if err != nil {
			panic(err)
		}
		fmt.Println(token)
	}
}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	return runSigner(t, requests, cmd)
}

func runSigner(t *testing.T, requests []signRequest, cmd *exec.Cmd) []string {
	t.Helper()
	input, _ := json.Marshal(requests)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd.Args[0], err, stderr.String())
	}
	tokens := strings.Fields(string(out))
	if len(tokens) != len(requests) {
		t.Fatalf("%s printed %d tokens for %d requests:\n%s", cmd.Args[0], len(tokens), len(requests), out)
	}
	return tokens
}

// returnPageRun is what the return-page block showed, and how it rewrote the address.
type returnPageRun struct {
	Outcome struct {
		Status, Category, Message, Code string
	} `json:"outcome"`
	Replaced []string `json:"replaced"`
}

// returnPage runs the return-page block in Node as the page at pageURL, with facegate at
// gateway (the block's FACEGATE_URL), and returns what it showed.
func returnPage(t *testing.T, node, code, gateway, pageURL string) returnPageRun {
	t.Helper()
	const placeholder = `const FACEGATE_URL = "https://api.shop.example.com";`
	if !strings.Contains(code, placeholder) {
		t.Fatalf("the return-page block does not begin with %s", placeholder)
	}
	program := `globalThis.location = new URL(process.env.PAGE_URL);
const replaced = [];
globalThis.history = { replaceState: (state, title, url) => replaced.push(url) };
globalThis.show = (outcome) => console.log(JSON.stringify({ outcome, replaced }));
` + strings.Replace(code, placeholder, "const FACEGATE_URL = "+jsString(gateway)+";", 1)
	path := filepath.Join(t.TempDir(), "return.cjs")
	if err := os.WriteFile(path, []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, path)
	cmd.Env = append(os.Environ(), "PAGE_URL="+pageURL)
	out, err := cmd.CombinedOutput()
	var got returnPageRun
	if err != nil || json.Unmarshal(out, &got) != nil {
		t.Fatalf("the return-page block at %s: %v\n%s", pageURL, err, out)
	}
	return got
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// testPhoto returns a small PNG in base64, its colour set by shade.
func testPhoto(t *testing.T, shade uint8) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.Gray{Y: 255 - shade})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}
