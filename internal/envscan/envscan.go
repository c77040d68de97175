// Package envscan finds, from Go source, the environment variables code reads, so that
// tests can hold documentation and deployment templates to the code rather than to a list.
package envscan

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Scan returns every variable name that the main module's packages matched by patterns
// pass to a getenv-like call (a function whose name starts with "getenv", any case, such as
// os.Getenv, getenvList or getenvRequired, or LookupEnv), mapped to the position of one such
// read. Names given as string literals and as string constants, of the same package or an
// imported one, are found. With deps, the module packages the matched ones import are
// scanned too. dir is a directory inside the module; patterns are as for go list.
func Scan(dir string, deps bool, patterns ...string) (map[string]string, error) {
	args := []string{"list"}
	if deps {
		args = append(args, "-deps")
	}
	args = append(args, "-f", "{{if .Module}}{{if .Module.Main}}{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \",\"}}{{end}}{{end}}")
	cmd := exec.Command("go", append(args, patterns...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("envscan: go list: %w", err)
	}

	type pkg struct {
		path  string
		files []*ast.File
	}
	var pkgs []pkg
	fset := token.NewFileSet()
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "\t")
		if len(parts) != 3 || parts[2] == "" {
			continue
		}
		p := pkg{path: parts[0]}
		for _, name := range strings.Split(parts[2], ",") {
			f, err := parser.ParseFile(fset, filepath.Join(parts[1], name), nil, 0)
			if err != nil {
				return nil, fmt.Errorf("envscan: %w", err)
			}
			p.files = append(p.files, f)
		}
		pkgs = append(pkgs, p)
	}

	// String constants, by package path and name.
	consts := map[string]string{}
	for _, p := range pkgs {
		for _, f := range p.files {
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i >= len(vs.Values) {
							continue
						}
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							s, _ := strconv.Unquote(lit.Value)
							consts[p.path+"."+name.Name] = s
						}
					}
				}
			}
		}
	}

	vars := map[string]string{}
	for _, p := range pkgs {
		for _, f := range p.files {
			imports := map[string]string{}
			for _, im := range f.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				name := filepath.Base(path)
				if im.Name != nil {
					name = im.Name.Name
				}
				imports[name] = path
			}
			resolve := func(e ast.Expr) (string, bool) {
				switch e := e.(type) {
				case *ast.BasicLit:
					if e.Kind == token.STRING {
						s, err := strconv.Unquote(e.Value)
						return s, err == nil
					}
				case *ast.Ident:
					s, ok := consts[p.path+"."+e.Name]
					return s, ok
				case *ast.SelectorExpr:
					if x, ok := e.X.(*ast.Ident); ok {
						s, ok := consts[imports[x.Name]+"."+e.Sel.Name]
						return s, ok
					}
				}
				return "", false
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				var name string
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				lower := strings.ToLower(name)
				if !strings.HasPrefix(lower, "getenv") && lower != "lookupenv" {
					return true
				}
				if v, ok := resolve(call.Args[0]); ok && v != "" {
					vars[v] = p.path + " " + fset.Position(call.Pos()).String()
				}
				return true
			})
		}
	}
	return vars, nil
}
