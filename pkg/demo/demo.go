// Package demo is the demo merchant: its H5 pages (a start page that checks the browser
// and starts through the shop's backend, here or on the user's phone, a return page that
// shows the outcome read from GET /result, the shop's own page, and the merchant's view of
// its webhook events), every word of them in the user's language from the core's
// catalogue (messages/<lang>.json), and its backend: the start links it signs and the
// phone handoffs it asks facegate for (Merchant), and its webhook receiver
// (WebhookReceiver). The pages are plain HTML, CSS and JavaScript with no build step, so
// a merchant can copy them as the start of their own.
package demo

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
)

//go:embed static
var files embed.FS

// static is the embedded page tree rooted at its own folder.
var static = mustSub(files, "static")

// ContentSecurityPolicy is sent with every demo file. The pages have no inline script or
// style and call only their own origin, so everything else can be refused.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the demo files and messages/<lang>.json. Mount it under a folder with
// http.StripPrefix, for example mux.Handle("/demo/", http.StripPrefix("/demo",
// demo.Handler())); the return page finds the functions at "../" relative to itself (the
// facegate-api meta tag), and the start page its backend at api/start and api/handoff
// (NewMerchant).
func Handler() http.Handler {
	etags := make(map[string]string)
	_ = fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		etags["/"+name] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return nil
	})
	files := http.FileServerFS(static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Revalidate every time: the ETag makes that a 304 without a body, and a new
		// version of the page is never hidden behind a stale cache.
		h.Set("Cache-Control", "no-cache")
		name := path.Clean("/" + r.URL.Path)
		if name == "/" {
			name = "/index.html"
		}
		if serveMessages(w, r, name) {
			return
		}
		if tag, ok := etags[name]; ok {
			h.Set("ETag", tag)
		}
		files.ServeHTTP(w, r)
	})
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the folder is embedded at build time, so this cannot happen at run time
	}
	return sub
}
