// Command symsize sums the symbols of Go binaries by package, the per-symbol sizes of
// `go tool nm -size -sort size` added up per import path, and prints them as a Markdown
// table, one column per binary, largest first. Symbols in sections that take no room in
// the file (.bss, .noptrbss: zeroed memory, such as a 32 MiB buffer of crypto's DRBG)
// are left out, so the columns are what a binary carries; what the linker writes
// without a symbol of its own (most of .gopclntab) is not in any row.
//
//	go build -trimpath -tags 'lambda lambda.norpc' -o /tmp/callback ./functions/callback
//	go run ./cmd/symsize -top 20 lambda=/tmp/callback
//
// Binaries must keep their symbol table: built without -ldflags=-s.
package main

import (
	"cmp"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "symsize:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("symsize", flag.ContinueOnError)
	top := fs.Int("top", 25, "rows: the packages largest in any binary; the rest are summed in one row")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: symsize [-top N] [name=]binary")
	}
	var names []string
	var sums []map[string]uint64
	for _, arg := range fs.Args() {
		name, path, ok := strings.Cut(arg, "=")
		if !ok {
			name, path = arg, arg
		}
		m, err := bySymbolPackage(path)
		if err != nil {
			return err
		}
		names = append(names, name)
		sums = append(sums, m)
	}
	writeTable(stdout, names, sums, *top)
	return nil
}

// bySymbolPackage returns the bytes of the file-backed symbols of the ELF binary at
// path, summed by package.
func bySymbolPackage(path string) (map[string]uint64, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: %w (build it without -ldflags=-s)", path, err)
	}
	out := map[string]uint64{}
	for _, s := range syms {
		if s.Size == 0 || int(s.Section) <= 0 || int(s.Section) >= len(f.Sections) {
			continue
		}
		if f.Sections[s.Section].Type == elf.SHT_NOBITS {
			continue
		}
		out[packageOf(s.Name)] += s.Size
	}
	return out, nil
}

// packageOf is the import path a symbol belongs to: "net/http" for
// net/http.(*Transport).RoundTrip, type:*net/http.Request, go:itab.*net/http.Transport,...
// and crypto/tls..stmp_3. Symbols of no package (the function metadata and string
// literals the linker names go:func.* and go:string.*, tables of the whole program)
// are "(linker)".
func packageOf(name string) string {
	for _, p := range []string{"type:", "go:itab.", ".eq.", "*"} {
		for strings.HasPrefix(name, p) {
			name = strings.TrimPrefix(name, p)
		}
	}
	if strings.HasPrefix(name, "go:") || strings.HasPrefix(name, "noalg.") || name == "" {
		return "(linker)"
	}
	// The package ends at the first dot after the last slash that comes before any
	// receiver, type argument or composite type.
	end := len(name)
	if i := strings.IndexAny(name, "([{ ,"); i >= 0 {
		end = i
	}
	slash := strings.LastIndexByte(name[:end], '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot < 0 {
		return "(linker)"
	}
	pkg := name[:slash+1+dot]
	if strings.ContainsAny(pkg, "[]*(") || pkg == "" {
		return "(linker)"
	}
	return pkg
}

// writeTable prints the rows largest first: every package among the top of any binary,
// then the rest summed, then the total.
func writeTable(w io.Writer, names []string, sums []map[string]uint64, top int) {
	keep := map[string]bool{}
	for _, m := range sums {
		pkgs := make([]string, 0, len(m))
		for p := range m {
			pkgs = append(pkgs, p)
		}
		slices.SortFunc(pkgs, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
		for _, p := range pkgs[:min(top, len(pkgs))] {
			keep[p] = true
		}
	}
	rows := make([]string, 0, len(keep))
	for p := range keep {
		rows = append(rows, p)
	}
	largest := func(p string) uint64 {
		var n uint64
		for _, m := range sums {
			n = max(n, m[p])
		}
		return n
	}
	slices.SortFunc(rows, func(a, b string) int { return cmp.Or(cmp.Compare(largest(b), largest(a)), cmp.Compare(a, b)) })

	fmt.Fprintf(w, "| package | %s |\n", strings.Join(names, " | "))
	fmt.Fprintf(w, "|---|%s\n", strings.Repeat("---:|", len(names)))
	cell := func(n uint64) string {
		if n == 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f KiB", float64(n)/1024)
	}
	for _, p := range rows {
		fmt.Fprintf(w, "| %s |", p)
		for _, m := range sums {
			fmt.Fprintf(w, " %s |", cell(m[p]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "| every other package |")
	for _, m := range sums {
		var n uint64
		for p, v := range m {
			if !keep[p] {
				n += v
			}
		}
		fmt.Fprintf(w, " %s |", cell(n))
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "| **total** |")
	for _, m := range sums {
		var n uint64
		for _, v := range m {
			n += v
		}
		fmt.Fprintf(w, " **%.2f MiB** |", float64(n)/(1<<20))
	}
	fmt.Fprintln(w)
}
