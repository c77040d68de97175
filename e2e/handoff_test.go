package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/facegate/facegate/cmd/local/stack"
	"github.com/facegate/facegate/internal/qrtest"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// desktopChrome is Chrome on Windows: compat.js finds no phone in it, so the demo page
// offers Continue on your phone first.
const desktopChrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

// desktop makes the tab a laptop's window, 1280x800 CSS pixels.
func desktop() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(1280, 800)
}

// phaseIs waits until the desktop's handoff panel is in phase (handoff.js's states).
func phaseIs(phase string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(`#phone[data-phase="` + phase + `"]`))
}

// readQRCode returns the link the desktop page's QR code says, decoded from the SVG the
// page shows as an image, as a phone's camera would read it.
func readQRCode(t *testing.T, ctx context.Context) string {
	t.Helper()
	svg := value(t, ctx, "read the QR code", chromedp.Evaluate[string](`(() => {
		const src = document.getElementById("phone-qr").src, prefix = "data:image/svg+xml,";
		return src.startsWith(prefix) ? decodeURIComponent(src.slice(prefix.length)) : "";
	})()`))
	link, err := qrtest.Decode(svg)
	if err != nil {
		t.Fatalf("the desktop's QR code (%d bytes of SVG) does not read: %v", len(svg), err)
	}
	return link
}

// TestHandoffDesktopToPhone: on a computer the demo page offers Continue on your phone
// first; it shows a QR code (an image, drawn, with its alt text in the user's language),
// the same link as text, its expiry and "waiting for your phone". A phone (its own
// browser context, so no cookie is shared) scanning the code starts the verification
// with the desktop's choices, and the desktop says it is in progress there. A third
// browser opening the same link gets facegate's refusal in its own language, and the
// desktop goes on undisturbed. The phone finishes on facegate's "return to your computer"
// page, in the verification's language, with no token or ticket for it; the desktop
// goes on to the return page and shows the outcome, a pass and a failed face check.
func TestHandoffDesktopToPhone(t *testing.T) {
	browser := newBrowser(t)
	st := startStack(t)
	for _, c := range []struct {
		lang, outcome, status string
		title                 core.MessageID // the desktop's return page
		phoneSays             core.MessageID // facegate's page on the phone
		third                 bool           // a third browser tries the link
	}{
		{"en", sandbox.ResultPass, "passed", core.MsgDemoReturnPassedTitle, core.MsgPassed, true},
		{"th", sandbox.ResultLivenessFail, "failed", core.MsgCategoryLiveness, core.MsgLivenessFailed, false},
	} {
		t.Run(c.lang, func(t *testing.T) {
			pc := newTabSized(t, browser, desktop())
			link := showQRCode(t, pc, st, c.lang)

			// The phone, whose own language is another, opens the scanned link: the
			// verification starts there with the desktop's choices.
			phone := newTab(t, browser)
			step(t, phone, "open the link on the phone",
				speaking(androidChrome, "zh-CN,zh;q=0.9"),
				chromedp.Navigate(link),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="intro"] button[data-action="start"]`)),
			)
			verification := value(t, phone, "read the sandbox page address", chromedp.Location())
			if !strings.HasPrefix(verification, st.SandboxPage+"/reflect/?token=") {
				t.Fatalf("the link led the phone to %s, want the sandbox page", redactURL(verification))
			}
			if ts, err := st.Sandbox.TokenState(tokenOf(t, verification)); err != nil || ts.Language != c.lang || ts.CheckMode != 3 {
				t.Fatalf("the phone's verification has %s and mode %d (%v), want the desktop's %s and mode 3", ts.Language, ts.CheckMode, err, c.lang)
			}
			step(t, pc, "see the phone at work", phaseIs("started"))
			if got := value(t, pc, "read the progress", chromedp.Text(chromedp.ID("phone-progress"))); got != say(c.lang, core.MsgUIInProgressPhone) {
				t.Errorf("the desktop says %q while the phone verifies", got)
			}
			if shown := visibleIDs(t, pc, "phone-code", "phone-new"); len(shown) != 0 {
				t.Errorf("with the phone at work the desktop still shows %v", shown)
			}

			if c.third {
				// The same link, again, in a browser speaking Indonesian: refused, in
				// Indonesian, and nothing changes on the desktop.
				other := newTab(t, browser)
				step(t, other, "open the used link elsewhere",
					speaking(androidChrome, "id"),
					chromedp.Navigate(link),
					chromedp.WaitReady(chromedp.CSS(`meta[name="facegate-error"][content="handoff_used"]`)),
				)
				if lang := value(t, other, "read the language", chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "id" {
					t.Errorf("the refusal is in %q, want id (the browser's language)", lang)
				}
				text := value(t, other, "read the refusal", chromedp.Text(chromedp.CSS("main")))
				for _, id := range []core.MessageID{core.CodeHandoffUsed.Title(), core.CodeHandoffUsed.UserMessage()} {
					if !strings.Contains(text, say("id", id)) {
						t.Errorf("the refusal %q lacks %q", text, say("id", id))
					}
				}
				if loc := value(t, other, "read the address", chromedp.Location()); strings.HasPrefix(loc, st.SandboxPage) {
					t.Error("the third browser reached the verification")
				}
				step(t, pc, "the desktop is undisturbed", phaseIs("started"))
			}

			// The phone finishes: facegate's page sends its user back to the computer.
			step(t, phone, "finish on the phone", append(chooseOnSandboxPage(verification, c.outcome),
				chromedp.WaitVisible(chromedp.CSS(`main:not([data-page]) > h1`)),
			)...)
			if c.lang == "en" {
				screenshot(t, phone, "handoff-phone-done", true)
			}
			if h1 := value(t, phone, "read the heading", chromedp.Text(chromedp.CSS("main > h1"))); h1 != say(c.lang, core.MsgUIBackToComputer) {
				t.Errorf("the phone's last page says %q, want %q", h1, say(c.lang, core.MsgUIBackToComputer))
			}
			// The page says the outcome when the callback read it from Tencent. The desktop's
			// status reads Tencent too while the phone is at work, one read per session per
			// five seconds whoever asks, so a callback in the same five seconds as the
			// desktop's last read has no result yet: the page then says the computer will
			// show it.
			text := value(t, phone, "read the page", chromedp.Text(chromedp.CSS("main")))
			if !strings.Contains(text, say(c.lang, c.phoneSays)) && !strings.Contains(text, say(c.lang, core.MsgUIResultOnComputer)) {
				t.Errorf("the phone's last page %q says neither %q nor %q", text, say(c.lang, c.phoneSays), say(c.lang, core.MsgUIResultOnComputer))
			}
			if lang := value(t, phone, "read the language", chromedp.Evaluate[string](`document.documentElement.lang`)); lang != htmlLangs[c.lang] {
				t.Errorf("the phone's last page is in %q, want the verification's %s", lang, htmlLangs[c.lang])
			}
			if loc := value(t, phone, "read the address", chromedp.Location()); !strings.HasPrefix(loc, st.Gateway+"/callback?") || strings.Contains(loc, "ticket=") {
				t.Errorf("the phone ended at %s, want facegate's callback with no ticket", redactURL(loc))
			}

			// The desktop goes on to the return page, which shows the outcome.
			step(t, pc, "land on the return page",
				chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="`+c.status+`"]`)),
				ready(),
			)
			if loc := value(t, pc, "read the address", chromedp.Location()); loc != st.Gateway+"/demo/return.html" {
				t.Errorf("the desktop is at %s, want the return page", redactURL(loc))
			}
			if title := readTitle(t, pc); title != say(c.lang, c.title) {
				t.Errorf("the desktop's return page says %q, want %q", title, say(c.lang, c.title))
			}
			checkSpeaks(t, pc, "the desktop's return page", c.lang)
		})
	}
}

// showQRCode opens the demo page on the desktop tab ctx in lang, presses Continue on
// your phone and checks the panel it shows; it returns the link the QR code says.
func showQRCode(t *testing.T, ctx context.Context, st *stack.Stack, lang string) string {
	t.Helper()
	step(t, ctx, "open the demo page on a computer",
		speaking(desktopChrome, "en"),
		chromedp.Navigate(st.Gateway+"/demo/"),
		chromedp.WaitVisible(chromedp.CSS(`#compat[data-level="degraded"]`)),
		pickLanguage(lang),
	)
	// On a computer the phone is the main way on: first, and the primary button.
	if first := value(t, ctx, "read the buttons", chromedp.Evaluate[string](
		`(() => { const b = document.getElementById("start-actions").firstElementChild; return b.id + " " + b.className; })()`)); first != "use-phone primary" {
		t.Errorf("the first button on a computer is %q, want use-phone, primary", first)
	}
	step(t, ctx, "continue on the phone",
		chromedp.Click(chromedp.ID("use-phone")),
		phaseIs("waiting"),
		chromedp.WaitVisible(chromedp.ID("phone-qr")),
	)
	if focused := value(t, ctx, "read focus", chromedp.Evaluate[string](`document.activeElement.id`)); focused != "phone-title" {
		t.Errorf("focus on #%s, want the panel's heading", focused)
	}
	if shown := visibleIDs(t, ctx, "start", "compat", "phone-new", "phone-cancel"); strings.Join(shown, " ") != "phone-cancel" {
		t.Errorf("beside the QR code the page shows %v, want only Cancel", shown)
	}
	// The QR code is drawn (a picture the page's policy allows) and named.
	if drawn := value(t, ctx, "check the QR code is drawn", chromedp.Evaluate[bool](
		`(() => { const i = document.getElementById("phone-qr"); return i.complete && i.naturalWidth > 0; })()`)); !drawn {
		t.Error("the QR code is not drawn")
	}
	if alt := value(t, ctx, "read the alt text", chromedp.Evaluate[string](`document.getElementById("phone-qr").alt`)); alt != say(lang, core.MsgDemoHandoffQRLabel) {
		t.Errorf("the QR code's alt text is %q", alt)
	}
	link := readQRCode(t, ctx)
	if !strings.HasPrefix(link, st.Gateway+"/start?handoff=") {
		t.Fatalf("the QR code says %s, want facegate's handoff link", redactURL(link))
	}
	if text := value(t, ctx, "read the link", chromedp.Text(chromedp.ID("phone-link"))); text != link {
		t.Errorf("the link shown is %s, the QR code says %s", redactURL(text), redactURL(link))
	}
	before, _, _ := strings.Cut(say(lang, core.MsgDemoHandoffExpires), "{time}")
	if expires := value(t, ctx, "read the expiry", chromedp.Text(chromedp.ID("phone-expires"))); !strings.HasPrefix(expires, before) || len(expires) <= len(before) {
		t.Errorf("the expiry reads %q", expires)
	}
	if got := value(t, ctx, "read the progress", chromedp.Text(chromedp.ID("phone-progress"))); got != say(lang, core.MsgUIWaitingForPhone) {
		t.Errorf("the progress reads %q, want %q", got, say(lang, core.MsgUIWaitingForPhone))
	}
	for _, p := range value(t, ctx, "audit the panel", chromedp.Evaluate[[]string](auditPage)) {
		t.Errorf("desktop page with the QR code: %s", p)
	}
	checkSpeaks(t, ctx, "the desktop's QR code", lang)
	if lang == "en" {
		screenshot(t, ctx, "handoff-desktop", true)
	}
	return link
}
