// Command result is the result function of facegate. The same binary runs on AWS Lambda, Tencent
// SCF (event or web function) or as a local HTTP server; see pkg/platform.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/facegate/facegate/pkg/app"
)

// version is stamped by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	if err := run(context.Background(), os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "result:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	return app.Run(ctx, "result", version, getenv, stdout)
}
