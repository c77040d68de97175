package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

// CheckPrefix reports whether prefix can select keys for List: "" (every key), or the
// start of a key that CheckKey would accept, with the same rules for its characters and
// segments, that may end with "/" (the keys in a folder). So "sessions/", "sessions/0f"
// and "a/b.json" are prefixes, and "/a", "a//", "../a", "a/.tmp-" and "a\\b" are not:
// a prefix, like a key, never reaches outside a store's root or into its hidden files.
// The returned error wraps ErrInvalidKey.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > MaxKeyLength {
		return invalidKey(prefix[:32]+"...", "longer than 1024 bytes")
	}
	folder, isFolder := strings.CutSuffix(prefix, "/")
	if isFolder && folder == "" {
		return invalidKey(prefix, "absolute")
	}
	if err := CheckKey(folder); err != nil {
		return fmt.Errorf("%w (as a prefix)", err)
	}
	return nil
}

// CheckList reports whether List may be called with prefix and limit: prefix passes
// CheckPrefix (an error wrapping ErrInvalidKey otherwise) and limit is 1..MaxListLimit
// (a plain error otherwise: a bad limit is the caller's bug, not a property of a key).
func CheckList(prefix string, limit int) error {
	if err := checkLimit(limit); err != nil {
		return err
	}
	return CheckPrefix(prefix)
}

func checkLimit(limit int) error {
	if limit < 1 || limit > MaxListLimit {
		return fmt.Errorf("store: list limit %d is outside 1..%d", limit, MaxListLimit)
	}
	return nil
}

func invalidKey(key, reason string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, reason)
}

// ReadCapped reads a whole object body whose length the backend announced as size
// (negative when unknown). An object over MaxObjectSize is ErrTooLarge: refused
// before reading when the announced size says so, and never read past MaxObjectSize+1
// bytes when the announcement is missing or wrong. Every store in this module reads
// objects through it.
func ReadCapped(body io.Reader, size int64) ([]byte, error) {
	if size > MaxObjectSize {
		return nil, ErrTooLarge
	}
	// Room for the announced size plus a margin, so a correct announcement costs one
	// allocation and the final read that meets EOF needs no growth.
	buf := bytes.NewBuffer(make([]byte, 0, max(size, 0)+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(body, MaxObjectSize+1)); err != nil {
		return nil, err
	}
	if buf.Len() > MaxObjectSize {
		return nil, ErrTooLarge
	}
	return buf.Bytes(), nil
}
