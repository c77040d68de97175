package core

import (
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAcceptLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"":                             "en",
		"th-TH,th;q=0.9,en;q=0.8":      "th",
		"zh-TW,zh;q=0.9":               "zh-tc",
		"zh-HK":                        "zh-tc",
		"zh-Hant-HK":                   "zh-tc",
		"zh-Hans-CN":                   "zh-cn",
		"zh":                           "zh-cn",
		"zh-SG":                        "zh-cn",
		"in-ID":                        "id",
		"id;q=0.4, en;q=0.5":           "en",
		"fr-FR,de;q=0.9":               "en",
		"fr-FR,id;q=0.2":               "id",
		"en;q=bad,th":                  "th",
		"*":                            "en",
		"ms-MY, zh-Hant;q=0.7, en;q=0": "zh-tc",
	} {
		if got := acceptLanguage(header); got != want {
			t.Errorf("acceptLanguage(%q) = %s, want %s", header, got, want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Language", "th")
	if got := pageLanguage(r, "id"); got != "id" {
		t.Errorf("the session's language loses to the browser's: %s", got)
	}
	if got := pageLanguage(r, "fr"); got != "th" {
		t.Errorf("an unknown session language: %s", got)
	}
}

func TestPagesSpeakTheUsersLanguageAndLeadHome(t *testing.T) {
	s := &Service{cfg: Config{Brand: Brand{Name: "Toko <Maju>", Color: "#0b5d1e", HomeURL: "https://shop.example.com/account"}}}
	for _, lang := range Languages() {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/callback", nil)
		r.Header.Set("Accept-Language", lang)
		s.errorPage(rec, r, http.StatusNotFound, CodeSessionNotFound, "")
		body := rec.Body.String()
		for _, want := range []string{
			`<html lang="` + HTMLLang(lang) + `">`,
			html.EscapeString(CodeSessionNotFound.Title().Text(lang)),
			html.EscapeString(CodeSessionNotFound.UserMessage().Text(lang)),
			`href="https://shop.example.com/account">` + html.EscapeString(MsgUIBackToShop.Text(lang)),
			"Toko &lt;Maju&gt;", "--brand:#0b5d1e",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s page lacks %q:\n%s", lang, want, body)
			}
		}
		// The code is for tools, in a meta tag; the page itself never shows it.
		if _, visible, _ := strings.Cut(body, "<body>"); strings.Contains(visible, "session_not_found") ||
			!strings.Contains(body, `<meta name="facegate-error" content="session_not_found">`) {
			t.Errorf("%s page shows the code, or has no meta tag for tools", lang)
		}
	}
}

func TestBrandColourNeedsContrast(t *testing.T) {
	var failed []string
	fail := func(field, _ string, _ ...any) { failed = append(failed, field) }
	(&Brand{Color: "#ffcc00"}).validate(fail) // yellow: white text is unreadable on it
	(&Brand{Color: "blue"}).validate(fail)
	(&Brand{HomeURL: "javascript:alert(1)"}).validate(fail)
	(&Brand{HomeURL: "http://shop.example.com/"}).validate(fail)
	(&Brand{Name: "a\x00b"}).validate(fail)
	if len(failed) != 5 {
		t.Fatalf("refused %v, want five refusals", failed)
	}
	failed = nil
	(&Brand{Name: "ร้านดี", Color: "#1f5fbf", HomeURL: "https://shop.example.com/"}).validate(fail)
	(&Brand{HomeURL: "http://localhost:8080/demo/"}).validate(fail)
	if len(failed) != 0 {
		t.Fatalf("refused good brands: %v", failed)
	}
}
