package core

import (
	"log/slog"
	"regexp"
)

// Log lines name a session by its short hash only, and never a path of the machine. Errors
// from the stores can carry both (an object key holds a session's whole hash; a file
// store's error its absolute path; an HTTP client's error the object's URL), so every
// error logged goes through logErr.
var (
	fullHash     = regexp.MustCompile(`[0-9a-f]{64}`)
	absolutePath = regexp.MustCompile(`(^|[\s"'(=:])/[^\s"')]*`)
)

// logErr is err as a log value with every full hash shortened and every absolute path
// replaced.
func logErr(err error) slog.Value {
	if err == nil {
		return slog.StringValue("")
	}
	msg := fullHash.ReplaceAllStringFunc(err.Error(), shortHash)
	msg = absolutePath.ReplaceAllString(msg, "$1<path>")
	return slog.StringValue(msg)
}
