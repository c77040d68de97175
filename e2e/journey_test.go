package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/facegate/facegate/cmd/local/stack"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// speaking makes the tab a phone browser whose user prefers lang: its user agent and its
// languages (Accept-Language and navigator.languages).
func speaking(ua, lang string) chromedp.Action[chromedp.Void] {
	return overrideUserAgent(emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: lang})
}

// startOnDemoPage opens the demo page in lang, picks mode 3 and starts: it returns the
// address of Tencent's (the sandbox's) page, the link the user could open again.
func startOnDemoPage(t *testing.T, ctx context.Context, st *stack.Stack, lang string) string {
	t.Helper()
	step(t, ctx, "start in "+lang,
		userAgent(androidChrome),
		chromedp.Navigate(st.Gateway+"/demo/"),
		chromedp.WaitVisible(chromedp.CSS(`#compat[data-level="ok"]`)),
		pickLanguage(lang),
		chromedp.Click(chromedp.ID("go")),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="intro"] button[data-action="start"]`)),
	)
	loc := value(t, ctx, "read the sandbox page address", chromedp.Location())
	if !strings.HasPrefix(loc, st.SandboxPage+"/reflect/?token=") {
		t.Fatalf("start led to %s, want the sandbox page", redactURL(loc))
	}
	return loc
}

// finishOnSandboxPage chooses outcome on the sandbox page at link (begun or not) and
// presses Next, which hands the browser to facegate's callback and on to the return page.
func finishOnSandboxPage(t *testing.T, ctx context.Context, link, outcome, status string) {
	t.Helper()
	step(t, ctx, "finish with "+outcome, append(chooseOnSandboxPage(link, outcome),
		chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="`+status+`"]`)),
		ready(),
	)...)
}

// chooseOnSandboxPage opens the sandbox page at link (begun or not), chooses outcome and
// presses Next, which hands the browser to facegate's callback.
func chooseOnSandboxPage(link, outcome string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="intro"], main[data-page="choose"]`)),
		chromedp.Evaluate[chromedp.Void](`(() => { const b = document.querySelector('button[data-action="start"]'); if (b) b.click(); })()`),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="choose"] button[data-outcome="` + outcome + `"]`)),
		chromedp.Click(chromedp.CSS(`button[data-outcome="` + outcome + `"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="result"] button[data-action="next"]`)),
		chromedp.Click(chromedp.CSS(`button[data-action="next"]`)),
	}
}

// tokenOf is the BizToken in a Tencent (sandbox) page address.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no token in %s", redactURL(link))
	}
	return u.Query().Get("token")
}

func readTitle(t *testing.T, ctx context.Context) string {
	t.Helper()
	return value(t, ctx, "read the title", chromedp.Text(chromedp.ID("title")))
}

// TestPendingReturnThenPass: a user who comes back to the shop before finishing (the
// return page says pending and offers Check again, not Start again), then opens Tencent's
// link again in the same browser and passes, lands on the result: the binding cookie is
// still there, so the callback accepts the second return.
func TestPendingReturnThenPass(t *testing.T) {
	browser := newBrowser(t)
	st := startStack(t)
	ctx := newTab(t, browser)
	link := startOnDemoPage(t, ctx, st, "id")
	step(t, ctx, "begin on the sandbox page",
		chromedp.Click(chromedp.CSS(`button[data-action="start"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="choose"]`)),
	)

	// Back at the shop before the outcome: Tencent has no result yet.
	step(t, ctx, "return before the outcome",
		chromedp.Navigate(st.Gateway+"/callback?token="+url.QueryEscape(tokenOf(t, link))),
		chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="pending"]`)),
		ready(),
	)
	checkSpeaks(t, ctx, "pending return page", "id")
	if title := readTitle(t, ctx); title != say("id", core.MsgDemoReturnPendingTitle) {
		t.Errorf("pending title %q", title)
	}
	if shown := visibleIDs(t, ctx, "again", "retry", "done", "help"); !slices.Equal(shown, []string{"again", "done"}) {
		t.Errorf("pending offers %v, want Check again and Back to the shop", shown)
	}
	step(t, ctx, "check again", chromedp.Click(chromedp.ID("again")), chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="pending"]`)))

	// The same Tencent link, finished: the return page shows the pass, not binding_mismatch.
	finishOnSandboxPage(t, ctx, link, sandbox.ResultPass, "passed")
	if title := readTitle(t, ctx); title != say("id", core.MsgDemoReturnPassedTitle) {
		t.Errorf("after the pass the title is %q", title)
	}
	checkSpeaks(t, ctx, "return page", "id")
	if shown := visibleIDs(t, ctx, "again", "retry", "done", "help"); !slices.Equal(shown, []string{"done"}) {
		t.Errorf("a pass offers %v, want only Back to the shop", shown)
	}
}

// TestReturnPageKeepsTheOutcome: the return page shows the outcome it was shown after a
// reload, and after the ticket has expired (FACEGATE_TICKET_TTL=4s here), whether the
// user opens the page's original address again or the page alone, in the language chosen;
// a browser that never saw the outcome gets the way back to the shop instead.
func TestReturnPageKeepsTheOutcome(t *testing.T) {
	const ttl = 4 * time.Second
	browser := newBrowser(t)
	st := startStack(t, map[string]string{"FACEGATE_TICKET_TTL": ttl.String()})
	ctx := newTab(t, browser)
	link := startOnDemoPage(t, ctx, st, "th")
	finishOnSandboxPage(t, ctx, link, sandbox.ResultLivenessFail, "failed")
	// The address the callback sent the browser to, before the page cleaned it.
	original := value(t, ctx, "read the original address", chromedp.Evaluate[string](`performance.getEntriesByType("navigation")[0].name`))
	u, err := url.Parse(original)
	if err != nil || u.Query().Get("ticket") == "" {
		t.Fatalf("original address %s has no ticket", redactURL(original))
	}
	want := say("th", core.MsgCategoryLiveness)
	if title := readTitle(t, ctx); title != want {
		t.Fatalf("title %q, want %q", title, want)
	}

	shows := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step(t, ctx, what, append(actions, chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="failed"]`)), ready())...)
		if title := readTitle(t, ctx); title != want {
			t.Errorf("%s: title %q, want %q", what, title, want)
		}
		checkSpeaks(t, ctx, what, "th")
		if shown := visibleIDs(t, ctx, "retry", "done", "help"); len(shown) != 3 {
			t.Errorf("%s: offers %v, want Start again, Back to the shop and the camera advice", what, shown)
		}
	}
	shows("reload", chromedp.Reload())

	// Wait out the ticket: /result refuses it now.
	deadline := time.Now().Add(ttl + 5*time.Second)
	for {
		res, err := http.Get(st.Gateway + "/result?" + url.Values{"token": {u.Query().Get("token")}, "ticket": {u.Query().Get("ticket")}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ticket is still accepted (%d) after its lifetime", res.StatusCode)
		}
		time.Sleep(250 * time.Millisecond)
	}
	shows("reopen the original address after the ticket expired", chromedp.Navigate(original))
	shows("reopen the return page after the ticket expired", chromedp.Navigate(st.Gateway+"/demo/return.html"))

	// Another browser never saw the outcome: the expired ticket is refused, and the page
	// says so in the user's language (the address names it) with the way to the shop.
	other := newTab(t, browser)
	step(t, other, "open the expired address elsewhere",
		chromedp.Navigate(original),
		chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="error"]`)),
		ready(),
	)
	if title := readTitle(t, other); title != say("th", core.MsgErrInvalidTicketTitle) {
		t.Errorf("expired ticket elsewhere: title %q", title)
	}
	if shown := visibleIDs(t, other, "again", "retry", "done"); !slices.Equal(shown, []string{"done"}) {
		t.Errorf("expired ticket elsewhere offers %v, want Back to the shop", shown)
	}
}

// checkErrorReturn checks the return page after facegate sent the browser back with
// status=error and code: the code's title and message in lang, no code shown, and the
// ways on.
func checkErrorReturn(t *testing.T, ctx context.Context, st *stack.Stack, lang string, code core.Code, retry bool) {
	t.Helper()
	if title := readTitle(t, ctx); title != say(lang, code.Title()) {
		t.Errorf("%s: title %q, want %q", code, title, say(lang, code.Title()))
	}
	if message := value(t, ctx, "read the message", chromedp.Text(chromedp.ID("message"))); message != say(lang, code.UserMessage()) {
		t.Errorf("%s: message %q, want %q", code, message, say(lang, code.UserMessage()))
	}
	checkSpeaks(t, ctx, "return page after "+string(code), lang)
	if visible := value(t, ctx, "read the page", chromedp.Evaluate[string](`document.body.innerText`)); strings.Contains(visible, string(code)) {
		t.Errorf("the page shows the code %s", code)
	}
	if loc := value(t, ctx, "read the address", chromedp.Location()); loc != st.Gateway+"/demo/return.html" {
		t.Errorf("the address %s still carries its query", redactURL(loc))
	}
	shown := visibleIDs(t, ctx, "again", "retry", "done", "help")
	if slices.Contains(shown, "retry") != retry || !slices.Contains(shown, "done") || slices.Contains(shown, "help") {
		t.Errorf("%s: offers %v, want Start again %v and Back to the shop", code, shown, retry)
	}
	// A reload shows the same: the tab remembers what it was sent back with.
	step(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="error"]`)), ready())
	if title := readTitle(t, ctx); title != say(lang, code.Title()) {
		t.Errorf("%s after a reload: title %q", code, title)
	}
}

// TestErrorPagesLeadBack: each of facegate's refusals leads the user back to the
// merchant: a verification finished in another browser (binding_mismatch), a start link
// used twice (start_token_used) and a verification past its lifetime (token_expired) to the
// return page, with the code's words in the user's language and Start again; a link to no
// verification (facegate's own page, in the browser's language) to the shop's home.
func TestErrorPagesLeadBack(t *testing.T) {
	browser := newBrowser(t)
	st := startStack(t)

	t.Run("binding_mismatch", func(t *testing.T) {
		link := startOnDemoPage(t, newTab(t, browser), st, "id")
		// Tencent's link, opened in another browser (no binding cookie) and finished there.
		elsewhere := newTab(t, browser)
		step(t, elsewhere, "phone's language", speaking(androidChrome, "en"))
		finishOnSandboxPage(t, elsewhere, link, sandbox.ResultPass, "error")
		checkErrorReturn(t, elsewhere, st, "id", core.CodeBindingMismatch, true)
	})

	t.Run("start_token_used", func(t *testing.T) {
		ctx := newTab(t, browser)
		step(t, ctx, "open the demo page",
			userAgent(androidChrome),
			chromedp.Navigate(st.Gateway+"/demo/"),
			ready(),
			pickLanguage("zh-cn"),
		)
		// The start link the page would follow, followed twice.
		startURL := value(t, ctx, "ask the backend for a start link", chromedp.Evaluate[string](
			`fetch("api/start", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ lang: "zh-cn", mode: 3 }) }).then(r => r.json()).then(b => b.startUrl)`,
			chromedp.EvalAwaitPromise))
		step(t, ctx, "follow the start link",
			chromedp.Navigate(startURL),
			chromedp.WaitVisible(chromedp.CSS(`main[data-page="intro"]`)),
		)
		step(t, ctx, "follow it again",
			chromedp.Navigate(startURL),
			chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="error"]`)),
			ready(),
		)
		checkErrorReturn(t, ctx, st, "zh-cn", core.CodeStartTokenUsed, true)
	})

	t.Run("token_expired", func(t *testing.T) {
		// Sessions that live two seconds, so that the user's return comes too late.
		short := startStack(t, map[string]string{"FACEGATE_SESSION_TTL": "2s"})
		ctx := newTab(t, browser)
		link := startOnDemoPage(t, ctx, short, "th")
		time.Sleep(2500 * time.Millisecond)
		finishOnSandboxPage(t, ctx, link, sandbox.ResultUserExit, "error")
		checkErrorReturn(t, ctx, short, "th", core.CodeTokenExpired, true)
	})

	t.Run("session_not_found", func(t *testing.T) {
		ctx := newTab(t, browser)
		step(t, ctx, "open a link to no verification",
			speaking(androidChrome, "th"),
			chromedp.Navigate(st.Gateway+"/callback?token=0E1F2A3B-4C5D-4E6F-8A9B-0C1D2E3F4A5B"),
			chromedp.WaitVisible(chromedp.CSS(`main a`)),
		)
		screenshot(t, ctx, "error-page-th", true)
		if lang := value(t, ctx, "read the language", chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "th" {
			t.Errorf("facegate's page is in %q, want th (the browser's language)", lang)
		}
		if h1 := value(t, ctx, "read the heading", chromedp.Text(chromedp.CSS("h1"))); h1 != say("th", core.CodeSessionNotFound.Title()) {
			t.Errorf("heading %q, want %q", h1, say("th", core.CodeSessionNotFound.Title()))
		}
		if link := value(t, ctx, "read the link", chromedp.Text(chromedp.CSS("main a"))); link != say("th", core.MsgUIBackToShop) {
			t.Errorf("the way home reads %q", link)
		}
		step(t, ctx, "follow the way home",
			chromedp.Click(chromedp.CSS("main a")),
			chromedp.WaitVisible(chromedp.ID("go")),
			ready(),
		)
		if loc := value(t, ctx, "read the address", chromedp.Location()); loc != st.Env("FACEGATE_HOME_URL") {
			t.Errorf("the way home led to %s, want %s", loc, st.Env("FACEGATE_HOME_URL"))
		}
		// The shop's page takes the browser's language too.
		checkSpeaks(t, ctx, "home", "th")
	})
}

// TestInAppBrowserAdvice: an app's built-in browser gets, before any start, the advice to
// open the page in the phone's browser, in the user's language, with the page's link to
// copy (the Clipboard API, or by hand when it is refused) and, in LINE, a link that makes
// LINE open it outside. Pressing Start starts nothing until the user insists.
func TestInAppBrowserAdvice(t *testing.T) {
	browser := newBrowser(t)
	st := startStack(t)
	apps := map[string]string{}
	for _, c := range compatCases {
		if c.level == "inapp" {
			apps[c.name] = c.ua
		}
	}
	for _, c := range []struct {
		name, lang string
		advice     core.MessageID
	}{
		{"Facebook on Android", "id", core.MsgUIInApp},
		{"Instagram on iOS", "en", core.MsgUIInApp},
		{"LINE on Android", "th", core.MsgUIInAppLINE},
		{"TikTok on iOS", "zh-tc", core.MsgUIInApp},
		{"KakaoTalk on iOS", "zh-cn", core.MsgUIInApp},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := newTab(t, browser)
			before := len(st.Sandbox.RecentTokens())
			step(t, ctx, "open the demo page in "+c.name,
				speaking(apps[c.name], c.lang),
				chromedp.Navigate(st.Gateway+"/demo/"),
				chromedp.WaitVisible(chromedp.CSS(`#compat[data-level="inapp"]`)),
				ready(),
			)
			checkSpeaks(t, ctx, "demo page in "+c.name, c.lang)
			notice := value(t, ctx, "read the advice", chromedp.Text(chromedp.ID("compat")))
			for _, id := range []core.MessageID{core.MsgUIOpenInPhone, c.advice, core.MsgUICopyLink} {
				if !strings.Contains(notice, say(c.lang, id)) {
					t.Errorf("advice %q lacks %q", notice, say(c.lang, id))
				}
			}
			external := visibleIDs(t, ctx, "external")
			if line := c.advice == core.MsgUIInAppLINE; line != (len(external) == 1) {
				t.Errorf("the open-outside link shown: %v, want it for LINE only", external)
			} else if line {
				href := value(t, ctx, "read the link", chromedp.Evaluate[string](`document.getElementById("external").href`))
				if href != st.Gateway+"/demo/?openExternalBrowser=1" {
					t.Errorf("LINE's link %s, want the page with openExternalBrowser=1", href)
				}
			}
			screenshot(t, ctx, "inapp-"+c.name, false)

			// Start: nothing leaves the page, nothing is started (or billed).
			step(t, ctx, "press Start", chromedp.Click(chromedp.ID("go")), chromedp.WaitVisible(chromedp.ID("anyway")))
			if focused := value(t, ctx, "read focus", chromedp.Evaluate[string](`document.activeElement.id`)); focused != "compat" {
				t.Errorf("focus on #%s, want the advice", focused)
			}
			if loc := value(t, ctx, "read the address", chromedp.Location()); loc != st.Gateway+"/demo/" {
				t.Errorf("the page left for %s", redactURL(loc))
			}
			if after := len(st.Sandbox.RecentTokens()); after != before {
				t.Errorf("%d verifications started from an in-app browser", after-before)
			}

			// Copy link: the Clipboard API takes the page's link...
			step(t, ctx, "copy the link",
				chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText = async (text) => { window.copiedText = text; }`),
				chromedp.Click(chromedp.ID("copy")),
				chromedp.WaitVisible(chromedp.ID("copied")),
			)
			if copied := value(t, ctx, "read what was copied", chromedp.Evaluate[string](`window.copiedText`)); copied != st.Gateway+"/demo/" {
				t.Errorf("copied %q, want the page's link", copied)
			}
			if status := value(t, ctx, "read the status", chromedp.Text(chromedp.ID("copied"))); status != say(c.lang, core.MsgUILinkCopied) {
				t.Errorf("status %q", status)
			}
			// ...and when the browser refuses both ways of copying, the link is shown to
			// copy by hand.
			step(t, ctx, "copy the link where copying is refused",
				chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText = () => Promise.reject(new DOMException("refused", "NotAllowedError")); document.execCommand = () => false;`),
				chromedp.Click(chromedp.ID("copy")),
				chromedp.WaitVisible(chromedp.ID("manual")),
			)
			manual := value(t, ctx, "read the link to copy", chromedp.Text(chromedp.ID("manual")))
			if !strings.Contains(manual, say(c.lang, core.MsgUICopyLinkManual)) || !strings.Contains(manual, st.Gateway+"/demo/") {
				t.Errorf("copy by hand shows %q", manual)
			}
			checkSpeaks(t, ctx, "advice after copying", c.lang)
		})
	}
}
