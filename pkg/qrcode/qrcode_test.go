package qrcode_test

import (
	"testing"

	goqr "github.com/piglig/go-qr"

	"github.com/facegate/facegate/internal/qrtest"
	"github.com/facegate/facegate/pkg/qrcode"
)

// TestSVGIsGoQRsDrawing holds SVG to go-qr's own rendering, and checks that an
// independent decoder reads the text back.
func TestSVGIsGoQRsDrawing(t *testing.T) {
	for _, text := range []string{
		"https://api.example.com/start?handoff=0123456789abcdef&k=" + "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
		"x",
		"HTTPS://EXAMPLE.COM/",
	} {
		got, err := qrcode.SVG(text)
		if err != nil {
			t.Fatal(err)
		}
		qr, err := goqr.EncodeText(text, goqr.Medium)
		if err != nil {
			t.Fatal(err)
		}
		want, err := qr.ToSVGBytes(goqr.NewQrCodeImgConfig(8, 32))
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("SVG(%q) differs from go-qr's drawing:\n%s\nwant:\n%s", text, got, want)
		}
		if read, err := qrtest.Decode(got); err != nil || read != text {
			t.Errorf("SVG(%q) reads back as %q (%v)", text, read, err)
		}
	}
}
