// Package e2e holds the browser end-to-end tests: headless Chromium, driven from Go with
// chromedp, walks the demo merchant page, the start function, the sandbox's hosted
// verification page, the callback and the return page of a complete local stack.
//
// The tests need Chromium at /usr/bin/chromium (make chromium installs Debian's package)
// or at the path in $CHROMIUM. When the browser cannot start they fail; they skip only
// when FACEGATE_SKIP_BROWSER=1 is set. Screenshots go to e2e/artifacts/ or $ARTIFACTS_DIR,
// and also to $FACEGATE_SCREENSHOTS_DIR when it is set (make screenshots).
package e2e
