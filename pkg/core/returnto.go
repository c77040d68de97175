package core

import (
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// MaxReturnToLength caps a returnTo URL (characters).
const MaxReturnToLength = 2048

// Allowlist decides which returnTo URLs the callback may redirect to. An entry is
// scheme://host[:port][/path-prefix]; a candidate matches when its scheme, host and port are
// exactly the entry's and its (clean) path lies under the entry's path prefix.
//
// The matcher is deliberately narrower than what browsers accept: anything a browser or a
// URL parser could read in two ways (backslashes, percent-encoded separators, userinfo,
// control characters, dot segments, non-ASCII) is refused rather than normalised, so there
// is never an open redirect. A returnTo that already carries one of the parameters the
// callback adds (token, ticket, status) is refused too.
type Allowlist struct {
	entries []allowEntry
}

type allowEntry struct {
	scheme string // "http" or "https"
	host   string // lower-case host[:port], exactly as it must appear
	prefix string // "" (any path) or a clean path; a prefix without a trailing slash also matches itself
}

// NewAllowlist parses allowlist entries; it fails on any entry that is not a plain
// scheme://host[:port][/path] URL.
func NewAllowlist(entries []string) (*Allowlist, error) {
	a := &Allowlist{}
	for _, raw := range entries {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		e, err := parseAllowEntry(raw)
		if err != nil {
			return nil, fmt.Errorf("returnTo allowlist entry %q: %w", raw, err)
		}
		a.entries = append(a.entries, e)
	}
	if len(a.entries) == 0 {
		return nil, fmt.Errorf("returnTo allowlist is empty")
	}
	return a, nil
}

func parseAllowEntry(raw string) (allowEntry, error) {
	if bad := unsafeURLChars(raw); bad != "" {
		return allowEntry{}, fmt.Errorf("contains %s", bad)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return allowEntry{}, fmt.Errorf("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || !strings.HasPrefix(raw, u.Scheme+"://") {
		return allowEntry{}, fmt.Errorf("scheme must be lower-case http or https")
	}
	if u.User != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#") {
		return allowEntry{}, fmt.Errorf("must be scheme://host[:port][/path] with no userinfo, query or fragment")
	}
	if u.Host != strings.ToLower(u.Host) || strings.HasSuffix(u.Hostname(), ".") {
		return allowEntry{}, fmt.Errorf("host must be lower-case without a trailing dot")
	}
	p := u.EscapedPath()
	if p != "" && !cleanPath(p) {
		return allowEntry{}, fmt.Errorf("path must be clean (no dot segments, no empty segments, no percent-encoding)")
	}
	if p == "/" {
		p = ""
	}
	return allowEntry{scheme: u.Scheme, host: u.Host, prefix: p}, nil
}

// Check returns nil if raw may be used as a returnTo, or an *Error with CodeInvalidReturnTo.
func (a *Allowlist) Check(raw string) error {
	if raw == "" {
		return errorf(CodeInvalidReturnTo, "returnTo is required.")
	}
	if err := a.check(raw); err != "" {
		return errorf(CodeInvalidReturnTo, "returnTo is not allowed: %s.", err)
	}
	return nil
}

func (a *Allowlist) check(raw string) string {
	if len(raw) > MaxReturnToLength {
		return "too long"
	}
	if bad := unsafeURLChars(raw); bad != "" {
		return "it contains " + bad
	}
	if bad := unsafeEscapes(raw); bad != "" {
		return "it contains " + bad
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return "it must be an absolute http(s) URL without userinfo"
	}
	// The literal prefix check refuses upper- or mixed-case schemes and anything a browser
	// might read differently, such as "https:/host" or "https:\\host".
	if !strings.HasPrefix(raw, u.Scheme+"://"+u.Host) {
		return "it must start with scheme://host"
	}
	p := u.EscapedPath()
	if p != "" && !cleanPath(p) {
		return "its path is not clean"
	}
	if k := reservedParam(u.RawQuery); k != "" {
		// The callback adds these; a returnTo that already had one would be read two ways.
		return "it carries its own " + k + " parameter"
	}
	for _, e := range a.entries {
		if e.scheme == u.Scheme && e.host == u.Host && pathUnder(p, e.prefix) {
			return ""
		}
	}
	return "it does not match an allowed address"
}

// reservedParams are the query parameters the callback adds to returnTo.
var reservedParams = []string{"token", "ticket", "status"}

// reservedParam names a reserved parameter that rawQuery already carries. It reads the query
// as a browser's URLSearchParams does ('&' separates pairs, '+' is a space), so a pair
// that Go's parser skips, such as "token=x;y", is found too; and as servers that also
// split on ';' (old CGI and Java servlet conventions) do, so "a=1;token=x" is found.
func reservedParam(rawQuery string) string {
	for pair := range strings.FieldsFuncSeq(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		key, _, _ := strings.Cut(pair, "=")
		key = strings.ReplaceAll(key, "+", " ")
		if k, err := url.PathUnescape(key); err == nil {
			key = k
		}
		if slices.Contains(reservedParams, key) {
			return key
		}
	}
	return ""
}

// unsafeURLChars names the first character class we refuse anywhere in a URL: control
// characters and whitespace, backslashes, and anything outside printable ASCII (which
// includes look-alike Unicode hosts).
func unsafeURLChars(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' || c == 0x7f:
			return "whitespace or control characters"
		case c == '\\':
			return "a backslash"
		case c >= 0x80:
			return "non-ASCII characters"
		case c == '<' || c == '>' || c == '"' || c == '`' || c == '{' || c == '}' || c == '|' || c == '^':
			return "characters that must be percent-encoded"
		}
	}
	return ""
}

// unsafeEscapes refuses percent-encodings that change a URL's meaning after one decode:
// encoded separators and dots, control characters, backslashes and a second level of
// encoding. Malformed escapes are refused too.
func unsafeEscapes(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "a malformed percent-encoding"
		}
		v := unhex(s[i+1])<<4 | unhex(s[i+2])
		switch {
		case v < 0x20 || v == 0x7f:
			return "an encoded control character"
		case v == '/' || v == '\\' || v == '.' || v == '%' || v == '@' || v == ':' || v == '?' || v == '#':
			return "an encoded separator"
		}
		i += 2
	}
	return ""
}

// cleanPath accepts an absolute path with no empty, "." or ".." segments and no
// percent-encoding (one trailing slash is fine). A segment is also refused when it is a dot
// segment followed by path parameters ("..;x"): servers that strip parameters (Tomcat,
// Spring) read it as "..", which would climb out of the allowed prefix.
func cleanPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.Contains(p, "%") || strings.Contains(p, "//") {
		return false
	}
	trimmed := strings.TrimSuffix(p, "/")
	if trimmed == "" {
		return true
	}
	if path.Clean(trimmed) != trimmed {
		return false
	}
	for seg := range strings.SplitSeq(trimmed[1:], "/") {
		if bare, _, _ := strings.Cut(seg, ";"); bare == "." || bare == ".." {
			return false
		}
	}
	return true
}

// pathUnder reports whether p lies under prefix on a segment boundary: "/demo/" covers
// "/demo/x"; "/demo" covers "/demo" and "/demo/x" but not "/demo-evil".
func pathUnder(p, prefix string) bool {
	if prefix == "" {
		return true
	}
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(p, prefix)
	}
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// appendQuery adds params to a returnTo URL, keeping its existing query and fragment. The
// URL has passed the allowlist, so it parses.
func appendQuery(raw string, params url.Values) string {
	base, frag, hasFrag := strings.Cut(raw, "#")
	_, query, hasQuery := strings.Cut(base, "?")
	sep := "&"
	switch {
	case !hasQuery:
		sep = "?"
	case query == "" || strings.HasSuffix(query, "&"):
		// Judged on the query alone: in "r??" the second '?' is data, and a pair must
		// not start with it.
		sep = ""
	}
	out := base + sep + params.Encode()
	if hasFrag {
		out += "#" + frag
	}
	return out
}
