// Command start is the start function of facegate. Built with -tags lambda it runs on AWS
// Lambda, with -tags scf on Tencent SCF (event or web function), and without a platform
// tag on any of them or as a local HTTP server; see pkg/platform.
package main

import (
	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/qrcode"
)

// version is stamped by the build (-ldflags "-X main.version=...").
var version = "dev"

// Only start draws QR codes (handoff links), so only it links the encoder.
func main() { app.Main("start", version, app.WithQRCode(qrcode.SVG)) }
