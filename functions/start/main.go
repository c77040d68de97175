// Command start is the start function of facegate. The same binary runs on AWS Lambda, Tencent
// SCF (event or web function) or as a local HTTP server; see pkg/platform.
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
