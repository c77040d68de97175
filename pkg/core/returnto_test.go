package core

import (
	"net/url"
	"strings"
	"testing"
)

func testAllowlist(t *testing.T) *Allowlist {
	t.Helper()
	a, err := NewAllowlist([]string{"https://shop.example.com/verify/", "https://m.example.com", "http://localhost:8080/demo"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAllowlistAcceptsMatchingURLs(t *testing.T) {
	a := testAllowlist(t)
	for _, u := range []string{
		"https://shop.example.com/verify/",
		"https://shop.example.com/verify/done",
		"https://shop.example.com/verify/done.html?order=42&x=a%20b",
		"https://shop.example.com/verify/done#/result",
		"https://m.example.com",
		"https://m.example.com/",
		"https://m.example.com/any/path",
		"http://localhost:8080/demo",
		"http://localhost:8080/demo/return.html",
	} {
		if err := a.Check(u); err != nil {
			t.Errorf("Check(%q) = %v, want nil", u, err)
		}
	}
}

// hostileReturnTo is the corpus of addresses that must never pass the allowlist.
var hostileReturnTo = []string{
	"",
	"//evil.com",
	"//evil.com/verify/",
	"/\\evil.com",
	"\\\\evil.com",
	"https://shop.example.com\\@evil.com/verify/",
	"https://shop.example.com/verify\\..\\..\\x",
	"https://shop.example.com.evil.com/verify/",
	"https://evil.com/shop.example.com/verify/",
	"https://evil.com#@shop.example.com/verify/",
	"https://evil.com?@shop.example.com/verify/",
	"https://shop.example.com@evil.com/verify/",
	"https://user:pass@shop.example.com/verify/",
	"https://shop.example.com:443@evil.com/verify/",
	"HTTPS://shop.example.com/verify/",
	"hTtPs://shop.example.com/verify/",
	"https://SHOP.EXAMPLE.COM/verify/",
	"https://shop.example.com./verify/",
	"http://shop.example.com/verify/",
	"https://shop.example.com:8443/verify/",
	"javascript:alert(1)//https://shop.example.com/verify/",
	"data:text/html,<script>alert(1)</script>",
	"ftp://shop.example.com/verify/",
	"https:shop.example.com/verify/",
	"https:/shop.example.com/verify/",
	"https:///shop.example.com/verify/",
	" https://shop.example.com/verify/",
	"https://shop.example.com/verify/\n",
	"https://shop.example.com/verify/\tx",
	"https://shop.example.com/ve\x00rify/",
	"https://shop.example.com/verify/%2f%2fevil.com",
	"https://shop.example.com/verify/%2F..%2F..%2Fadmin",
	"https://shop.example.com/verify/%5c%5cevil.com",
	"https://shop.example.com/verify/%252f%252fevil.com",
	"https://shop.example.com/verify/%09",
	"https://shop.example.com/verify/%2e%2e/admin",
	"https://shop.example.com/verify/../admin",
	"https://shop.example.com/verify/./../admin",
	"https://shop.example.com/verify/x/../../admin",
	"https://shop.example.com/verify//evil.com",
	"https://shop.example.com/verifyx",
	"https://shop.example.com/veri",
	"https://shop.example.com/",
	"https://m.example.com.evil.com/",
	"https://m.example.comevil.com/",
	"https://xn--shp-example-9ib.com/verify/",
	"https://shοp.example.com/verify/", // Greek omicron
	"https://shop.example.com/verify/%",
	"https://shop.example.com/verify/%zz",
	"https://shop.example.com/verify/?next=%0d%0aSet-Cookie:x",
	"http://localhost:8080/demo-evil/",
	"http://localhost:8080/demo/../admin",
	"http://localhost:8080.evil.com/demo/",
	"http://127.0.0.1:8080/demo/",
	"https://shop.example.com/verify/" + strings.Repeat("a", MaxReturnToLength),
	"https://[::1]/verify/",
	"https://shop.example.com/verify/<script>",
	// Path parameters after a dot segment: Tomcat and Spring read "..;" as "..".
	"https://shop.example.com/verify/..;/admin",
	"https://shop.example.com/verify/x/..;jsessionid=1/../admin",
	"https://shop.example.com/verify/.;/..;/admin",
	// Ports and separators a browser reads differently from the allowlist entry.
	"https://shop.example.com:443/verify/",
	"https://shop.example.com:/verify/",
	"https://shop.example.com/verify/;//evil.com",
	"https://shop.example.com%2f@evil.com/verify/",
	"https://shop.example.com%40evil.com/verify/",
	"https://shop.example.com&@evil.com/verify/",
	"https://shop.example.com;@evil.com/verify/",
	"https://shop.example.com%C0%AE/verify/",
	"https://[shop.example.com]/verify/",
	// Unicode look-alikes of dots and slashes, raw and encoded.
	"https://shop.example.com\u3002evil.com/verify/",
	"https://shop.example.com/verify/\u2215\u2215evil.com",
	"https://shop.example.com/verify/%ef%bc%8f%ef%bc%8fevil.com",
	// The parameters the callback adds, planted in advance (a page reading the first
	// value would read the planted one).
	"https://shop.example.com/verify/?token=planted",
	"https://shop.example.com/verify/?x=1&status=passed",
	"https://shop.example.com/verify/?tick%65t=v1.passed.9999999999.x",
	"https://shop.example.com/verify/?token=a;b",
	"https://shop.example.com/verify/?a;b&status",
}

func TestAllowlistRefusesHostileCorpus(t *testing.T) {
	if len(hostileReturnTo) < 25 {
		t.Fatalf("corpus has %d payloads, want at least 25", len(hostileReturnTo))
	}
	a := testAllowlist(t)
	for _, u := range hostileReturnTo {
		err := a.Check(u)
		if err == nil {
			t.Errorf("Check(%q) passed, want invalid_return_to", u)
			continue
		}
		if e, ok := err.(*Error); !ok || e.Code != CodeInvalidReturnTo {
			t.Errorf("Check(%q) = %v, want code invalid_return_to", u, err)
		}
	}
}

// FuzzAllowlist checks that whatever passes the allowlist is, read back by Go's URL
// parser, on an allowed origin under an allowed prefix with no userinfo.
func FuzzAllowlist(f *testing.F) {
	for _, u := range hostileReturnTo {
		f.Add(u)
	}
	f.Add("https://shop.example.com/verify/ok?x=1#y")
	a, err := NewAllowlist([]string{"https://shop.example.com/verify/"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if a.Check(raw) != nil {
			return
		}
		// What the callback sends as Location must land where the allowlist said, with
		// exactly one token, ticket and status.
		params := url.Values{"token": {"T-1"}, "ticket": {"v1.passed.1.x"}, "status": {"passed"}}
		for _, s := range []string{raw, appendQuery(raw, params)} {
			u, err := url.Parse(s)
			if err != nil {
				t.Fatalf("accepted %q, and %q does not parse", raw, s)
			}
			if u.Scheme != "https" || u.Host != "shop.example.com" || u.User != nil || u.Opaque != "" ||
				!strings.HasPrefix(u.Path, "/verify/") || strings.ContainsAny(s, "\\\x00\r\n\t ") {
				t.Fatalf("accepted %q (scheme %q host %q path %q)", s, u.Scheme, u.Host, u.Path)
			}
			for _, seg := range strings.Split(u.Path, "/") {
				if bare, _, _ := strings.Cut(seg, ";"); bare == "." || bare == ".." {
					t.Fatalf("accepted %q with the dot segment %q", s, seg)
				}
			}
			if s != raw {
				q := browserQuery(u.RawQuery)
				if len(q["token"]) != 1 || len(q["ticket"]) != 1 || len(q["status"]) != 1 || q["token"][0] != "T-1" {
					t.Fatalf("redirect %q carries %v", s, q)
				}
			}
		}
	})
}

// browserQuery splits a query the way URLSearchParams does: pairs on '&' only (a ';' is
// data), '+' as a space, percent-decoding where it is valid.
func browserQuery(raw string) map[string][]string {
	out := map[string][]string{}
	if raw == "" {
		return out
	}
	dec := func(s string) string {
		s = strings.ReplaceAll(s, "+", " ")
		if d, err := url.PathUnescape(s); err == nil {
			return d
		}
		return s
	}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		out[dec(k)] = append(out[dec(k)], dec(v))
	}
	return out
}

func TestNewAllowlistRefusesBadEntries(t *testing.T) {
	for _, e := range []string{
		"shop.example.com",
		"//shop.example.com",
		"HTTPS://shop.example.com",
		"https://Shop.example.com",
		"https://user@shop.example.com",
		"https://shop.example.com/a?x=1",
		"https://shop.example.com/a#f",
		"https://shop.example.com/a/../b",
		"https://shop.example.com/a//b",
		"ftp://shop.example.com",
		"https://shop.example.com./",
	} {
		if _, err := NewAllowlist([]string{e}); err == nil {
			t.Errorf("NewAllowlist(%q) passed", e)
		}
	}
	if _, err := NewAllowlist(nil); err == nil {
		t.Error("empty allowlist accepted")
	}
}

func TestAppendQueryKeepsQueryAndFragment(t *testing.T) {
	v := url.Values{"token": {"T-1"}, "status": {"passed"}}
	for in, want := range map[string]string{
		"https://a.example/r":          "https://a.example/r?status=passed&token=T-1",
		"https://a.example/r?x=1":      "https://a.example/r?x=1&status=passed&token=T-1",
		"https://a.example/r?":         "https://a.example/r?status=passed&token=T-1",
		"https://a.example/r#/done":    "https://a.example/r?status=passed&token=T-1#/done",
		"https://a.example/r?x=1#frag": "https://a.example/r?x=1&status=passed&token=T-1#frag",
		"https://a.example/r?x=1&":     "https://a.example/r?x=1&status=passed&token=T-1",
		"https://a.example/r??":        "https://a.example/r??&status=passed&token=T-1",
		"https://a.example/r?x?":       "https://a.example/r?x?&status=passed&token=T-1",
		"https://a.example/r#a?b":      "https://a.example/r?status=passed&token=T-1#a?b",
	} {
		if got := appendQuery(in, v); got != want {
			t.Errorf("appendQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
