package core

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// facegate's own pages (an error at /start or /callback, the page that waits for the
// store) are built from the catalogue in the user's language, carry the merchant's name
// and colour when configured, and always offer a way back to the merchant. They are
// assembled from fixed text with every variable part escaped, rather than through
// html/template: the pages have a few fields, and a template engine would keep
// reflection-heavy code in every deployed function.

// page is one of facegate's pages.
type page struct {
	status  int
	code    Code // for tools, in a meta tag; never shown
	lang    string
	title   string
	lines   []string
	link    *pageLink // the way back: the merchant's page, or home
	refresh *pageLink // the page reloads itself here after a few seconds
}

type pageLink struct {
	href, text string
}

// refreshSeconds is how long the waiting page waits before it reloads.
const refreshSeconds = 3

const pageStyle = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Thai","PingFang SC","Microsoft YaHei",sans-serif;margin:0;padding:2rem 1.25rem;color:#1b1f24;background:#f6f7f9;line-height:1.5}
header{max-width:28rem;margin:0 auto .75rem;font-weight:600;color:#1b1f24}
main{max-width:28rem;margin:0 auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.25rem;margin:0 0 .75rem}
p{margin:0 0 .75rem}
a.button{display:inline-block;margin-top:.5rem;padding:.75rem 1.25rem;border-radius:8px;background:var(--brand);color:#fff;text-decoration:none;font-weight:600}
a.button:focus{outline:3px solid #1b1f24;outline-offset:2px}`

// defaultBrandColor is the buttons' colour without a merchant colour: white text on it
// has a contrast of 7.0:1.
const defaultBrandColor = "#1f5fbf"

// setHTMLHeaders sets what an HTML page needs on top of the security headers: its inline
// style is the only thing the policy allows, and it may not be framed.
func setHTMLHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Frame-Options", "DENY")
}

func (s *Service) writePage(w http.ResponseWriter, p page) {
	var b strings.Builder
	esc := html.EscapeString
	b.WriteString("<!doctype html>\n<html lang=\"")
	b.WriteString(esc(HTMLLang(p.lang)))
	b.WriteString("\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	if p.code != "" {
		b.WriteString(`<meta name="facegate-error" content="` + esc(string(p.code)) + "\">\n")
	}
	if p.refresh != nil {
		b.WriteString(`<meta http-equiv="refresh" content="` + strconv.Itoa(refreshSeconds) + `;url=` + esc(p.refresh.href) + "\">\n")
	}
	b.WriteString("<title>" + esc(p.title) + "</title>\n<style>:root{--brand:" + s.brandColor() + "}\n" + pageStyle + "</style>\n</head>\n<body>\n")
	if s.cfg.Brand.Name != "" {
		b.WriteString("<header>" + esc(s.cfg.Brand.Name) + "</header>\n")
	}
	b.WriteString("<main>\n<h1>" + esc(p.title) + "</h1>\n")
	for _, line := range p.lines {
		b.WriteString("<p>" + esc(line) + "</p>\n")
	}
	if p.link != nil {
		b.WriteString(`<p><a class="button" href="` + esc(p.link.href) + `">` + esc(p.link.text) + "</a></p>\n")
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	setHTMLHeaders(w.Header())
	w.WriteHeader(p.status)
	_, _ = io.WriteString(w, b.String()) // a failed write means the client left
}

func (s *Service) brandColor() string {
	if s.cfg.Brand.Color != "" {
		return s.cfg.Brand.Color
	}
	return defaultBrandColor
}

// HTMLLang is the BCP 47 tag of a catalogue language, for a page's lang attribute:
// Chinese by script (and Hong Kong for the Traditional catalogue, written as there).
func HTMLLang(lang string) string {
	switch lang {
	case "zh-cn":
		return "zh-Hans"
	case "zh-tc":
		return "zh-Hant-HK"
	}
	return lang
}

// homeLink is the way back to the merchant when no session says where: the configured
// home page, if any.
func (s *Service) homeLink(lang string) *pageLink {
	if s.cfg.Brand.HomeURL == "" {
		return nil
	}
	return &pageLink{href: s.cfg.Brand.HomeURL, text: MsgUIBackToShop.Text(lang)}
}

// errorPage is the page of an error whose session is not known: what happened and what to
// do, in the user's language, and the way home. It never shows the error's code.
func (s *Service) errorPage(w http.ResponseWriter, r *http.Request, status int, code Code, lang string) {
	if lang == "" {
		lang = pageLanguage(r, "")
	}
	s.writePage(w, page{
		status: status, lang: lang, code: code,
		title: code.Title().Text(lang),
		lines: []string{code.UserMessage().Text(lang)},
		link:  s.homeLink(lang),
	})
}

// backToMerchant sends the browser back to the merchant's returnTo with status=error and
// the error's stable code, so the merchant's page decides what the user sees.
func backToMerchant(w http.ResponseWriter, returnTo string, code Code) {
	redirect(w, appendQuery(returnTo, url.Values{"status": {"error"}, "code": {string(code)}}))
}
