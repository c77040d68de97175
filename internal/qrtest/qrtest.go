// Package qrtest reads the QR codes facegate draws, for tests: it parses the SVG the
// handoff answers with into an image and decodes it with an independent decoder
// (gozxing), so a test proves the code a phone's camera would see says the link.
package qrtest

import (
	"errors"
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
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
