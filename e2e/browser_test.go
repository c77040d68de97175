package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// browserTimeout bounds one whole test's browser work, so a hung page fails the test
// instead of hanging CI until its global limit.
const browserTimeout = 2 * time.Minute

// stepTimeout bounds one browser step; a page that never shows what we wait for fails
// with a screenshot instead of using up the whole test's time.
const stepTimeout = 30 * time.Second

// step runs browser actions with stepTimeout and fails t, with a screenshot, on error.
func step(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(stepCtx, actions...); err != nil {
		failWithScreenshot(t, ctx, name, err)
	}
}

// value runs one browser action that returns a value, like step.
func value[T any](t *testing.T, ctx context.Context, name string, action chromedp.Action[T]) T {
	t.Helper()
	stepCtx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(stepCtx, action)
	if err != nil {
		failWithScreenshot(t, ctx, name, err)
	}
	return v
}

// userAgent overrides the tab's user agent for the pages it loads next.
func userAgent(ua string) chromedp.Action[chromedp.Void] {
	return overrideUserAgent(emulation.SetUserAgentOverrideParams{UserAgent: ua})
}

// overrideUserAgent is userAgent with everything Chrome can report: client hints too.
func overrideUserAgent(p emulation.SetUserAgentOverrideParams) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride, p)
		return err
	})
}

// newBrowser starts a fresh headless Chromium for t and returns a context for its first tab.
// It fails t when the browser cannot start, unless FACEGATE_SKIP_BROWSER=1 says to skip.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if os.Getenv("FACEGATE_SKIP_BROWSER") == "1" {
		t.Skip("FACEGATE_SKIP_BROWSER=1: browser tests skipped")
	}
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("Chromium not found at %s (%v): run `make chromium` or set CHROMIUM=/path/to/chromium; "+
			"set FACEGATE_SKIP_BROWSER=1 to skip the browser tests", path, err)
	}

	// These flags keep Chromium from reaching out to Google's services: on a closed
	// network every such attempt fails, and some of them make start-up slow.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		// The sandbox page and the gateway are both on loopback; nothing may be proxied.
		chromedp.Flag("no-proxy-server", true),
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("Chromium at %s did not start: %v (set FACEGATE_SKIP_BROWSER=1 to skip the browser tests)", path, err)
	}
	return browserCtx
}

// newTab opens a phone-sized tab in its own browser context (its own cookies and
// storage), so subtests cannot see each other's session cookies.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	return newTabSized(t, browser, phone())
}

// newTabSized is newTab with the viewport of screen.
func newTabSized(t *testing.T, browser context.Context, screen chromedp.Action[chromedp.Void]) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, screen); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return ctx
}

// phone makes the tab look like a phone (390x844 CSS pixels at 2x, an iPhone 12 to 15):
// the demo page is mobile-first and the screenshots in the README show it as users see it.
func phone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// screenshot saves the tab's page as name.png among the test artifacts and, for the
// pictures in the README (docs), in FACEGATE_SCREENSHOTS_DIR when it is set: that is how
// make screenshots refreshes docs/screenshots.
func screenshot(t *testing.T, ctx context.Context, name string, docs bool) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	name = unsafeName.ReplaceAllString(name, "_") + ".png"
	dirs := []string{artifactsDir()}
	if dir := os.Getenv("FACEGATE_SCREENSHOTS_DIR"); docs && dir != "" {
		dirs = append(dirs, dir)
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}
}

func artifactsDir() string {
	if dir := os.Getenv("ARTIFACTS_DIR"); dir != "" {
		return dir
	}
	return "artifacts"
}

// failWithScreenshot reports err with a screenshot of where the page was, which is
// usually the quickest way to see why a browser step failed.
func failWithScreenshot(t *testing.T, ctx context.Context, step string, err error) {
	t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.New("timed out waiting for the page")
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	screenshot(t, ctx, "failed-"+t.Name(), false)
	t.Fatalf("%s: %v (page %s; screenshot in %s)", step, err, redactURL(loc), artifactsDir())
}

var secretParams = regexp.MustCompile(`((?:^|[?&])(?:token|ticket|startToken|k|watch)=)[^&#]+`)

// redactURL hides tokens, tickets, start tokens and a handoff's secrets (the phone's k,
// the desktop's watch) in URLs that go into test output.
func redactURL(u string) string { return secretParams.ReplaceAllString(u, "${1}…") }
