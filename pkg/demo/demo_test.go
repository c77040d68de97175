package demo

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
)

func TestHandlerServesPages(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("/demo", Handler()))
	defer srv.Close()

	cases := []struct {
		path, contentType, contains string
	}{
		{"/demo/", "text/html", "Start verification"},
		{"/demo/index.html", "", ""}, // FileServer redirects index.html to the folder
		{"/demo/return.html", "text/html", `id="outcome"`},
		{"/demo/compat.js", "text/javascript", "export function checkCompat"},
		{"/demo/index.js", "text/javascript", `from "./compat.js"`},
		{"/demo/handoff.js", "text/javascript", "export function open"},
		{"/demo/clipboard.js", "text/javascript", "export async function copyText"},
		{"/demo/return.js", "text/javascript", "history.replaceState"},
		{"/demo/shop.html", "text/html", `data-msg="demo.shop_page"`},
		{"/demo/shop.js", "text/javascript", `from "./i18n.js"`},
		{"/demo/i18n.js", "text/javascript", "export function chooseLanguage"},
		{"/demo/messages/th.json", "application/json", `"htmlLang":"th"`},
		{"/demo/events.html", "text/html", `id="events"`},
		{"/demo/events.js", "text/javascript", `"webhook/events"`},
		{"/demo/style.css", "text/css", ":root"},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			res, err := client.Get(srv.URL + c.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if c.contentType == "" {
				if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "./" {
					t.Fatalf("status %d Location %q, want 301 to ./", res.StatusCode, res.Header.Get("Location"))
				}
				return
			}
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, c.contentType) {
				t.Errorf("Content-Type %q, want %s", got, c.contentType)
			}
			if !strings.Contains(string(body), c.contains) {
				t.Errorf("body lacks %q", c.contains)
			}
			for header, want := range map[string]string{
				"Content-Security-Policy": ContentSecurityPolicy,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"Cache-Control":           "no-cache",
			} {
				if got := res.Header.Get(header); got != want {
					t.Errorf("%s = %q, want %q", header, got, want)
				}
			}
			if res.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

func TestHandlerRevalidatesWithETag(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/compat.js")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	tag := res.Header.Get("ETag")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/compat.js", nil)
	req.Header.Set("If-None-Match", tag)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("status %d, want 304", res.StatusCode)
	}
}

func TestHandlerRejectsOtherMethodsAndMissingFiles(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	res, err := http.Post(srv.URL+"/index.html", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST status %d, want 405", res.StatusCode)
	}
	res, err = http.Get(srv.URL + "/nope.html")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("missing file status %d, want 404", res.StatusCode)
	}
}

// The CSP forbids inline code, so the pages must carry none: a page that worked only
// because a browser ignored the header would break for merchants who keep it.
func TestPagesHaveNoInlineCode(t *testing.T) {
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\son[a-z]+\s*=|\sstyle\s*=|javascript:`)
	external := regexp.MustCompile(`(?i)(?:src|href)\s*=\s*"(?:https?:)?//`)
	for _, name := range []string{"index.html", "return.html", "shop.html", "events.html"} {
		data, err := fs.ReadFile(static, name)
		if err != nil {
			t.Fatal(err)
		}
		if m := inline.Find(data); m != nil {
			t.Errorf("%s has inline code: %q", name, m)
		}
		if m := external.Find(data); m != nil {
			t.Errorf("%s loads an external resource: %q", name, m)
		}
		for _, landmark := range []string{"<main", "<h1", `lang="en"`, `name="viewport"`} {
			if !strings.Contains(string(data), landmark) {
				t.Errorf("%s lacks %s", name, landmark)
			}
		}
	}
}

// BenchmarkHandler measures serving the start page, the most requested file, and a
// revalidation that ends in 304 (what returning visitors cost).
func BenchmarkHandler(b *testing.B) {
	h := Handler()
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		}
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	tag := w.Header().Get("ETag")
	b.Run("not-modified", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("If-None-Match", tag)
			h.ServeHTTP(w, r)
			if w.Code != http.StatusNotModified {
				b.Fatal(w.Code)
			}
		}
	})
}

// TestColourContrast reads the palette from style.css and checks every pair of text and
// background the pages use against WCAG 2.2 AA: 4.5:1 for text, 3:1 for the focus ring
// and control borders. Changing a colour in the stylesheet is enough to fail it.
func TestColourContrast(t *testing.T) {
	css, err := fs.ReadFile(static, "style.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(--[a-z]+):\s*(#[0-9a-fA-F]{6})\s*;`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	colour := func(c string) string {
		if strings.HasPrefix(c, "var(") {
			name := strings.TrimSuffix(strings.TrimPrefix(c, "var("), ")")
			v, ok := vars[name]
			if !ok {
				t.Fatalf("style.css defines no %s", name)
			}
			return v
		}
		return c
	}
	// The focus ring's colour, as the stylesheet gives it. Its 2px offset leaves page or
	// card background between the ring and the control, so those are what it must stand
	// out from.
	ring := regexp.MustCompile(`:focus-visible\s*\{\s*outline:\s*\d+px solid ([^;]+);`).FindStringSubmatch(string(css))
	if ring == nil {
		t.Fatal("style.css has no :focus-visible outline")
	}
	for _, c := range []struct {
		what   string
		fg, bg string
		min    float64
	}{
		{"body text", "var(--fg)", "var(--bg)", 4.5},
		{"muted text on the page", "var(--muted)", "var(--bg)", 4.5},
		{"muted text on a card", "var(--muted)", "var(--card)", 4.5},
		{"primary button label", "#ffffff", "var(--accent)", 4.5},
		{"links and secondary buttons", "var(--accent)", "var(--card)", 4.5},
		{"links on the page", "var(--accent)", "var(--bg)", 4.5},
		{"notice text", "var(--fg)", "#e8effc", 4.5},
		{"degraded notice text", "#3d2c00", "#fff4dc", 4.5},
		{"unsupported notice text", "#4d0a0d", "#fde8e8", 4.5},
		{"passed title", "var(--ok)", "var(--card)", 4.5},
		{"failed title", "var(--bad)", "var(--card)", 4.5},
		{"focus ring on the page", ring[1], "var(--bg)", 3},
		{"focus ring on a card", ring[1], "var(--card)", 3},
		{"select border", "#8a949e", "var(--card)", 3},
	} {
		if got := contrast(colour(c.fg), colour(c.bg)); got < c.min {
			t.Errorf("%s: %s on %s is %.2f:1, want at least %.1f:1", c.what, colour(c.fg), colour(c.bg), got, c.min)
		}
	}
	if got := contrast("#f0a400", "#f6f7f9"); got >= 3 {
		t.Errorf("contrast is miscomputed: amber on the page gives %.2f:1, which is under 3:1", got)
	}
}

// contrast is WCAG's contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	var rgb [3]float64
	for i := range rgb {
		var v int
		fmt.Sscanf(hex[1+2*i:3+2*i], "%02x", &v)
		c := float64(v) / 255
		if c <= 0.03928 {
			rgb[i] = c / 12.92
		} else {
			rgb[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
}

// The pages' own words are the English catalogue's: each element that names a message
// (data-msg) holds its English text, which is what a browser shows before (or without)
// the user's language; and every message a page or script names is in the catalogue.
func TestPagesSayTheCatalogueWords(t *testing.T) {
	english := core.Catalogue("en")
	element := regexp.MustCompile(`<([a-z0-9]+)[^>]*\sdata-msg="([^"]+)"[^>]*>([^<]*)</([a-z0-9]+)>`)
	for _, name := range []string{"index.html", "return.html", "shop.html"} {
		data, err := fs.ReadFile(static, name)
		if err != nil {
			t.Fatal(err)
		}
		matches := element.FindAllStringSubmatch(string(data), -1)
		if len(matches) < 3 {
			t.Fatalf("%s: %d elements name their message", name, len(matches))
		}
		for _, m := range matches {
			id, text := core.MessageID(m[2]), html.UnescapeString(strings.Join(strings.Fields(m[3]), " "))
			if want, ok := english[id]; !ok {
				t.Errorf("%s: %s is not in the catalogue", name, id)
			} else if text != "" && text != want {
				t.Errorf("%s: %s says %q, the catalogue %q", name, id, text, want)
			}
		}
		if strings.Contains(string(data), "data-title=") {
			title := regexp.MustCompile(`data-title="([^"]+)"`).FindStringSubmatch(string(data))[1]
			if english[core.MessageID(title)] == "" {
				t.Errorf("%s: title %s is not in the catalogue", name, title)
			}
		}
		// Images name the message of their alt text.
		for _, img := range regexp.MustCompile(`<img[^>]*>`).FindAllString(string(data), -1) {
			alt := regexp.MustCompile(`\salt="([^"]*)"`).FindStringSubmatch(img)
			id := regexp.MustCompile(`\sdata-msg-alt="([^"]+)"`).FindStringSubmatch(img)
			if alt == nil || id == nil || english[core.MessageID(id[1])] != html.UnescapeString(alt[1]) {
				t.Errorf("%s: %s: alt text and data-msg-alt are not the catalogue's", name, img)
			}
		}
	}
	// Message ids the scripts name in strings ("demo.…", "ui.…", "error.…" and so on).
	id := regexp.MustCompile(`"((?:demo|ui|error|category|result)\.[a-z0-9_.]+)"`)
	scripts, err := fs.Glob(static, "*.js")
	if err != nil || len(scripts) < 6 {
		t.Fatalf("scripts %v (%v)", scripts, err)
	}
	for _, name := range scripts {
		data, err := fs.ReadFile(static, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range id.FindAllStringSubmatch(string(data), -1) {
			if english[core.MessageID(m[1])] == "" {
				t.Errorf("%s names %s, which is not in the catalogue", name, m[1])
			}
		}
	}
}

// The language picker offers the catalogue's languages, each named in itself, and the
// scripts know the same languages.
func TestLanguagePickerIsTheCatalogues(t *testing.T) {
	data, err := fs.ReadFile(static, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range regexp.MustCompile(`<option value="([^"]+)" lang="([^"]+)">([^<]+)</option>`).FindAllStringSubmatch(string(data), -1) {
		got = append(got, m[1])
		if m[3] != core.LanguageName(m[1]) || m[2] != core.HTMLLang(m[1]) {
			t.Errorf("option %s: %q in %s, want %q in %s", m[1], m[3], m[2], core.LanguageName(m[1]), core.HTMLLang(m[1]))
		}
	}
	if !slices.Equal(got, core.Languages()) {
		t.Errorf("the picker offers %v, the catalogue has %v", got, core.Languages())
	}
	script, _ := fs.ReadFile(static, "i18n.js")
	quoted := make([]string, len(core.Languages()))
	for i, l := range core.Languages() {
		quoted[i] = `"` + l + `"`
	}
	if want := "export const LANGUAGES = [" + strings.Join(quoted, ", ") + "];"; !strings.Contains(string(script), want) {
		t.Errorf("i18n.js lacks %s", want)
	}
}

func TestMessagesFiles(t *testing.T) {
	h := Handler()
	for _, lang := range core.Languages() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/messages/"+lang+".json", nil))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "" {
			t.Fatalf("%s: %d %q", lang, rec.Code, rec.Header().Get("Content-Encoding"))
		}
		var f messageFile
		if err := json.Unmarshal(rec.Body.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		if f.Lang != lang || f.HTMLLang != core.HTMLLang(lang) || !maps.Equal(f.Messages, core.Catalogue(lang)) ||
			len(f.Languages) != len(core.Languages()) || len(f.Documents) != len(faceid.IDCardTypes()) {
			t.Errorf("%s: %s/%s, %d messages, %d languages, %d documents", lang, f.Lang, f.HTMLLang, len(f.Messages), len(f.Languages), len(f.Documents))
		}
		if id, _ := core.DocumentName(f.Documents[0].Value); f.Documents[0].Label != core.Catalogue(lang)[id] {
			t.Errorf("%s: document %+v is not named in its language", lang, f.Documents[0])
		}

		// Gzipped for browsers that take it, the same JSON; revalidated by its ETag.
		req := httptest.NewRequest(http.MethodGet, "/messages/"+lang+".json", nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		zipped := httptest.NewRecorder()
		h.ServeHTTP(zipped, req)
		if zipped.Header().Get("Content-Encoding") != "gzip" || zipped.Header().Get("Vary") != "Accept-Encoding" || zipped.Body.Len() >= rec.Body.Len() {
			t.Fatalf("%s gzipped: %q, %d bytes of %d", lang, zipped.Header().Get("Content-Encoding"), zipped.Body.Len(), rec.Body.Len())
		}
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if !bytes.Equal(plain, rec.Body.Bytes()) {
			t.Errorf("%s: the gzipped file differs", lang)
		}
		req = httptest.NewRequest(http.MethodGet, "/messages/"+lang+".json", nil)
		req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
		again := httptest.NewRecorder()
		h.ServeHTTP(again, req)
		if again.Code != http.StatusNotModified {
			t.Errorf("%s revalidated: %d", lang, again.Code)
		}
	}
	for _, path := range []string{"/messages/fr.json", "/messages/th", "/messages/../index.html.json"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, rec.Code)
		}
	}
	for header, want := range map[string]bool{"gzip": true, "GZIP;q=0.5": true, "gzip;q=0": false, "br": false, "": false} {
		if acceptsGzip(header) != want {
			t.Errorf("acceptsGzip(%q) = %v", header, !want)
		}
	}
}
