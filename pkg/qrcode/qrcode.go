// Package qrcode draws QR codes as SVG, with go-qr. It is a package of its own so that
// only the functions that draw them (start, which makes handoff links, and the local
// stack) link go-qr, whose initialisation fills a 512 KiB table at every process start.
package qrcode

import (
	"strconv"
	"strings"

	goqr "github.com/piglig/go-qr"
)

// Module size and quiet zone of the drawing, in SVG units.
const (
	scale  = 8
	border = 32
)

// SVG renders text as a QR code in SVG: medium error correction, 8-unit modules in
// black on white, a quiet zone of 4 modules. It is a core.Deps.QRCode.
//
// It draws what go-qr's ToSVGBytes draws with NewQrCodeImgConfig(8, 32) (the test holds
// it to that), from the code's modules: ToSVGBytes can also embed a PNG logo, which
// links image/png and compress/flate's encoder into the start function for nothing.
func SVG(text string) (string, error) {
	qr, err := goqr.EncodeText(text, goqr.Medium)
	if err != nil {
		return "", err
	}
	size := qr.Size()
	dim := strconv.Itoa(size*scale + 2*border)
	var b strings.Builder
	b.Grow(256 + size*size*12)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 ` + dim + " " + dim + "\" stroke=\"none\">\n")
	b.WriteString("\t<rect width=\"" + dim + "\" height=\"" + dim + "\" fill=\"#FFFFFF\"/>\n\t<path d=\"")
	first := true
	for y := range size {
		for x := range size {
			if !qr.Module(x, y) {
				continue
			}
			if !first {
				b.WriteByte(' ')
			}
			first = false
			b.WriteString("M" + strconv.Itoa(x*scale+border) + "," + strconv.Itoa(y*scale+border) + "h8v8h-8z")
		}
	}
	b.WriteString("\" fill=\"#000000\"/>\n</svg>\n")
	return b.String(), nil
}
