package core

import (
	"log/slog"
	"strings"
)

// Log lines name a session by its short hash only, and never a path of the machine. Errors
// from the stores can carry both (an object key holds a session's whole hash; a file
// store's error its absolute path; an HTTP client's error the object's URL), so every
// error logged goes through logErr.
//
// The two rules are written out rather than as regular expressions (`[0-9a-f]{64}` and
// `(^|[\s"'(=:])/[^\s"')]*`, which logscrub_test.go holds them to): package regexp would
// be compiled at every start and linked into the deployed functions for this alone.

// logErr is err as a log value with every full hash shortened and every absolute path
// replaced.
func logErr(err error) slog.Value {
	if err == nil {
		return slog.StringValue("")
	}
	return slog.StringValue(scrubPaths(shortenHashes(err.Error())))
}

// shortenHashes replaces each run of 64 lower-case hex digits, left to right, with its
// shortHash.
func shortenHashes(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i+64 <= len(s); {
		if !allLowerHex(s[i : i+64]) {
			i++
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(shortHash(s[i : i+64]))
		i += 64
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func allLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9') && !('a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// scrubPaths replaces each absolute path, a "/" at the start or after a space, quote,
// "(", "=" or ":", up to the next space, quote or ")", with "<path>".
func scrubPaths(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		start := -1
		switch {
		case i == 0 && s[0] == '/':
			start = 0
		case strings.IndexByte("\t\n\f\r \"'(=:", s[i]) >= 0 && i+1 < len(s) && s[i+1] == '/':
			start = i + 1
		}
		if start < 0 {
			i++
			continue
		}
		end := start + 1
		for end < len(s) && strings.IndexByte("\t\n\f\r \"')", s[end]) < 0 {
			end++
		}
		b.WriteString(s[last:start])
		b.WriteString("<path>")
		i, last = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
