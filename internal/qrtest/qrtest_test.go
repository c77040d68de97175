package qrtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"
)

// draw renders text the way the handoff does (medium error correction, 8 pixels a
// module) with the given quiet zone in pixels.
func draw(t *testing.T, text string, border int) string {
	t.Helper()
	qr, err := goqr.EncodeText(text, goqr.Medium)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := qr.ToSVGBytes(goqr.NewQrCodeImgConfig(8, border))
	if err != nil {
		t.Fatal(err)
	}
	return string(svg)
}

// TestDecodeReadsEveryHandoffLink decodes many random handoff-shaped links: every one
// must read back exactly, whatever its data looks like.
func TestDecodeReadsEveryHandoffLink(t *testing.T) {
	for range 200 {
		id, k := make([]byte, 32), make([]byte, 32)
		rand.Read(id)
		rand.Read(k)
		link := "https://gw.example.test/start?handoff=" + hex.EncodeToString(id) + "&k=" + base64.RawURLEncoding.EncodeToString(k)
		got, err := Decode(draw(t, link, 32))
		if err != nil || got != link {
			t.Fatalf("%q read back as %q (%v)", link, got, err)
		}
	}
}

// TestDecodeRefusesWhatACameraCouldNotRead: no quiet zone, a narrow one, and no code.
func TestDecodeRefusesWhatACameraCouldNotRead(t *testing.T) {
	for name, border := range map[string]int{"none": 0, "three modules": 24} {
		if _, err := Decode(draw(t, "https://gw.example.test/start", border)); err == nil || !strings.Contains(err.Error(), "quiet zone") {
			t.Errorf("quiet zone %s: %v, want a quiet-zone error", name, err)
		}
	}
	if _, err := Decode(`<svg viewBox="0 0 100 100"></svg>`); err == nil {
		t.Error("an empty drawing decoded")
	}
}
