package webhook_test

import (
	"bytes"
	"encoding/json"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/webhook"
)

// The README's "Verifying webhooks" section has a snippet per language between
// <!-- webhook-verify:LANG:begin --> and <!-- webhook-verify:LANG:end -->, each a fenced
// block. The tests below run them as merchants would copy them.
const readmePath = "../../README.md"

// readmeSnippet returns the code inside the fenced block between lang's markers.
func readmeSnippet(t *testing.T, lang string) string {
	t.Helper()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- webhook-verify:"+lang+":begin -->", "<!-- webhook-verify:"+lang+":end -->"
	_, rest, ok := strings.Cut(string(data), begin)
	block, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("README.md lacks the markers %s ... %s", begin, end)
	}
	block = strings.TrimSpace(block)
	fence, code, ok := strings.Cut(block, "\n")
	if !ok || !strings.HasPrefix(fence, "```") || !strings.HasSuffix(code, "```") {
		t.Fatalf("README.md: the %s snippet is not one fenced block", lang)
	}
	return strings.TrimSuffix(code, "```")
}

// snippetCase is one delivery for a snippet to judge. Body travels as base64 (encoding/json's
// form of []byte), so any bytes reach the snippet unchanged.
type snippetCase struct {
	Name    string   `json:"name"`
	Body    []byte   `json:"body"`
	Header  string   `json:"header"`
	Secrets []string `json:"secrets"`
	Now     int64    `json:"now"`
	want    bool
}

// snippetCases are signed by webhook.Sign; the answer each snippet must give is written
// out, and Verify must give it too.
func snippetCases(t *testing.T) []snippetCase {
	t.Helper()
	wire := golden(t, "failed.json")
	ts := sentAt.Unix()
	both := []string{newSecret, oldSecret}
	signed := webhook.Sign(wire, []string{newSecret}, sentAt)
	rotated := webhook.Sign(wire, both, sentAt)
	good := strings.TrimPrefix(signed, "t=1796119200,v1=")
	unicodeBody := []byte(`{"id":"evt_1","type":"verification.passed","data":{"reference":"订单-١٢٣ ✓"}}` + "\n")
	unicodeSecret := "秘密の鍵-webhook-secret-with-32-characters"
	cases := []snippetCase{
		{Name: "valid", Body: wire, Header: signed, Secrets: []string{newSecret}, Now: ts + 2, want: true},
		{Name: "rotated, receiver has the old secret", Body: wire, Header: rotated, Secrets: []string{oldSecret}, Now: ts, want: true},
		{Name: "rotated, receiver has the new secret", Body: wire, Header: rotated, Secrets: []string{newSecret}, Now: ts, want: true},
		{Name: "old sender, receiver has both", Body: wire, Header: webhook.Sign(wire, []string{oldSecret}, sentAt), Secrets: both, Now: ts, want: true},
		{Name: "five minutes old", Body: wire, Header: signed, Secrets: []string{newSecret}, Now: ts + 300, want: true},
		{Name: "five minutes ahead", Body: wire, Header: signed, Secrets: []string{newSecret}, Now: ts - 300, want: true},
		{Name: "spaces, order, empty parts, other schemes", Body: wire, Secrets: []string{newSecret}, Now: ts, want: true,
			Header: " v0=abc , v1=" + strings.Repeat("0", 64) + ",, v1=" + good + " ,t=1796119200,v2=" + good},
		{Name: "non-ASCII body and secret", Body: unicodeBody, Header: webhook.Sign(unicodeBody, []string{unicodeSecret}, sentAt),
			Secrets: []string{unicodeSecret}, Now: ts, want: true},
		{Name: "empty body", Body: []byte{}, Header: webhook.Sign(nil, both, sentAt), Secrets: []string{oldSecret}, Now: ts, want: true},
		{Name: "tampered body", Body: bytes.Replace(wire, []byte("failed"), []byte("passed"), 2), Header: rotated, Secrets: both, Now: ts},
		{Name: "wrong secret", Body: wire, Header: signed, Secrets: []string{oldSecret}, Now: ts},
		{Name: "expired", Body: wire, Header: rotated, Secrets: both, Now: ts + 301},
		{Name: "from the future", Body: wire, Header: rotated, Secrets: both, Now: ts - 301},
		{Name: "replayed a day later", Body: wire, Header: signed, Secrets: []string{newSecret}, Now: ts + 86400},
		{Name: "another t", Body: wire, Header: "t=1796119201,v1=" + good, Secrets: []string{newSecret}, Now: ts},
		{Name: "two t", Body: wire, Header: "t=1796119200,t=1796119200,v1=" + good, Secrets: []string{newSecret}, Now: ts},
		{Name: "no t", Body: wire, Header: "v1=" + good, Secrets: []string{newSecret}, Now: ts},
		{Name: "t not a number", Body: wire, Header: "t=1796119200.0,v1=" + good, Secrets: []string{newSecret}, Now: ts},
		{Name: "no v1", Body: wire, Header: "t=1796119200,v0=" + good, Secrets: []string{newSecret}, Now: ts},
		{Name: "v1 with extra hex", Body: wire, Header: "t=1796119200,v1=" + good + "ab", Secrets: []string{newSecret}, Now: ts},
		{Name: "v1 with a junk tail", Body: wire, Header: "t=1796119200,v1=" + good + "zz", Secrets: []string{newSecret}, Now: ts},
		{Name: "empty header", Body: wire, Header: "", Secrets: []string{newSecret}, Now: ts},
		{Name: "no secrets", Body: wire, Header: signed, Secrets: []string{}, Now: ts},
		{Name: "empty secret", Body: wire, Header: "t=1796119200,v1=" + v1("", "1796119200", wire), Secrets: []string{""}, Now: ts},
	}
	for _, c := range cases {
		if err := webhook.Verify(c.Body, c.Header, c.Secrets, time.Unix(c.Now, 0)); (err == nil) != c.want {
			t.Fatalf("%s: webhook.Verify says %v, the case says %v", c.Name, err, c.want)
		}
	}
	return cases
}

// runSnippet runs program (a snippet with a driver appended) with the cases as JSON on its
// standard input, and checks that it prints each case's answer, one per line.
func runSnippet(t *testing.T, cases []snippetCase, file, program string, command ...string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	input, _ := json.Marshal(cases)
	cmd := exec.Command(command[0], append(command[1:], path)...)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", command[0], err, stderr.String())
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(cases) {
		t.Fatalf("%s printed %d answers for %d cases:\n%s", command[0], len(lines), len(cases), out)
	}
	for i, c := range cases {
		want := "false"
		if c.want {
			want = "true"
		}
		if lines[i] != want {
			t.Errorf("%s: the snippet answers %s, want %s", c.Name, lines[i], want)
		}
	}
}

// requireTool finds a language's interpreter or fails, unless the check is switched off.
func requireTool(t *testing.T, tool, debianPackage, skipVar string) string {
	t.Helper()
	if os.Getenv(skipVar) == "1" {
		t.Skipf("%s=1: not running the README's snippet for %s", skipVar, tool)
	}
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is not installed, so the README's snippet for it cannot be checked: run `make test`, which "+
			"installs Debian's %s, or set %s=1 to skip only this check", tool, debianPackage, skipVar)
	}
	return path
}

func TestReadmeNodeSnippet(t *testing.T) {
	node := requireTool(t, "node", "nodejs", "FACEGATE_SKIP_NODE")
	const driver = `
const cases = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
for (const c of cases) {
  console.log(String(verifyFacegateSignature(Buffer.from(c.body, "base64"), c.header, c.secrets, c.now)));
}
`
	runSnippet(t, snippetCases(t), "verify.cjs", readmeSnippet(t, "node")+driver, node)
}

func TestReadmePythonSnippet(t *testing.T) {
	python := requireTool(t, "python3", "python3", "FACEGATE_SKIP_PYTHON")
	const driver = `

import base64 as _base64
import json as _json
import sys as _sys

for _c in _json.load(_sys.stdin):
    _ok = verify_facegate_signature(_base64.b64decode(_c["body"]), _c["header"], _c["secrets"], _c["now"])
    print("true" if _ok is True else "false")
`
	runSnippet(t, snippetCases(t), "verify.py", readmeSnippet(t, "python")+driver, python, "-I")
}

// TestReadmeGoSnippet keeps the Go snippet gofmt-clean and compiling against this package:
// go vet type-checks it as a file of this module through an overlay, writing nothing here.
func TestReadmeGoSnippet(t *testing.T) {
	code := readmeSnippet(t, "go")
	formatted, err := format.Source([]byte(code))
	if err != nil {
		t.Fatalf("the README's Go snippet does not parse: %v", err)
	}
	if string(formatted) != code {
		t.Errorf("the README's Go snippet is not gofmt-formatted; gofmt gives:\n%s", formatted)
	}
	if testing.Short() {
		t.Skip("-short: not compiling the snippet")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	here, err := filepath.Abs("readmesnippet")
	if err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(here, "main.go"): src}})
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-overlay", overlayFile, "-o", os.DevNull, "./readmesnippet")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's Go snippet does not build: %v\n%s", err, out)
	}
}
