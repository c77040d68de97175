// Package qrtest reads the QR codes facegate draws, for tests: it parses the SVG the
// handoff answers with into an image and decodes it with an independent decoder
// (gozxing), so a test proves the code a phone's camera would see says the link.
//
// The render is pixel-exact, so Decode reads it the way a decoder reads a clean scan: it
// locates the symbol by its outermost dark modules (gozxing's pure-barcode mode) rather
// than by hunting finder patterns in a photo, which in gozxing misses a few percent of
// perfectly drawn codes whose data happens to resemble a finder pattern. What a camera
// also needs, the four-module quiet zone around the symbol, Decode checks itself.
package qrtest

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"regexp"
	"strconv"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

var (
	viewBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	module  = regexp.MustCompile(`M(\d+),(\d+)h(\d+)v(\d+)h-\d+z`)
)

// Decode returns the text of the QR code drawn by svg: a square viewBox and one path of
// dark squares ("Mx,yhWvHh-Wz"), as facegate's handoff draws it.
func Decode(svg string) (string, error) {
	vb := viewBox.FindStringSubmatch(svg)
	if vb == nil {
		return "", errors.New("qrtest: no viewBox")
	}
	w, _ := strconv.Atoi(vb[1])
	h, _ := strconv.Atoi(vb[2])
	if w <= 0 || h <= 0 || w > 4096 || h > 4096 {
		return "", errors.New("qrtest: unreasonable size")
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	squares := module.FindAllStringSubmatch(svg, -1)
	if len(squares) == 0 {
		return "", errors.New("qrtest: no dark modules")
	}
	for _, m := range squares {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		dx, _ := strconv.Atoi(m[3])
		dy, _ := strconv.Atoi(m[4])
		for yy := y; yy < y+dy && yy < h; yy++ {
			for xx := x; xx < x+dx && xx < w; xx++ {
				img.SetGray(xx, yy, color.Gray{})
			}
		}
	}
	if err := quietZone(img); err != nil {
		return "", err
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// quietZone checks the light margin around the symbol is at least four modules wide on
// every side, as ISO/IEC 18004 asks and cameras need. The module's width is the top-left
// finder pattern's run of dark pixels (seven modules) along the symbol's first row.
func quietZone(img *image.Gray) error {
	b := img.Bounds()
	minX, minY, maxX, maxY := b.Max.X, b.Max.Y, -1, -1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.GrayAt(x, y).Y < 0x80 {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	if maxX < 0 {
		return errors.New("qrtest: no dark modules")
	}
	run := 0
	for x := minX; x <= maxX && img.GrayAt(x, minY).Y < 0x80; x++ {
		run++
	}
	unit := run / 7
	if unit == 0 {
		return errors.New("qrtest: no finder pattern in the top-left corner")
	}
	quiet := 4 * unit
	if minX-b.Min.X < quiet || minY-b.Min.Y < quiet || b.Max.X-1-maxX < quiet || b.Max.Y-1-maxY < quiet {
		return fmt.Errorf("qrtest: the quiet zone is narrower than four modules (%d pixels)", quiet)
	}
	return nil
}
