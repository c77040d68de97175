package core

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The rules logscrub.go writes out, as the regular expressions they replace.
var (
	fullHashRE     = regexp.MustCompile(`[0-9a-f]{64}`)
	absolutePathRE = regexp.MustCompile(`(^|[\s"'(=:])/[^\s"')]*`)
)

func scrubByRegexp(s string) string {
	s = fullHashRE.ReplaceAllStringFunc(s, shortHash)
	return absolutePathRE.ReplaceAllString(s, "$1<path>")
}

func TestLogErrScrubsHashesAndPaths(t *testing.T) {
	hash := strings.Repeat("0123456789abcdef", 4)
	for in, want := range map[string]string{
		"get sessions/" + hash + ".json: open /var/data/sessions/" + hash + ".json: no such file": "get sessions/0123456789ab.json: open <path> no such file",
		`Get "http://127.0.0.1:9/bucket/key": dial`:                                               `Get "http:<path>": dial`,
		"/tmp/x at the start":     "<path> at the start",
		"key=" + hash + hash[:10]: "key=0123456789ab" + hash[:10],
		"plain":                   "plain",
	} {
		if got := logErr(errors.New(in)).String(); got != want {
			t.Errorf("logErr(%q) = %q, want %q", in, got, want)
		}
	}
	if logErr(nil).String() != "" {
		t.Error("logErr(nil) is not empty")
	}
}

// TestLogErrAgreesWithTheRegularExpressions compares the written-out rules with the
// regular expressions on strings made of the characters that matter to them.
func TestLogErrAgreesWithTheRegularExpressions(t *testing.T) {
	alphabet := []string{"/", " ", "\t", "\"", "'", "(", ")", "=", ":", "a", "f", "0", "9", "g", "x", "é", "\xff", strings.Repeat("ab12", 16)}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(24) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := b.String()
		if got, want := logErr(errors.New(s)).String(), scrubByRegexp(s); got != want {
			t.Fatalf("logErr(%q) = %q, the regular expressions give %q", s, got, want)
		}
	}
}
