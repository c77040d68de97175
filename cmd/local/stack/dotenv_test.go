package stack

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseEnv(t *testing.T) {
	in := "\uFEFF# local settings\n" +
		"\n" +
		"PLAIN=value\n" +
		"  SPACED  =  padded value  \n" +
		"export EXPORTED=yes\n" +
		"exported_lower=1\n" +
		"EMPTY=\n" +
		"HASH=a#b\n" +
		"COMMENTED=kept # dropped\n" +
		"SINGLE='  $literal \\n # not a comment '\n" +
		`DOUBLE="line1\nline2 \"q\" \\ tab\t" # comment` + "\n" +
		"EQUALS=a=b=c\n" +
		"URL=http://localhost:8080/demo/?x=1&y=2\n" +
		"PLAIN=second\n"
	got, err := ParseEnv(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PLAIN":          "second",
		"SPACED":         "padded value",
		"EXPORTED":       "yes",
		"exported_lower": "1",
		"EMPTY":          "",
		"HASH":           "a#b",
		"COMMENTED":      "kept",
		"SINGLE":         `  $literal \n # not a comment `,
		"DOUBLE":         "line1\nline2 \"q\" \\ tab\t",
		"EQUALS":         "a=b=c",
		"URL":            "http://localhost:8080/demo/?x=1&y=2",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestParseEnvErrors(t *testing.T) {
	for _, in := range []string{
		"NOEQUALS",
		"=value",
		"1KEY=x",
		"BAD-KEY=x",
		"KEY='open",
		`KEY="open`,
		`KEY="a" trailing`,
		"export =x",
	} {
		_, err := ParseEnv(strings.NewReader("OK=1\n" + in + "\n"))
		if err == nil {
			t.Errorf("%q: no error", in)
			continue
		}
		if !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: error %q does not name line 2", in, err)
		}
	}
}

// Errors must not echo values: a malformed line may well be a secret.
func TestParseEnvErrorHidesValue(t *testing.T) {
	_, err := ParseEnv(strings.NewReader(`TENCENTCLOUD_SECRET_KEY="s3cr3t-value`))
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error %v", err)
	}
}

func TestReadEnvFile(t *testing.T) {
	dir := t.TempDir()
	env, err := ReadEnvFile(filepath.Join(dir, "missing.env"))
	if err != nil || len(env) != 0 {
		t.Fatalf("missing file: %v %v", env, err)
	}
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte("A=1\nB='2'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err = ReadEnvFile(path)
	if err != nil || env["A"] != "1" || env["B"] != "2" {
		t.Fatalf("got %v %v", env, err)
	}
	if err := os.WriteFile(path, []byte("broken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEnvFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v does not name the file", err)
	}
}
