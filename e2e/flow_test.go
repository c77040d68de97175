package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/facegate/facegate/cmd/local/stack"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// androidChrome is the user agent of the flow tests: the demo page is for phones, and
// the compatibility notice then says the full check is supported.
const androidChrome = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"

// startStack starts the real local stack (the same wiring as `make run`) on free ports,
// with env over its defaults.
func startStack(t *testing.T, env ...map[string]string) *stack.Stack {
	t.Helper()
	settings := map[string]string{"FACEGATE_LOCAL_DIR": t.TempDir()}
	for _, e := range env {
		for k, v := range e {
			settings[k] = v
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := stack.Start(ctx, stack.Options{
		GatewayAddr: "127.0.0.1:0",
		SandboxAddr: "127.0.0.1:0",
		PageAddr:    "127.0.0.1:0",
		Getenv:      func(k string) string { return settings[k] },
		Logger:      slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		cancel()
		t.Fatalf("start the local stack: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := st.Wait(); err != nil {
			t.Errorf("stack shutdown: %v", err)
		}
	})
	return st
}

// testWriter sends the stack's warnings to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// htmlLangs are the <html lang> of our pages (and facegate's) per catalogue language.
var htmlLangs = map[string]string{"en": "en", "zh-cn": "zh-Hans", "zh-tc": "zh-Hant-HK", "th": "th", "id": "id"}

// say is the catalogue's text of id in lang.
func say(lang string, id core.MessageID) string { return core.Catalogue(lang)[id] }

// ready waits until the page has its words in its language.
func ready() chromedp.Action[chromedp.Void] {
	return chromedp.WaitReady(chromedp.CSS("html[data-ready]"))
}

// pickLanguage chooses lang in the start page's language picker, as a user does, and
// waits for the page to speak it.
func pickLanguage(lang string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`(() => { const s = document.getElementById("lang"); s.value = %q; s.dispatchEvent(new Event("change", { bubbles: true })); })()`, lang))(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`html[lang=%q][data-ready]`, htmlLangs[lang])))(ctx, t)
	}
}

// checkSpeaks fails t unless the page declares lang and no English word of the catalogue
// is left among the words a user sees (the page's visible text and its title), for every
// language but English.
func checkSpeaks(t *testing.T, ctx context.Context, page, lang string) {
	t.Helper()
	got := value(t, ctx, "read the page's language", chromedp.Evaluate[string](`document.documentElement.lang`))
	if got != htmlLangs[lang] {
		t.Errorf("%s: <html lang=%q>, want %q", page, got, htmlLangs[lang])
	}
	if lang == "en" {
		return
	}
	visible := value(t, ctx, "read the visible text", chromedp.Evaluate[string](`document.title + "\n" + document.body.innerText`))
	own := core.Catalogue(lang)
	for id, english := range core.Catalogue("en") {
		if own[id] != english && strings.Contains(visible, english) {
			t.Errorf("%s in %s shows English: %q (%s)", page, lang, english, id)
		}
	}
}

// visibleIDs returns which of the elements named are shown.
func visibleIDs(t *testing.T, ctx context.Context, ids ...string) []string {
	t.Helper()
	var shown []string
	for _, id := range ids {
		if value(t, ctx, "check #"+id, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.getElementById(%q); return !!e && !e.hidden; })()`, id))) {
			shown = append(shown, id)
		}
	}
	return shown
}

// journey is one walk from the demo page through the sandbox page to the return page.
type journey struct {
	lang         string // chosen in the picker
	mode         int64  // chosen on the demo page: Tencent's CheckMode
	documentType string // chosen for modes 1 and 4
	outcome      string // button on the sandbox page
	status       string // data-status of the return page
	title        core.MessageID
	message      core.MessageID // "" : the one Tencent's code means (core.CodeInfo)
	retry, help  bool           // Start again, and the camera advice, offered
}

// TestBrowserFlow walks a whole verification in Chromium at phone size in each of the
// five languages, through all four check modes: the demo page (in the language picked,
// with no English left), the demo backend's start link, GET /start, the sandbox's hosted
// page (in the token's language), the outcome, the callback, and the return page, which
// shows the outcome in the same language with the ways on that fit it.
func TestBrowserFlow(t *testing.T) {
	browser := newBrowser(t)
	st := startStack(t)

	cases := []journey{
		{"en", 3, "", sandbox.ResultPass, "passed", core.MsgDemoReturnPassedTitle, core.MsgDemoReturnPassed, false, false},
		{"zh-cn", 1, "MainlandIDCard", sandbox.ResultLivenessFail, "failed", core.MsgCategoryLiveness, core.MsgLivenessFailed, true, true},
		{"zh-tc", 2, "", sandbox.ResultCompareFail, "failed", core.MsgCategoryCompare, core.MsgNoMatch, true, false},
		{"th", 4, "ThailandIDCard", sandbox.ResultUserExit, "failed", core.MsgCategoryUserExit, core.MsgUserExit, true, false},
		{"id", 1, "IndonesiaIDCard", sandbox.ResultDocumentFail, "failed", core.MsgCategoryDocument, "", true, false},
	}
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			ctx := newTab(t, browser)
			step(t, ctx, "open the demo page",
				userAgent(androidChrome),
				chromedp.Navigate(st.Gateway+"/demo/"),
				chromedp.WaitVisible(chromedp.CSS(`#compat[data-level="ok"]`)),
				pickLanguage(c.lang),
				chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="mode"][value="%d"]`, c.mode))),
			)
			if c.documentType != "" {
				step(t, ctx, "choose the document",
					chromedp.WaitVisible(chromedp.ID("document")),
					chromedp.SetValue(chromedp.ID("document"), c.documentType),
				)
			} else if shown := visibleIDs(t, ctx, "document-field"); len(shown) > 0 {
				t.Errorf("mode %d shows the document picker", c.mode)
			}
			checkSpeaks(t, ctx, "demo page", c.lang)
			if h1 := value(t, ctx, "read the heading", chromedp.Text(chromedp.CSS("h1"))); h1 != say(c.lang, core.MsgDemoStartTitle) {
				t.Errorf("demo page heading %q, want %q", h1, say(c.lang, core.MsgDemoStartTitle))
			}
			if c.lang == "en" {
				screenshot(t, ctx, "demo-page", true)
			}

			// Start: the backend's start link, then GET /start's 302 to the sandbox's page.
			step(t, ctx, "start the verification",
				chromedp.Click(chromedp.ID("go")),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="intro"] button[data-action="start"]`)),
			)
			loc := value(t, ctx, "read the sandbox page address", chromedp.Location())
			if !strings.HasPrefix(loc, st.SandboxPage+"/reflect/?token=") {
				t.Fatalf("start led to %s, want the sandbox page on %s", redactURL(loc), st.SandboxPage)
			}
			// The choices made on the demo page reached Tencent's (the sandbox's) session.
			token, _ := url.Parse(loc)
			state, err := st.Sandbox.TokenState(token.Query().Get("token"))
			if err != nil {
				t.Fatalf("sandbox token state: %v", err)
			}
			if state.CheckMode != c.mode || state.Language != c.lang || state.HasCompareImage != (c.mode == 2) ||
				(c.documentType != "" && state.IDCardType != c.documentType) {
				t.Errorf("sandbox session %+v, want CheckMode %d, Language %q, document %q, a compare photo %v",
					state, c.mode, c.lang, c.documentType, c.mode == 2)
			}
			// The sandbox page is the sandbox's own, standing in for Tencent's: it speaks
			// the token's language.
			if lang := value(t, ctx, "read the page language", chromedp.Evaluate[string](`document.documentElement.lang`)); !strings.HasPrefix(lang, strings.SplitN(htmlLangs[c.lang], "-", 2)[0]) {
				t.Errorf("sandbox page language %q, want %s (chosen on the demo page: %s)", lang, htmlLangs[c.lang], c.lang)
			}

			step(t, ctx, "begin on the sandbox page",
				chromedp.Click(chromedp.CSS(`button[data-action="start"]`)),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="choose"] button[data-outcome="`+c.outcome+`"]`)),
			)
			if c.lang == "en" {
				screenshot(t, ctx, "sandbox-page", true)
			}
			step(t, ctx, "choose "+c.outcome,
				chromedp.Click(chromedp.CSS(`button[data-outcome="`+c.outcome+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="result"] button[data-action="next"]`)),
			)
			screenshot(t, ctx, "sandbox-result-"+c.lang, false)

			// Next: Tencent's redirect to /callback, which redirects to the return page.
			step(t, ctx, "return to the shop",
				chromedp.Click(chromedp.CSS(`button[data-action="next"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="`+c.status+`"]`)),
			)
			screenshot(t, ctx, "return-"+c.lang, true)
			checkReturnPage(t, ctx, st, c)
		})
	}
}

// checkReturnPage checks what the return page shows at the end of journey c.
func checkReturnPage(t *testing.T, ctx context.Context, st *stack.Stack, c journey) {
	t.Helper()
	checkSpeaks(t, ctx, "return page", c.lang)
	if title := value(t, ctx, "read the title", chromedp.Text(chromedp.ID("title"))); title != say(c.lang, c.title) {
		t.Errorf("title %q, want %q (%s)", title, say(c.lang, c.title), c.title)
	}
	want := c.message
	if want == "" {
		// The message of the code the sandbox answered (a document warning, say).
		tokens := st.Sandbox.RecentTokens()
		if len(tokens) == 0 || tokens[0].ErrorCode == nil {
			t.Fatal("the sandbox has no finished verification")
		}
		_, want, _ = core.CodeInfo(*tokens[0].ErrorCode)
	}
	if message := value(t, ctx, "read the message", chromedp.Text(chromedp.ID("message"))); message != say(c.lang, want) {
		t.Errorf("message %q, want %q (%s)", message, say(c.lang, want), want)
	}
	// No code is ever shown, neither Tencent's nor facegate's nor the category's.
	visible := value(t, ctx, "read the visible text", chromedp.Evaluate[string](`document.body.innerText`))
	for _, code := range []string{"user_exit", "liveness", "document", "compare", "Reason", "code", "1005", "1410", "2016"} {
		if strings.Contains(visible, code) {
			t.Errorf("the return page shows %q:\n%s", code, visible)
		}
	}
	// The token and ticket are gone from the address bar (and so the history).
	if loc := value(t, ctx, "read the address", chromedp.Location()); loc != st.Gateway+"/demo/return.html" {
		t.Errorf("return page address %s still carries its query", redactURL(loc))
	}
	shown := visibleIDs(t, ctx, "again", "retry", "done", "help")
	if slices.Contains(shown, "retry") != c.retry {
		t.Errorf("%s: Start again shown %v, want %v", c.status, slices.Contains(shown, "retry"), c.retry)
	}
	if !slices.Contains(shown, "done") || slices.Contains(shown, "again") {
		t.Errorf("%s: ways on %v, want Back to the shop and no Check again", c.status, shown)
	}
	// Camera advice after a failed face check only: not after a pass, nor a document.
	if slices.Contains(shown, "help") != c.help {
		t.Errorf("%s: camera advice shown %v, want %v", c.outcome, slices.Contains(shown, "help"), c.help)
	}
	if done := value(t, ctx, "read Back to the shop", chromedp.Text(chromedp.ID("done"))); done != say(c.lang, core.MsgUIBackToShop) {
		t.Errorf("Back to the shop reads %q", done)
	}
	if c.help {
		step(t, ctx, "open the camera advice",
			chromedp.Click(chromedp.CSS(`#help a`)),
			chromedp.WaitVisible(chromedp.CSS(`#camera-help[open] dd`)),
			ready(),
		)
		advice := value(t, ctx, "read the camera advice", chromedp.Text(chromedp.ID("camera-help")))
		for _, id := range []core.MessageID{core.MsgDemoCameraBusyTitle, core.MsgDemoCameraPermissionTitle, core.MsgDemoCameraCheckTitle} {
			if !strings.Contains(advice, say(c.lang, id)) {
				t.Errorf("camera advice lacks %q", say(c.lang, id))
			}
		}
		checkSpeaks(t, ctx, "camera advice", c.lang)
		return
	}
	if c.status == "passed" {
		// After a pass the way on is the shop, not the verification page.
		step(t, ctx, "back to the shop", chromedp.Click(chromedp.ID("done")), chromedp.WaitVisible(chromedp.CSS("main h1")), ready())
		if loc := value(t, ctx, "read the address", chromedp.Location()); loc != st.Gateway+"/demo/shop.html" {
			t.Errorf("Back to the shop led to %s, want the shop's page", loc)
		}
		checkSpeaks(t, ctx, "shop page", c.lang)
		return
	}
	step(t, ctx, "start again", chromedp.Click(chromedp.ID("retry")), chromedp.WaitVisible(chromedp.ID("go")), ready())
	if loc := value(t, ctx, "read the address", chromedp.Location()); loc != st.Gateway+"/demo/" {
		t.Errorf("Start again led to %s, want the demo page", loc)
	}
	// The demo page remembers the language chosen in this tab.
	checkSpeaks(t, ctx, "demo page again", c.lang)
	if lang := value(t, ctx, "read the picker", chromedp.Value(chromedp.ID("lang"))); lang != c.lang {
		t.Errorf("the picker shows %s after Start again, want %s", lang, c.lang)
	}
}

// TestReturnPageWithoutTicket shows what the return page shows when opened on its own:
// no result, and the way to start; and with a forged ticket, the refusal, never a pass.
func TestReturnPageWithoutTicket(t *testing.T) {
	ctx := newTab(t, newBrowser(t))
	st := startStack(t)
	step(t, ctx, "open the return page",
		chromedp.Navigate(st.Gateway+"/demo/return.html"),
		chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="missing"]`)),
		chromedp.WaitVisible(chromedp.ID("retry")),
	)
	step(t, ctx, "open the return page with a forged ticket",
		chromedp.Navigate(st.Gateway+"/demo/return.html?token=00000000-0000-4000-8000-000000000000&ticket=forged&status=passed"),
		chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="error"]`)),
	)
	if title := value(t, ctx, "read the title", chromedp.Text(chromedp.ID("title"))); title != say("en", core.MsgErrInvalidTicketTitle) {
		t.Errorf("a forged ticket shows %q, want %q", title, say("en", core.MsgErrInvalidTicketTitle))
	}
}
