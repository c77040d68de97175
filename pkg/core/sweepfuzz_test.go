package core

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzSweepKeys feeds the sweeper's key reader any object name under due/ and outbox/:
// a name it reads back must be one it could have written, and nothing panics.
func FuzzSweepKeys(f *testing.F) {
	hash := strings.Repeat("ab", 32)
	for _, seed := range []string{
		firstDue(hash, time.Unix(1_796_000_000, 0)),
		nextCheck(hash, 15, time.Unix(1_796_000_000, 0), time.Unix(1_796_259_200, 0)),
		purgeDue(hash, time.Unix(1_796_000_000, 0), DefaultRetention),
		timedKey(outboxPrefix, time.Unix(1_796_000_000, 0), "evt_"+strings.Repeat("0", 32)+".3"),
		"due/0000000000/x.c0", "due/9999999999/" + hash + ".c16", "due//", "outbox/-000000001/a.1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		for _, prefix := range []string{duePrefix, outboxPrefix} {
			at, name, ok := parseTimedKey(prefix, key)
			if !ok {
				continue
			}
			if again := timedKey(prefix, at, name); again != key {
				t.Fatalf("%q reads as %v %q, which names %q", key, at, name, again)
			}
			if h, step, ok := parseDueName(name); ok {
				if dueName(h, step) != name || !validSessionID(h) || !slices.Contains([]byte("cepih"), step.kind) {
					t.Fatalf("%q reads as %s %+v", name, h, step)
				}
			}
		}
	})
}

// FuzzAcceptLanguage: any Accept-Language header picks one of the catalogue's languages.
func FuzzAcceptLanguage(f *testing.F) {
	for _, seed := range []string{"th-TH,th;q=0.9", "zh-Hant-HK", "in", "*;q=0.1", "en;q=2", ",,,", "zh-;q=1.0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		if got := acceptLanguage(header); !slices.Contains(Languages(), got) {
			t.Fatalf("acceptLanguage(%q) = %q", header, got)
		}
	})
}
