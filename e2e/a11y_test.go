package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// auditPage is run in the page: the structural accessibility rules that a screen-reader
// or keyboard user notices first. It returns one line per problem.
const auditPage = `(() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (!document.title.trim()) problems.push("no <title>");
  if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one <main>");
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one <h1>");
  if (!document.querySelector("header") ) problems.push("no <header> landmark");
  const name = (el) => (el.getAttribute("aria-label") || "").trim() ||
    Array.from(el.labels || [], (l) => l.textContent.trim()).join(" ") ||
    (el.matches("button, a, summary") ? el.textContent.trim() : "");
  for (const el of document.querySelectorAll("input, select, textarea, button, a, summary")) {
    if (el.type === "hidden") continue;
    if (!name(el)) problems.push("no accessible name: " + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push("img without alt: " + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("[lang]")) {
    if (!/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/.test(el.lang)) problems.push("bad lang " + el.lang);
  }
  return problems;
})()`

// TestPagesAreAccessible checks the demo's start, return, shop and webhook events pages for the
// rules above, and that the start button is reached with the keyboard and shows where
// focus is.
func TestPagesAreAccessible(t *testing.T) {
	ctx := newTab(t, newBrowser(t))
	base := demoOnly(t)
	for _, page := range []string{"/demo/", "/demo/return.html", "/demo/shop.html", "/demo/events.html"} {
		step(t, ctx, "open "+page, chromedp.Navigate(base+page), chromedp.WaitVisible(chromedp.CSS("h1")))
		for _, p := range value(t, ctx, "audit "+page, chromedp.Evaluate[[]string](auditPage)) {
			t.Errorf("%s: %s", page, p)
		}
	}

	// Keyboard only: Tab from the top of the start page reaches the start button, which
	// then has a visible focus ring.
	step(t, ctx, "open the start page", chromedp.Navigate(base+"/demo/"), chromedp.WaitVisible(chromedp.ID("go")))
	var path []string
	for range 10 {
		step(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		id := value(t, ctx, "read focus", chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.tagName`))
		path = append(path, id)
		if id == "go" {
			break
		}
	}
	if path[len(path)-1] != "go" {
		t.Fatalf("Tab never reached the start button: %s", strings.Join(path, " → "))
	}
	if path[0] != "lang" {
		t.Errorf("first Tab stop %s, want the language choice (path %s)", path[0], strings.Join(path, " → "))
	}
	ring := value(t, ctx, "read the focus ring", chromedp.Evaluate[string](
		`(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + " " + s.outlineWidth; })()`))
	if !strings.HasPrefix(ring, "solid ") || ring == "solid 0px" {
		t.Errorf("focused start button has outline %q, want a visible ring", ring)
	}
}
