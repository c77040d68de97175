package core

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStartTokenRoundTrip(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	opts := StartOptions{ReturnTo: "https://shop.example.com/verify/", Extra: "order-1", Mode: 2, CompareImage: "aGVsbG8="}
	tok, err := SignStartToken(secretA, opts, now.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	p, err := verifyStartToken([][]byte{secretB, secretA}, tok, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := applyStartToken(StartOptions{CompareImage: opts.CompareImage}, p)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReturnTo != opts.ReturnTo || got.Extra != opts.Extra || got.Mode != 2 || got.CompareImage != opts.CompareImage {
		t.Fatalf("options from token = %+v", got)
	}
	// Repeating the token's own values is fine.
	if _, err := applyStartToken(StartOptions{ReturnTo: opts.ReturnTo, Mode: 2, CompareImage: opts.CompareImage}, p); err != nil {
		t.Fatalf("matching options refused: %v", err)
	}
}

func TestStartTokenRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	opts := StartOptions{ReturnTo: "https://shop.example.com/verify/", Extra: "order-1"}
	tok, err := SignStartToken(secretA, opts, now.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1800000100,"returnTo":"https://evil.example/"}`))
	long, _ := SignStartToken(secretA, opts, now.Add(MaxStartTokenLifetime+time.Minute))
	unknownField := base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1800000100,"admin":true}`))
	for name, c := range map[string]struct {
		secrets [][]byte
		token   string
		at      time.Time
	}{
		"wrong secret":      {[][]byte{secretB}, tok, now},
		"expired":           {[][]byte{secretA}, tok, now.Add(5 * time.Minute)},
		"too long-lived":    {[][]byte{secretA}, long, now},
		"payload swapped":   {[][]byte{secretA}, "v1." + forged + "." + parts[2], now},
		"unknown field":     {[][]byte{secretA}, "v1." + unknownField + "." + startTokenMAC(secretA, unknownField), now},
		"not base64":        {[][]byte{secretA}, "v1.!!!." + startTokenMAC(secretA, "!!!"), now},
		"version":           {[][]byte{secretA}, "v0" + strings.TrimPrefix(tok, "v1"), now},
		"truncated":         {[][]byte{secretA}, parts[0] + "." + parts[1], now},
		"empty":             {[][]byte{secretA}, "", now},
		"oversized":         {[][]byte{secretA}, tok + strings.Repeat("A", maxStartTokenLength), now},
		"trailing payload":  {[][]byte{secretA}, "v1." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1800000100}{}`)) + "." + startTokenMAC(secretA, base64.RawURLEncoding.EncodeToString([]byte(`{"exp":1800000100}{}`))), now},
		"signature altered": {[][]byte{secretA}, parts[0] + "." + parts[1] + "." + strings.ToUpper(parts[2]), now},
	} {
		if _, err := verifyStartToken(c.secrets, c.token, c.at); !errors.Is(err, errInvalidStartToken) {
			t.Errorf("%s: err = %v, want errInvalidStartToken", name, err)
		}
	}

	p, err := verifyStartToken([][]byte{secretA}, tok, now)
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]StartOptions{
		"other returnTo": {ReturnTo: "https://shop.example.com/verify/other"},
		"other extra":    {Extra: "order-2"},
		"added mode":     {Mode: 3},
		"added lang":     {Language: "th"},
		"added image":    {CompareImage: "aGVsbG8="},
		"added key":      {CompareImageKey: "uploads/a.jpg"},
	} {
		_, err := applyStartToken(req, p)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidStartToken {
			t.Errorf("%s: err = %v, want invalid_start_token", name, err)
		}
	}
	withImage, _ := SignStartToken(secretA, StartOptions{ReturnTo: opts.ReturnTo, CompareImage: "aGVsbG8="}, now.Add(time.Minute))
	pi, err := verifyStartToken([][]byte{secretA}, withImage, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range []string{"", "aGVsbG9v"} {
		if _, err := applyStartToken(StartOptions{CompareImage: img}, pi); err == nil {
			t.Errorf("image %q accepted for a token signed over another image", img)
		}
	}
	if _, err := SignStartToken([]byte("short"), opts, now); err == nil {
		t.Error("a short secret signed a token")
	}
}
