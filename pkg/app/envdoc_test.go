package app_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/envscan"
)

// readVariables collects the variable names pkg/app reads.
func readVariables(t *testing.T) map[string]bool {
	t.Helper()
	found, err := envscan.Scan(".", false, ".")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	for v := range found {
		vars[v] = true
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
}

// readmeConfigTable returns the names of the README's configuration table. Abbreviated
// names are expanded from the first full name of their cell: `FACEGATE_S3_BUCKET` /
// `_PATH_STYLE` is FACEGATE_S3_PATH_STYLE, and `TENCENTCLOUD_SECRETID` / `SECRETKEY` is
// TENCENTCLOUD_SECRETKEY.
func readmeConfigTable(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	names := regexp.MustCompile("`([A-Z_][A-Z0-9_]*)`")
	out := map[string]bool{}
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.Contains(cells[1], "`") {
			continue
		}
		base := ""
		for _, m := range names.FindAllStringSubmatch(cells[1], -1) {
			name := m[1]
			switch {
			case strings.HasPrefix(name, "_") && base != "":
				name = base + name
			case !strings.Contains(name, "_") && base != "":
				name = base + "_" + name
			case base == "" && strings.Contains(name, "_"):
				base = name[:strings.LastIndex(name, "_")]
			}
			out[name] = true
		}
	}
	if len(out) < 30 {
		t.Fatalf("found only %d variables in the README's table; the parse is broken", len(out))
	}
	return out
}

// TestReadmeConfigurationTable keeps the README's configuration table true: it names every
// variable the code reads, and nothing that nothing reads.
func TestReadmeConfigurationTable(t *testing.T) {
	table := readmeConfigTable(t)
	read := readVariables(t)
	// Read outside pkg/app: the runtime choice and port by pkg/platform, a role's session
	// token by faceid.EnvCredentials on every call, AWS_DEFAULT_REGION also by the SDK.
	elsewhere := []string{"FACEGATE_RUNTIME", "PORT", "TENCENTCLOUD_SESSIONTOKEN", "AWS_DEFAULT_REGION"}
	// Named in the table's text rather than a row of its own (the COS region's fallback).
	inText := []string{"TENCENTCLOUD_REGION"}
	for v := range read {
		if !table[v] && !slices.Contains(inText, v) {
			t.Errorf("the README's configuration table does not list %s", v)
		}
	}
	for v := range table {
		if !read[v] && !slices.Contains(elsewhere, v) {
			t.Errorf("the README's configuration table lists %s, which nothing reads", v)
		}
	}
}
