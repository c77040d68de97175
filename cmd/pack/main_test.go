package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/runtimetest"
)

// httpFunctions serve requests; sweep runs on timer events only.
var httpFunctions = []string{"start", "callback", "result"}

// fakeDist lays out what `make build` leaves: dist/<arch>/<variant>/<fn>, each file
// naming itself ("\x7fELF start amd64 scf").
func fakeDist(t *testing.T) string {
	t.Helper()
	dist := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		for _, variant := range []string{"lambda", "scf"} {
			for _, fn := range append(httpFunctions, "sweep") {
				if err := os.MkdirAll(filepath.Join(dist, arch, variant), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dist, arch, variant, fn), []byte(fakeBinary(fn, arch, variant)), 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return dist
}

func fakeBinary(fn, arch, variant string) string { return "\x7fELF " + fn + " " + arch + " " + variant }

func readZip(t *testing.T, path string) map[string]*zip.File {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { zr.Close() })
	out := map[string]*zip.File{}
	for _, f := range zr.File {
		out[f.Name] = f
	}
	return out
}

func content(t *testing.T, f *zip.File) string {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func TestPackages(t *testing.T) {
	dist := fakeDist(t)
	if err := run([]string{"-dist", dist, "-bootstrap", "../../deploy/scf_bootstrap"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	boot, err := os.ReadFile("../../deploy/scf_bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		for _, fn := range httpFunctions {
			bin := fakeBinary(fn, arch, "scf")
			for pkg, want := range map[string]map[string]string{
				"lambda-" + fn + "-" + arch + ".zip":    {"bootstrap": fakeBinary(fn, arch, "lambda")},
				"scf-event-" + fn + "-" + arch + ".zip": {"main": bin},
				"scf-web-" + fn + "-" + arch + ".zip":   {"main": bin, "scf_bootstrap": string(boot)},
			} {
				files := readZip(t, filepath.Join(dist, pkg))
				got := map[string]string{}
				for name, f := range files {
					got[name] = content(t, f)
					if mode := f.Mode(); mode.Perm() != 0o755 || !mode.IsRegular() {
						t.Errorf("%s: %s has mode %v, want -rwxr-xr-x", pkg, name, mode)
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s holds %q, want %q", pkg, got, want)
				}
			}
			// serverless.yml's layout: one directory per web function.
			for name, want := range map[string]string{"main": bin, "scf_bootstrap": string(boot)} {
				path := filepath.Join(dist, "scf-"+arch, fn, name)
				info, err := os.Stat(path)
				if err != nil || info.Mode().Perm() != 0o755 {
					t.Errorf("scf-%s/%s/%s: %v %v", arch, fn, name, info, err)
					continue
				}
				if got, _ := os.ReadFile(path); string(got) != want {
					t.Errorf("scf-%s/%s/%s holds %q, want %q", arch, fn, name, got, want)
				}
			}
			entries, _ := os.ReadDir(filepath.Join(dist, "scf-"+arch, fn))
			if len(entries) != 2 {
				t.Errorf("scf-%s/%s holds %d files, want main and scf_bootstrap", arch, fn, len(entries))
			}
		}
	}
	if !strings.Contains(string(boot), "/var/user/main") {
		t.Errorf("scf_bootstrap does not start /var/user/main:\n%s", boot)
	}
}

// TestScheduledFunctionIsNoWebFunction: SCF gives web functions HTTP triggers only, so
// the sweep function, which runs on a timer, is packaged for Lambda and as an SCF event
// function, and its serverless.yml directory holds main without scf_bootstrap. What an
// older layout left there (a web zip, an scf_bootstrap) is removed, so it cannot be
// deployed by mistake.
func TestScheduledFunctionIsNoWebFunction(t *testing.T) {
	dist := fakeDist(t)
	stale := []string{filepath.Join(dist, "scf-web-sweep-amd64.zip"), filepath.Join(dist, "scf-amd64", "sweep", "scf_bootstrap")}
	for _, path := range stale {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte("left by an older build"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := run([]string{"-dist", dist, "-bootstrap", "../../deploy/scf_bootstrap"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		bin := fakeBinary("sweep", arch, "scf")
		for pkg, want := range map[string]map[string]string{
			"lambda-sweep-" + arch + ".zip":    {"bootstrap": fakeBinary("sweep", arch, "lambda")},
			"scf-event-sweep-" + arch + ".zip": {"main": bin},
		} {
			got := map[string]string{}
			for name, f := range readZip(t, filepath.Join(dist, pkg)) {
				got[name] = content(t, f)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s holds %q, want %q", pkg, got, want)
			}
		}
		if _, err := os.Stat(filepath.Join(dist, "scf-web-sweep-"+arch+".zip")); !os.IsNotExist(err) {
			t.Errorf("scf-web-sweep-%s.zip exists (%v); web functions take no timer triggers", arch, err)
		}
		entries, _ := os.ReadDir(filepath.Join(dist, "scf-"+arch, "sweep"))
		if len(entries) != 1 || entries[0].Name() != "main" {
			t.Errorf("scf-%s/sweep holds %v, want main alone", arch, entries)
		}
		if got, _ := os.ReadFile(filepath.Join(dist, "scf-"+arch, "sweep", "main")); string(got) != bin {
			t.Errorf("scf-%s/sweep/main holds %q", arch, got)
		}
	}
	if strings.Contains(out.String(), "scf-web-sweep") {
		t.Errorf("the report lists a web package for sweep:\n%s", out.String())
	}
}

// TestReplacesTheOldLayout: dist/scf-<arch>/<fn> used to be the binary itself; a
// dist/ left from then must not stop make package.
func TestReplacesTheOldLayout(t *testing.T) {
	dist := fakeDist(t)
	old := filepath.Join(dist, "scf-amd64", "start")
	if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, []byte("old binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-dist", dist, "-arches", "amd64", "-functions", "start", "-bootstrap", "../../deploy/scf_bootstrap"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(old, "main")); err != nil || string(got) != fakeBinary("start", "amd64", "scf") {
		t.Errorf("scf-amd64/start/main = %q, %v", got, err)
	}
}

func TestZipsAreReproducible(t *testing.T) {
	sum := func() [32]byte {
		dist := fakeDist(t)
		if err := run([]string{"-dist", dist, "-arches", "arm64", "-functions", "start", "-bootstrap", "../../deploy/scf_bootstrap"}, io.Discard); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dist, "scf-web-start-arm64.zip"))
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	if first, second := sum(), sum(); first != second {
		t.Error("the same input made different zips")
	}
}

func TestRefusesBadBootstrapAndMissingBinary(t *testing.T) {
	dist := fakeDist(t)
	crlf := filepath.Join(t.TempDir(), "scf_bootstrap")
	os.WriteFile(crlf, []byte("#!/bin/bash\r\nexec /var/user/main\r\n"), 0o755)
	if err := run([]string{"-dist", dist, "-bootstrap", crlf}, io.Discard); err == nil || !strings.Contains(err.Error(), "CR") {
		t.Errorf("CRLF bootstrap: %v", err)
	}
	if err := run([]string{"-dist", t.TempDir(), "-bootstrap", "../../deploy/scf_bootstrap"}, io.Discard); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("missing binaries: %v", err)
	}
	var out bytes.Buffer
	if err := run([]string{"-dist", dist, "-arches", "amd64", "-functions", "result", "-bootstrap", "../../deploy/scf_bootstrap"}, &out); err != nil || !strings.Contains(out.String(), "lambda-result-amd64.zip") {
		t.Errorf("report: %v %q", err, out.String())
	}
}

// TestSizeLimitFailsTheBuild: with -max-zip, a package over the limit fails the run,
// naming it, after every package has been written.
func TestSizeLimitFailsTheBuild(t *testing.T) {
	dist := fakeDist(t)
	err := run([]string{"-dist", dist, "-arches", "amd64", "-functions", "start", "-bootstrap", "../../deploy/scf_bootstrap", "-max-zip", "100"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "scf-web-start-amd64.zip") || !strings.Contains(err.Error(), "over the limit of 100") {
		t.Fatalf("a 100-byte limit: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dist, "scf-web-start-amd64.zip")); err != nil {
		t.Errorf("the package over the limit was not written: %v", err)
	}
	if err := run([]string{"-dist", dist, "-arches", "amd64", "-functions", "start", "-bootstrap", "../../deploy/scf_bootstrap", "-max-zip", "4000000"}, io.Discard); err != nil {
		t.Errorf("within the limit: %v", err)
	}
}

// maxZip is the size every package is held to: 4.0 MB (decimal), as `make package`
// checks.
const maxZip = 4_000_000

// TestRealPackagesFitTheLimit builds the largest function (start, which also draws QR
// codes) for this machine's architecture in both platform builds, the way make build
// does, packs them, and holds every package to maxZip: what the size gate of make
// package checks, here in make test.
func TestRealPackagesFitTheLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the start function twice")
	}
	dist := t.TempDir()
	for _, variant := range []string{"lambda", "scf"} {
		out := filepath.Join(dist, runtime.GOARCH, variant, "start")
		if err := runtimetest.GoBuildVariant("../..", out, "./functions/start", variant, "-ldflags=-s -w"); err != nil {
			t.Fatal(err)
		}
	}
	var report bytes.Buffer
	err := run([]string{"-dist", dist, "-arches", runtime.GOARCH, "-functions", "start", "-bootstrap", "../../deploy/scf_bootstrap",
		"-max-zip", strconv.Itoa(maxZip)}, &report)
	if err != nil {
		t.Fatalf("%v\n%s", err, report.String())
	}
	t.Log("\n" + report.String())
}
