package sandbox

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/color"
	"image/jpeg"
	"sync"
)

// sampleJPEG is a small generated picture standing in for every image Tencent returns
// (best frame, document photos, head crop): a real JPEG, so clients that decode it work.
var sampleJPEG = sync.OnceValue(func() []byte {
	const size = 48
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			img.Set(x, y, color.RGBA{R: uint8(45 + x*3), G: uint8(114 + y), B: 241, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 70}); err != nil {
		panic("sandbox: encoding the sample JPEG: " + err.Error())
	}
	return buf.Bytes()
})

// sampleVideo stands in for the liveness video: an MP4 "ftyp" box followed by a small
// "mdat" box of filler. It has the right container signature but is not playable.
var sampleVideo = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	box := func(kind string, payload []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(8+len(payload)))
		buf.WriteString(kind)
		buf.Write(payload)
	}
	box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2mp41"))
	box("mdat", bytes.Repeat([]byte("facegate sandbox video "), 8))
	return buf.Bytes()
})

var (
	sampleJPEGBase64  = sync.OnceValue(func() string { return base64.StdEncoding.EncodeToString(sampleJPEG()) })
	sampleVideoBase64 = sync.OnceValue(func() string { return base64.StdEncoding.EncodeToString(sampleVideo()) })
)

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}
