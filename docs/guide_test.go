package docs

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/facegate/facegate/cmd/local/stack"
)

const guidePath = "integration.md"

// guideBlocks are the fenced blocks of the guide by name, each with its language. A block
// is named by the line `<!-- block: NAME -->` before its opening fence, and every block
// here is run by a test of this package; TestEveryGuideBlockIsRun holds the guide to it.
var guideBlocks = map[string]string{
	"secrets":             "sh", // TestGuideConfiguration, TestGuideFlows
	"scf-env":             "sh", // TestGuideConfiguration, TestGuideFlows
	"aws-deploy":          "sh", // TestGuideConfiguration
	"backend-env":         "sh", // TestGuideFlows
	"sign-node":           "js", // TestGuideFlows/sign-node
	"sign-python":         "python",
	"sign-go":             "go",
	"backend-start":       "sh",
	"handoff":             "sh",
	"result-by-reference": "sh",
	"return-page":         "js",
	"full-result":         "sh",
	"delete":              "sh",
}

type block struct {
	lang, code string
	line       int
}

var markerPattern = regexp.MustCompile(`^<!-- block: ([a-z0-9-]+) -->$`)

// readGuide returns the guide's fenced blocks by name, failing on a block without a
// marker, a marker without a block, or a name used twice.
func readGuide(t *testing.T) map[string]block {
	t.Helper()
	data, err := os.ReadFile(guidePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	blocks := map[string]block{}
	pending := ""
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if m := markerPattern.FindStringSubmatch(line); m != nil {
			if pending != "" {
				t.Fatalf("%s:%d: marker %q has no block after it", guidePath, i+1, pending)
			}
			pending = m[1]
			continue
		}
		if !strings.HasPrefix(line, "```") {
			if line != "" && pending != "" {
				t.Fatalf("%s:%d: marker %q is not right before a fenced block", guidePath, i, pending)
			}
			continue
		}
		start := i
		var code []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			code = append(code, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: the fenced block is not closed", guidePath, start+1)
		}
		if pending == "" {
			t.Fatalf("%s:%d: a fenced block without a <!-- block: NAME --> marker: every block must be run by a test", guidePath, start+1)
		}
		if _, dup := blocks[pending]; dup {
			t.Fatalf("%s:%d: block name %q used twice", guidePath, start+1, pending)
		}
		blocks[pending] = block{lang: strings.TrimPrefix(line, "```"), code: strings.Join(code, "\n") + "\n", line: start + 1}
		pending = ""
	}
	return blocks
}

// TestEveryGuideBlockIsRun: the guide's blocks are exactly those the tests run.
func TestEveryGuideBlockIsRun(t *testing.T) {
	blocks := readGuide(t)
	for name, b := range blocks {
		if lang, ok := guideBlocks[name]; !ok {
			t.Errorf("%s:%d: block %q is run by no test: add it to guideBlocks and run it", guidePath, b.line, name)
		} else if b.lang != lang {
			t.Errorf("%s:%d: block %q is %q, the test runs it as %q", guidePath, b.line, name, b.lang, lang)
		}
	}
	for name := range guideBlocks {
		if _, ok := blocks[name]; !ok {
			t.Errorf("the guide has no block %q, which the tests run", name)
		}
	}
}

// The examples sign start tokens with the guide's signers, as they are there, so the
// signers the guide shows are also the ones examples/examples_test.go runs end to end.
func TestExamplesCarryTheGuideSigners(t *testing.T) {
	blocks := readGuide(t)
	goFile, err := os.ReadFile("../examples/go/starttoken.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(goFile) != "package main\n\n"+blocks["sign-go"].code {
		t.Error("examples/go/starttoken.go is not `package main` and the guide's Go signer")
	}
	for name, file := range map[string]string{"sign-node": "../examples/node/server.js", "sign-python": "../examples/python/server.py"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), blocks[name].code) {
			t.Errorf("%s does not carry the guide's %s block as it is there", file, name)
		}
	}
}

// shell runs script with sh -eu in dir, with only env, PATH and HOME in its environment,
// and returns what it printed; a failure fails the test with its output.
func shell(t *testing.T, dir string, env map[string]string, script string) string {
	t.Helper()
	cmd := exec.Command("sh", "-eu", "-c", script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LC_ALL=C"}
	for k, v := range env {
		if k == "PATH" {
			cmd.Env[0] = "PATH=" + v
			continue
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sh: %v\n--- script:\n%s\n--- stdout:\n%s\n--- stderr:\n%s", err, script, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// requireCommands fails the test when the shell blocks' commands are missing.
func requireCommands(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			t.Fatalf("%s is not installed, and the guide's shell blocks use it: run `make test`, which installs "+
				"Debian's curl and openssl when they are missing", name)
		}
	}
}

// setup is what the guide's configuration blocks leave behind: the SCF .env, the
// arguments given to sam, and the backend's environment.
type setup struct {
	dotenv  map[string]string
	samArgs []string
	backend map[string]string
}

// runSetup runs the blocks secrets, scf-env, aws-deploy (with a stand-in sam that records
// its arguments) and backend-env in one shell, as a merchant would in order.
func runSetup(t *testing.T, blocks map[string]block) setup {
	t.Helper()
	requireCommands(t, "sh", "openssl")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fakeSAM := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$SAM_ARGS\"\n"
	if err := os.WriteFile(filepath.Join(bin, "sam"), []byte(fakeSAM), 0o755); err != nil {
		t.Fatal(err)
	}
	script := blocks["secrets"].code + blocks["scf-env"].code + blocks["aws-deploy"].code + blocks["backend-env"].code +
		"env > backend.env\n"
	shell(t, dir, map[string]string{
		"PATH":               bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"SAM_ARGS":           filepath.Join(dir, "sam.args"),
		"TENCENT_SECRET_ID":  "IKIDguideexample0000000000000000000",
		"TENCENT_SECRET_KEY": "guide-example-secret-key-0000000000",
	}, script)

	var s setup
	var err error
	if s.dotenv, err = stack.ReadEnvFile(filepath.Join(dir, ".env")); err != nil {
		t.Fatalf("the .env the scf-env block wrote: %v", err)
	}
	args, err := os.ReadFile(filepath.Join(dir, "sam.args"))
	if err != nil {
		t.Fatalf("the aws-deploy block did not run sam: %v", err)
	}
	s.samArgs = strings.Split(strings.TrimSuffix(string(args), "\n"), "\n")
	env, err := os.ReadFile(filepath.Join(dir, "backend.env"))
	if err != nil {
		t.Fatal(err)
	}
	s.backend = map[string]string{}
	for line := range strings.SplitSeq(string(env), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			s.backend[k] = v
		}
	}
	return s
}

// decodeAll decodes the JSON values out prints one after another.
func decodeAll(t *testing.T, out string) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var all []map[string]any
	for dec.More() {
		var v map[string]any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		all = append(all, v)
	}
	return all
}

// str reads a string member of a decoded JSON object.
func str(v map[string]any, key string) string {
	s, _ := v[key].(string)
	return s
}

// keysOf lists a decoded JSON object's members, sorted.
func keysOf(v map[string]any) []string {
	var keys []string
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// The guide's links lead somewhere: files exist, and anchors name headings (as GitHub
// makes them: lower case, punctuation dropped, spaces as hyphens).
func TestGuideLinks(t *testing.T) {
	data, err := os.ReadFile(guidePath)
	if err != nil {
		t.Fatal(err)
	}
	slug := func(heading string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(heading) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	anchors := func(path string) []string {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("the guide links to %s: %v", path, err)
		}
		var out []string
		for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(string(text), -1) {
			out = append(out, slug(m[1]))
		}
		return out
	}
	for _, m := range regexp.MustCompile(`\]\(([^)\s]*)\)`).FindAllStringSubmatch(string(data), -1) {
		target, anchor, _ := strings.Cut(m[1], "#")
		path := guidePath
		if target != "" {
			path = filepath.Join(filepath.Dir(guidePath), target)
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the guide links to %s, which does not exist", m[1])
				continue
			}
		}
		if anchor != "" && !slices.Contains(anchors(path), anchor) {
			t.Errorf("the guide links to %s: %s has no such heading", m[1], path)
		}
	}
}
