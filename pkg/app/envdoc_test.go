package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readVariables collects the variable names pkg/app passes to getenv-like calls.
func readVariables(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
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
			if !strings.Contains(strings.ToLower(name), "getenv") {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				vars[v] = true
			}
			return true
		})
	}
	if len(vars) < 30 {
		t.Fatalf("found only %d variables; the scan is broken", len(vars))
	}
	return vars
}

// TestEnvExampleListsEveryVariable keeps .env.example and the code in step.
func TestEnvExampleListsEveryVariable(t *testing.T) {
	data, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	read := readVariables(t)
	for v := range read {
		if !regexp.MustCompile(`(?m)^#?`+v+`=`).MatchString(doc) && !strings.Contains(doc, v) {
			t.Errorf(".env.example does not mention %s", v)
		}
	}
	// Variables read outside pkg/app: by pkg/platform, by the AWS SDK's default chain.
	elsewhere := map[string]bool{"FACEGATE_RUNTIME": true, "PORT": true}
	for _, m := range regexp.MustCompile(`(?m)^#?([A-Z][A-Z0-9_]+)=`).FindAllStringSubmatch(doc, -1) {
		if !read[m[1]] && !elsewhere[m[1]] {
			t.Errorf(".env.example lists %s, which nothing reads", m[1])
		}
	}
	for k := range localDefaultsKeys() {
		if !read[k] {
			t.Errorf("LocalDefaults sets %s, which nothing reads", k)
		}
	}
}
