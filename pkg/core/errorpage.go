package core

import (
	"html"
	"io"
	"net/http"
	"strings"
)

// The error page is assembled from fixed text with every variable part escaped, rather
// than through html/template: the page has three fields, and a template engine would
// keep reflection-heavy code in every deployed function.
const (
	errorPageHead = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>`
	errorPageStyle = `</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:0;padding:2rem 1.25rem;color:#1b1f24;background:#f6f7f9;line-height:1.5}
main{max-width:28rem;margin:0 auto;background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.25rem;margin:0 0 .75rem}
p{margin:0 0 .75rem}
.code{color:#57606a;font-size:.85rem}
</style>
</head>
<body>
<main>
<h1>`
	errorPageTail = `</p>
</main>
</body>
</html>
`
)

// pageTitles gives browser pages a headline a person understands; the message says what to do.
var pageTitles = map[Code]string{
	CodeSessionNotFound:     "Verification not found",
	CodeTokenExpired:        "Verification link expired",
	CodeBindingMismatch:     "Please continue on the device you started on",
	CodeInvalidToken:        "Invalid verification link",
	CodeInvalidReturnTo:     "Invalid return address",
	CodeUpstreamUnavailable: "Verification is temporarily unavailable",
}

// setHTMLHeaders sets what an HTML page needs on top of the security headers: its inline
// style is the only thing the policy allows.
func setHTMLHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Frame-Options", "DENY")
}

func writeErrorPage(w http.ResponseWriter, status int, code Code, msg string) {
	title, ok := pageTitles[code]
	if !ok {
		if status >= 500 {
			title = "Something went wrong"
		} else {
			title = "We could not start or finish the verification"
		}
	}
	var b strings.Builder
	b.WriteString(errorPageHead)
	b.WriteString(html.EscapeString(title))
	b.WriteString(errorPageStyle)
	b.WriteString(html.EscapeString(title))
	b.WriteString("</h1>\n<p>")
	b.WriteString(html.EscapeString(msg))
	b.WriteString("</p>\n<p class=\"code\">Error code: ")
	b.WriteString(html.EscapeString(string(code)))
	b.WriteString(errorPageTail)
	setHTMLHeaders(w.Header())
	w.WriteHeader(status)
	// A failed write means the client left.
	_, _ = io.WriteString(w, b.String())
}
