package core

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Brand is how facegate's own pages show the merchant, and where they send a user whose
// session they cannot name.
type Brand struct {
	// Name heads every page (at most 60 characters); empty shows none.
	Name string
	// Color is the buttons' colour, #RRGGBB, dark enough for white text (WCAG AA, 4.5:1).
	Color string
	// HomeURL is where a page sends a user when no session says where: the merchant's
	// home or account page.
	HomeURL string
}

// maxBrandName caps the merchant's name on a page.
const maxBrandName = 60

func (b *Brand) validate(fail func(field, format string, args ...any)) {
	if !utf8.ValidString(b.Name) || utf8.RuneCountInString(b.Name) > maxBrandName || strings.ContainsFunc(b.Name, unicode.IsControl) {
		fail("Brand.Name", "at most %d characters without control characters", maxBrandName)
	}
	if b.Color != "" {
		if l, ok := luminance(b.Color); !ok {
			fail("Brand.Color", "want #RRGGBB, got %q", b.Color)
		} else if contrast := 1.05 / (l + 0.05); contrast < 4.5 {
			fail("Brand.Color", "%s is too light for white button text (contrast %.1f:1, WCAG AA needs 4.5:1)", b.Color, contrast)
		}
	}
	if b.HomeURL != "" {
		u, err := url.Parse(b.HomeURL)
		if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname()))) {
			fail("Brand.HomeURL", "must be an absolute https URL (plain http only to localhost) without user information")
		}
	}
}

// luminance is the WCAG relative luminance of a #RRGGBB colour.
func luminance(hex string) (float64, bool) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, false
	}
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return 0, false
		}
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2], true
}
