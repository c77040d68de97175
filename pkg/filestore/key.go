package filestore

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidKey means a key breaks the rules of CheckKey. Every store in this module
// returns it for the same keys, so a key that works locally also works on COS and S3.
var ErrInvalidKey = errors.New("store: invalid object key")

// MaxKeyLength is the longest key CheckKey accepts: S3's and COS's limit in bytes.
const MaxKeyLength = 1024

// CheckKey reports whether key is a relative, slash-separated object key that can
// never name anything outside a store's root. It rejects the empty key, absolute keys,
// backslashes, NUL and other control characters, invalid UTF-8, empty segments ("a//b",
// a trailing slash), "." and "..", and segments starting with a dot. Dot-names are kept
// for the store's own temporary and metadata files, so no key can ever collide with
// them. The returned error wraps ErrInvalidKey.
func CheckKey(key string) error {
	switch {
	case key == "":
		return invalidKey(key, "empty")
	case len(key) > MaxKeyLength:
		return invalidKey(key[:32]+"...", "longer than 1024 bytes")
	case !utf8.ValidString(key):
		return invalidKey(key, "not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return invalidKey(key, "absolute")
	case strings.ContainsRune(key, '\\'):
		return invalidKey(key, "contains a backslash")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return invalidKey(key, "contains a control character")
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return invalidKey(key, "has an empty segment")
		case seg[0] == '.':
			// Also rejects "." and "..".
			return invalidKey(key, "has a segment starting with a dot")
		}
	}
	return nil
}

func invalidKey(key, reason string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, reason)
}
