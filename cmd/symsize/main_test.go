package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

func TestPackageOf(t *testing.T) {
	for sym, want := range map[string]string{
		"net/http.(*Transport).RoundTrip":                       "net/http",
		"type:*net/http.Request":                                "net/http",
		"go:itab.*net/http.Transport,net/http.RoundTripper":     "net/http",
		"crypto/tls..stmp_3":                                    "crypto/tls",
		"github.com/aws/aws-sdk-go-v2/service/s3.resolveResult": "github.com/aws/aws-sdk-go-v2/service/s3",
		"type:.eq.github.com/facegate/facegate/pkg/core.Config": "github.com/facegate/facegate/pkg/core",
		"slices.SortFunc[go.shape.[]string,go.shape.string]":    "slices",
		"vendor/golang.org/x/net/idna.idnaValues":               "vendor/golang.org/x/net/idna",
		"go:func.*":       "(linker)",
		"go:string.*":     "(linker)",
		"runtime.pclntab": "runtime",
		"type:map[string]github.com/facegate/facegate/pkg/core.Code": "(linker)",
	} {
		if got := packageOf(sym); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", sym, got, want)
		}
	}
}

// TestTableOfARealBinary builds this command itself and reads its symbols back.
func TestTableOfARealBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "symsize")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var out bytes.Buffer
	if err := run([]string{"-top", "5", "self=" + bin}, &out); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{`(?m)^\| package \| self \|$`, `(?m)^\| runtime \| [0-9]+ KiB \|$`, `(?m)^\| \*\*total\*\* \| \*\*[0-9.]+ MiB\*\* \|$`} {
		if !regexp.MustCompile(row).Match(out.Bytes()) {
			t.Errorf("no row %s in:\n%s", row, out.String())
		}
	}
	stripped := filepath.Join(t.TempDir(), "stripped")
	if out, err := exec.Command("go", "build", "-ldflags=-s", "-o", stripped, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := run([]string{stripped}, &bytes.Buffer{}); err == nil {
		t.Error("a binary without a symbol table gave a table")
	}
	_ = os.Remove(stripped)
}
