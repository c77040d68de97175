package demo

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
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
		{"/demo/return.js", "text/javascript", "history.replaceState"},
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
	for _, name := range []string{"index.html", "return.html"} {
		data, err := fs.ReadFile(FS(), name)
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
