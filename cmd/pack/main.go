// Command pack turns the binaries of `make build` into the deployment packages of
// every platform, with Go's archive/zip so that it works wherever Go does and sets
// the executable bit in the zip headers itself. Lambda packages get the Lambda build
// (dist/<arch>/lambda/<fn>), SCF packages the SCF build (dist/<arch>/scf/<fn>):
//
//	dist/lambda-<fn>-<arch>.zip     bootstrap                (AWS Lambda, provided.al2023)
//	dist/scf-event-<fn>-<arch>.zip  main                     (Tencent SCF event function, Go1, handler main)
//	dist/scf-web-<fn>-<arch>.zip    main + scf_bootstrap     (Tencent SCF web function)
//	dist/scf-<arch>/<fn>/           main + scf_bootstrap     (serverless.yml's src: one function per directory)
//
// It fails, after writing every package, when one is larger than -max-zip bytes
// (`make package` passes 4,000,000: 4.0 MB, decimal), so a package that grows past
// the size the project holds itself to stops the build.
//
// A scheduled function (-scheduled, the sweeper) runs on timer events, which SCF gives
// event functions only: it gets no web zip, and its directory holds main alone.
//
// The zips are reproducible: fixed timestamps, fixed order.
package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// zipTime is the modification time of every entry, so the same binaries always make
// the same zip.
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pack", flag.ContinueOnError)
	dist := fs.String("dist", "dist", "directory holding <arch>/<function> binaries; packages are written here")
	functions := fs.String("functions", "start callback result sweep", "functions to package (space- or comma-separated)")
	arches := fs.String("arches", "amd64 arm64", "architectures to package (space- or comma-separated)")
	bootstrap := fs.String("bootstrap", "deploy/scf_bootstrap", "the scf_bootstrap of web functions")
	scheduled := fs.String("scheduled", "sweep", "functions that run on timer events only, which get no SCF web package")
	maxZip := fs.Int64("max-zip", 0, "fail when a package is larger than this many bytes (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	timerOnly := map[string]bool{}
	for _, fn := range fields(*scheduled) {
		timerOnly[fn] = true
	}
	boot, err := os.ReadFile(*bootstrap)
	if err != nil {
		return err
	}
	// SCF runs scf_bootstrap directly: CR line endings make the interpreter line
	// "/bin/bash\r", which does not exist.
	if bytes.Contains(boot, []byte("\r")) {
		return fmt.Errorf("%s has CR line endings; SCF needs LF", *bootstrap)
	}
	if !bytes.HasPrefix(boot, []byte("#!/")) {
		return fmt.Errorf("%s does not start with an absolute #! line", *bootstrap)
	}

	var tooLarge []error
	for _, arch := range fields(*arches) {
		for _, fn := range fields(*functions) {
			lambdaBin, err := os.ReadFile(filepath.Join(*dist, arch, "lambda", fn))
			if err != nil {
				return fmt.Errorf("%w (run make build first)", err)
			}
			bin, err := os.ReadFile(filepath.Join(*dist, arch, "scf", fn))
			if err != nil {
				return fmt.Errorf("%w (run make build first)", err)
			}
			web := []entry{{"main", bin}, {"scf_bootstrap", boot}}
			packages := []pkg{
				{"lambda-" + fn + "-" + arch + ".zip", []entry{{"bootstrap", lambdaBin}}},
				{"scf-event-" + fn + "-" + arch + ".zip", []entry{{"main", bin}}},
				{"scf-web-" + fn + "-" + arch + ".zip", web},
			}
			dirFiles := web
			if timerOnly[fn] {
				// An SCF web function never receives a timer event: no web zip, and no
				// scf_bootstrap for serverless.yml, whose function is an event function.
				packages, dirFiles = packages[:2], []entry{{"main", bin}}
			}
			for _, p := range packages {
				path := filepath.Join(*dist, p.name)
				if err := writeZip(path, p.entries); err != nil {
					return err
				}
				info, err := os.Stat(path)
				if err != nil {
					return err
				}
				fmt.Fprintf(stdout, "%-40s %6.2f MB\n", path, float64(info.Size())/1e6)
				if *maxZip > 0 && info.Size() > *maxZip {
					tooLarge = append(tooLarge, fmt.Errorf("%s is %d bytes (%.2f MB), over the limit of %d (%.2f MB)",
						path, info.Size(), float64(info.Size())/1e6, *maxZip, float64(*maxZip)/1e6))
				}
			}
			// The same files as the web zip (or, for a scheduled function, the event
			// zip), unpacked: the Serverless Cloud Framework zips each function's
			// directory itself. A file left at this path by an older layout is replaced.
			dir := filepath.Join(*dist, "scf-"+arch, fn)
			if info, err := os.Lstat(dir); err == nil && !info.IsDir() {
				if err := os.Remove(dir); err != nil {
					return err
				}
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if timerOnly[fn] {
				// Left by a build from before fn was scheduled, these would deploy as a web function.
				for _, stale := range []string{filepath.Join(dir, "scf_bootstrap"), filepath.Join(*dist, "scf-web-"+fn+"-"+arch+".zip")} {
					if err := os.Remove(stale); err != nil && !os.IsNotExist(err) {
						return err
					}
				}
			}
			for _, e := range dirFiles {
				path := filepath.Join(dir, e.name)
				if err := os.WriteFile(path, e.data, 0o755); err != nil {
					return err
				}
				// WriteFile keeps the mode of an existing file; make sure it is executable.
				if err := os.Chmod(path, 0o755); err != nil {
					return err
				}
			}
		}
	}
	return errors.Join(tooLarge...)
}

// pkg is one zip: its file name and what it holds.
type pkg struct {
	name    string
	entries []entry
}

// entry is one executable file of a package.
type entry struct {
	name string
	data []byte
}

// writeZip writes entries as executables (mode 0755 in the Unix attributes, which
// Lambda and SCF honour when they unpack).
func writeZip(path string, entries []entry) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	zw := zip.NewWriter(f)
	// The best compression: a package is made once and unpacked at every cold start,
	// and deflate's last levels cost nothing to unpack.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: zipTime}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := w.Write(e.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
