package doccheck

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update-readme", false, "rewrite the fuzz target list in ../../README.md")

const (
	readme     = "../../README.md"
	beginMark  = "<!-- fuzz-targets:begin -->"
	endMark    = "<!-- fuzz-targets:end -->"
	moduleRoot = "../.."
)

// fuzzTargets lists every fuzz target of the module as README lines: its name, its
// package and the first sentence of its doc comment.
func fuzzTargets(t *testing.T) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(moduleRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" || d.Name() == "dist") && path != moduleRoot {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") {
				continue
			}
			doc := "(no description)"
			if fn.Doc != nil {
				text := strings.Join(strings.Fields(fn.Doc.Text()), " ")
				text = strings.TrimPrefix(strings.TrimPrefix(text, fn.Name.Name+":"), fn.Name.Name)
				text = strings.TrimSpace(text)
				if i := strings.Index(text, ". "); i >= 0 {
					text = text[:i+1]
				}
				doc = text
			}
			rel, _ := filepath.Rel(moduleRoot, filepath.Dir(path))
			lines = append(lines, fmt.Sprintf("- `%s` (`./%s`): %s", fn.Name.Name, filepath.ToSlash(rel), doc))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	if len(lines) < 10 {
		t.Fatalf("found only %d fuzz targets; the scan is broken", len(lines))
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestReadmeListsEveryFuzzTarget keeps the README's list equal to the fuzz targets.
func TestReadmeListsEveryFuzzTarget(t *testing.T) {
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	begin, end := strings.Index(text, beginMark), strings.Index(text, endMark)
	if begin < 0 || end < begin {
		t.Fatalf("README lacks %s … %s", beginMark, endMark)
	}
	want := fuzzTargets(t)
	got := text[begin+len(beginMark)+1 : end]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(readme, []byte(text[:begin+len(beginMark)+1]+want+text[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README's fuzz target list is out of date; run: go test ./internal/doccheck -update-readme\nwant:\n%s", want)
}
