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
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted %q that does not parse", raw)
		}
		if u.Scheme != "https" || u.Host != "shop.example.com" || u.User != nil ||
			!strings.HasPrefix(u.Path, "/verify/") || strings.Contains(u.Path, "..") || strings.ContainsAny(raw, "\\\x00\r\n\t ") {
			t.Fatalf("accepted %q (scheme %q host %q path %q)", raw, u.Scheme, u.Host, u.Path)
		}
	})
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
	} {
		if got := appendQuery(in, v); got != want {
			t.Errorf("appendQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
