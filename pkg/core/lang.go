package core

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// pageLanguage picks the language of a page: the session's (chosen at start), else the
// best of the browser's Accept-Language that the catalogue has, else English.
func pageLanguage(r *http.Request, session string) string {
	if slices.Contains(Languages(), session) {
		return session
	}
	return acceptLanguage(r.Header.Get("Accept-Language"))
}

// knownLanguage is lang when the catalogue has it, else the default language.
func knownLanguage(lang string) string {
	if _, ok := catalogue()[lang]; !ok {
		return DefaultLanguage
	}
	return lang
}

// acceptLanguage reads an Accept-Language header (RFC 9110: tags with optional q weights)
// and returns the catalogue language it prefers most, or English. Chinese is told apart by
// script or region: Traditional for zh-Hant, zh-TW, zh-HK and zh-MO; Simplified otherwise.
func acceptLanguage(header string) string {
	best, bestQ := DefaultLanguage, 0.0
	for i, part := range strings.Split(header, ",") {
		if i >= 16 {
			break // a browser sends a handful; more is noise
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		lang := catalogueLanguage(tag)
		if lang != "" && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// catalogueLanguage maps a language tag to the catalogue's language, or "".
func catalogueLanguage(tag string) string {
	t := strings.ToLower(strings.TrimSpace(tag))
	primary, rest, _ := strings.Cut(t, "-")
	switch primary {
	case "en":
		return "en"
	case "th":
		return "th"
	case "id", "in": // "in" is Indonesian's old code, still sent by some Android WebViews
		return "id"
	case "zh":
		for sub := range strings.SplitSeq(rest, "-") {
			switch sub {
			case "hant", "tw", "hk", "mo", "tc":
				return "zh-tc"
			}
		}
		return "zh-cn"
	}
	return ""
}
