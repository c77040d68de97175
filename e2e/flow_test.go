package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/facegate/facegate/cmd/local/stack"
)

// androidChrome is the user agent of the flow tests: the demo page is for phones, and
// the compatibility notice then says the full check is supported.
const androidChrome = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"

// startStack starts the real local stack (the same wiring as `make run`) on free ports.
func startStack(t *testing.T) *stack.Stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := stack.Start(ctx, stack.Options{
		GatewayAddr: "127.0.0.1:0",
		SandboxAddr: "127.0.0.1:0",
		PageAddr:    "127.0.0.1:0",
		Getenv:      func(k string) string { return map[string]string{"FACEGATE_LOCAL_DIR": t.TempDir()}[k] },
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

// TestBrowserFlow walks the whole verification in Chromium for each outcome: the demo
// page, GET /start, the sandbox's hosted page, the outcome, the callback, and the return
// page showing the result from GET /result.
func TestBrowserFlow(t *testing.T) {
	browser := newBrowser(t)
	st := startStack(t)

	cases := []struct {
		outcome  string // button on the sandbox page
		lang     string // chosen on the demo page
		mode     int64  // chosen on the demo page: Tencent's CheckMode
		htmlLang string // what the sandbox page then declares
		status   string // data-status of the return page
		title    string
		category string
		docs     bool // the screenshots of this case illustrate the README
	}{
		{"pass", "en", 3, "en", "passed", "You're verified", "", true},
		{"liveness_fail", "zh-cn", 1, "zh", "failed", "Verification didn't succeed", "liveness", false},
		{"user_exit", "th", 4, "th", "failed", "Verification didn't succeed", "user_exit", false},
	}
	for _, c := range cases {
		t.Run(c.outcome, func(t *testing.T) {
			ctx := newTab(t, browser)
			step(t, ctx, "open the demo page",
				userAgent(androidChrome),
				chromedp.Navigate(st.Gateway+"/demo/"),
				chromedp.WaitVisible(chromedp.CSS(`#compat[data-level="ok"]`)),
				chromedp.SetValue(chromedp.ID("lang"), c.lang),
				chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name="mode"][value="%d"]`, c.mode))),
			)
			if c.docs {
				screenshot(t, ctx, "demo-page", true)
			}

			// Start: GET /start answers 302 to the sandbox's page, on its own origin.
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
			if state.CheckMode != c.mode || state.Language != c.lang {
				t.Errorf("sandbox session has CheckMode %d and Language %q, want %d and %q", state.CheckMode, state.Language, c.mode, c.lang)
			}
			if lang := value(t, ctx, "read the page language", chromedp.Evaluate[string](`document.documentElement.lang`)); !strings.HasPrefix(strings.ToLower(lang), c.htmlLang) {
				t.Errorf("sandbox page language %q, want %s (chosen on the demo page: %s)", lang, c.htmlLang, c.lang)
			}

			step(t, ctx, "begin on the sandbox page",
				chromedp.Click(chromedp.CSS(`button[data-action="start"]`)),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="choose"] button[data-outcome="`+c.outcome+`"]`)),
			)
			if c.docs {
				screenshot(t, ctx, "sandbox-page", true)
			}
			step(t, ctx, "choose "+c.outcome,
				chromedp.Click(chromedp.CSS(`button[data-outcome="`+c.outcome+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`main[data-page="result"] button[data-action="next"]`)),
			)
			screenshot(t, ctx, "sandbox-result-"+c.outcome, false)

			// Next: Tencent's redirect to /callback, which redirects to the return page.
			step(t, ctx, "return to the shop",
				chromedp.Click(chromedp.CSS(`button[data-action="next"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="`+c.status+`"]`)),
			)
			screenshot(t, ctx, "result-"+c.outcome, false)
			if c.docs {
				screenshot(t, ctx, "result-page", true)
			}

			title := value(t, ctx, "read the title", chromedp.Text(chromedp.ID("title")))
			if title != c.title {
				t.Errorf("title %q, want %q", title, c.title)
			}
			message := value(t, ctx, "read the message", chromedp.Text(chromedp.ID("message")))
			if message == "" {
				t.Error("no user-facing message")
			}
			code := value(t, ctx, "read the reason", chromedp.TextContent(chromedp.ID("code")))
			if c.category != "" && !strings.Contains(code, c.category) {
				t.Errorf("reason %q, want the category %s", code, c.category)
			}
			// The token and ticket must be gone from the address bar (and so the history).
			loc = value(t, ctx, "read the address", chromedp.Location())
			if loc != st.Gateway+"/demo/return.html" {
				t.Errorf("return page address %s still carries its query", redactURL(loc))
			}

			if c.status == "passed" {
				visible := value(t, ctx, "check the retry link", chromedp.Evaluate[bool](`!document.getElementById("retry").hidden`))
				if visible {
					t.Error("a passed verification offers a retry")
				}
				return
			}
			// A failure offers the camera advice and the way back to the start.
			help := value(t, ctx, "check the camera help", chromedp.Evaluate[bool](`!document.getElementById("help").hidden`))
			if !help {
				t.Error("no camera advice after a failure")
			}
			if c.outcome == "liveness_fail" {
				step(t, ctx, "open the camera advice",
					chromedp.Click(chromedp.CSS(`#help a`)),
					chromedp.WaitVisible(chromedp.CSS(`#camera-help[open] dd`)),
				)
				advice := value(t, ctx, "read the camera advice", chromedp.Text(chromedp.ID("camera-help")))
				for _, msg := range []string{"Unable to access your camera/mic", "Mic and camera permissions of your device are required", "Please check whether the camera/mic can be accessed normally"} {
					if !strings.Contains(advice, msg) {
						t.Errorf("camera advice lacks %q", msg)
					}
				}
				return
			}
			step(t, ctx, "retry",
				chromedp.Click(chromedp.ID("retry")),
				chromedp.WaitVisible(chromedp.ID("go")),
			)
			if loc := value(t, ctx, "read the address", chromedp.Location()); loc != st.Gateway+"/demo/" {
				t.Errorf("retry led to %s, want the demo page", loc)
			}
		})
	}
}

// TestReturnPageWithoutTicket shows what a reload of the return page shows: no result,
// and the way to start.
func TestReturnPageWithoutTicket(t *testing.T) {
	ctx := newTab(t, newBrowser(t))
	st := startStack(t)
	step(t, ctx, "open the return page",
		chromedp.Navigate(st.Gateway+"/demo/return.html"),
		chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="missing"]`)),
		chromedp.WaitVisible(chromedp.ID("retry")),
	)
	// A forged ticket gets the result function's refusal, shown as an expired session.
	step(t, ctx, "open the return page with a forged ticket",
		chromedp.Navigate(st.Gateway+"/demo/return.html?token=00000000-0000-4000-8000-000000000000&ticket=forged&status=passed"),
		chromedp.WaitVisible(chromedp.CSS(`#outcome[data-status="expired"], #outcome[data-status="error"]`)),
	)
	title := value(t, ctx, "read the title", chromedp.Text(chromedp.ID("title")))
	if strings.Contains(title, "verified") {
		t.Errorf("a forged ticket shows %q", title)
	}
}
