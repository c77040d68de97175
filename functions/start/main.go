// Command start is the start function of facegate. Built with -tags lambda it runs on AWS
// Lambda, with -tags scf on Tencent SCF (event or web function), and without a platform
// tag on any of them or as a local HTTP server; see pkg/platform.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/qrcode"
)

// version is stamped by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	if err := run(context.Background(), os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	// Only start draws QR codes (handoff links), so only it links the encoder.
	return app.Run(ctx, "start", version, getenv, stdout, app.WithQRCode(qrcode.SVG))
}
