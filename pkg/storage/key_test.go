package storage

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCheckKey(t *testing.T) {
	valid := []string{"a", "a/b", "sessions/0f/0f3c.json", "a.b/c-d_e~f", "ключ", "a b", "x%2Fy", strings.Repeat("k", MaxKeyLength)}
	for _, k := range valid {
		if err := CheckKey(k); err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", k, err)
		}
	}
	invalid := []string{
		"", "/", "/a", "a/", "a//b", ".", "..", "../a", "a/..", "a/../b", "./a", ".git/config", "a/.b",
		"a\\b", "\\a", "a\x00b", "a\nb", "a\rb", "a\tb", "a\x7fb", "\xc3\x28", strings.Repeat("k", MaxKeyLength+1),
	}
	for _, k := range invalid {
		err := CheckKey(k)
		if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
}

// unreadable fails the test if anything reads it.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Fatal("ReadCapped read a body whose announced size was already too large")
	return 0, nil
}

func TestReadCapped(t *testing.T) {
	if _, err := ReadCapped(unreadable{t}, MaxObjectSize+1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("announced over the cap: err = %v, want ErrTooLarge", err)
	}
	for _, announced := range []int64{-1, 0, 10} {
		// A missing or lying announcement: the cap still holds.
		if _, err := ReadCapped(bytes.NewReader(make([]byte, MaxObjectSize+1)), announced); !errors.Is(err, ErrTooLarge) {
			t.Errorf("announced %d, sent one byte over the cap: err = %v, want ErrTooLarge", announced, err)
		}
	}
	got, err := ReadCapped(strings.NewReader("record"), -1)
	if err != nil || string(got) != "record" {
		t.Errorf("unknown size: %q, %v", got, err)
	}
	if _, err := ReadCapped(iotest.ErrReader(io.ErrUnexpectedEOF), 5); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error: err = %v, want it passed on", err)
	}
}

func TestCheckPrefix(t *testing.T) {
	valid := []string{"", "a", "a/", "a/b", "sessions/", "sessions/0f", "a.b/c-", "ключ/", strings.Repeat("k", MaxKeyLength-1) + "/"}
	for _, p := range valid {
		if err := CheckPrefix(p); err != nil {
			t.Errorf("CheckPrefix(%q) = %v, want nil", p, err)
		}
	}
	invalid := []string{
		"/", "/a", "//", "a//", "a//b", ".", "./", "..", "../", "../a", "a/..", "a/../", "a/.", "a/.tmp-", ".hidden/",
		"a\\b", "a\\", "a\x00", "a\n/", "\xc3\x28", strings.Repeat("k", MaxKeyLength+1),
	}
	for _, p := range invalid {
		if err := CheckPrefix(p); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("CheckPrefix(%q) = %v, want ErrInvalidKey", p, err)
		}
	}
}

func TestCheckList(t *testing.T) {
	for _, limit := range []int{1, MaxListLimit} {
		if err := CheckList("a/", limit); err != nil {
			t.Errorf("CheckList(a/, %d) = %v", limit, err)
		}
	}
	for _, limit := range []int{-1, 0, MaxListLimit + 1} {
		err := CheckList("a/", limit)
		if err == nil || errors.Is(err, ErrInvalidKey) {
			t.Errorf("CheckList(a/, %d) = %v, want an error that is not about the key", limit, err)
		}
	}
	if err := CheckList("/a", 10); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("CheckList(/a, 10) = %v, want ErrInvalidKey", err)
	}
}
