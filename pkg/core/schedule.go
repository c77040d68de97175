package core

import (
	"strconv"
	"strings"
	"time"
)

// checkOffsets are when the sweeper asks Tencent about a session nobody has finished,
// counted from its start: often at first (most users finish within minutes), once just
// after Tencent's 10-minute start window (an unopened link then reads as expired), then
// ever more rarely until the end of Tencent's 72-hour result window. Fifteen at most, so
// a session costs at most fifteen Tencent reads over its life, whatever happens.
var checkOffsets = [...]time.Duration{
	2 * time.Minute, 5 * time.Minute, 11 * time.Minute, 20 * time.Minute, 35 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 36 * time.Hour, 48 * time.Hour, 60 * time.Hour, 71 * time.Hour,
}

// MaxSweepChecks is the most Tencent reads the sweeper makes for one session.
const MaxSweepChecks = len(checkOffsets)

// dueStep is what a due entry asks the sweeper to do for its session.
type dueStep struct {
	kind  byte // 'c' check (n = 1..MaxSweepChecks), 'e' expire, 'p' purge, 'i' forget an idempotency key, 'h' a handoff
	check int
}

func (d dueStep) String() string {
	if d.kind == 'c' {
		return "c" + strconv.Itoa(d.check)
	}
	return string(d.kind)
}

// dueName is the name part of a due entry: <hash>.<step>.
func dueName(hash string, step dueStep) string { return hash + "." + step.String() }

func parseDueName(name string) (hash string, step dueStep, ok bool) {
	hash, s, ok := strings.Cut(name, ".")
	if !ok || !validSessionID(hash) || s == "" {
		return "", dueStep{}, false
	}
	switch s[0] {
	case 'e', 'p', 'i', 'h':
		return hash, dueStep{kind: s[0]}, len(s) == 1
	case 'c':
		n, err := strconv.Atoi(s[1:])
		if err != nil || n < 1 || n > MaxSweepChecks || strconv.Itoa(n) != s[1:] {
			return "", dueStep{}, false
		}
		return hash, dueStep{kind: 'c', check: n}, true
	}
	return "", dueStep{}, false
}

// firstDue is the entry written at start: the first check.
func firstDue(hash string, created time.Time) string {
	return timedKey(duePrefix, created.Add(checkOffsets[0]), dueName(hash, dueStep{kind: 'c', check: 1}))
}

// nextCheck is the entry after check n of a session that is still pending: check n+1 at
// its offset, or, when the checks are used up or would fall after the session's end, the
// expiry at its end. Each entry's name and time follow from the session alone, so two
// runs that both schedule the same step write the same key and only one entry exists.
func nextCheck(hash string, n int, created, expires time.Time) string {
	if n < MaxSweepChecks {
		if at := created.Add(checkOffsets[n]); at.Before(expires) {
			return timedKey(duePrefix, at, dueName(hash, dueStep{kind: 'c', check: n + 1}))
		}
	}
	return timedKey(duePrefix, expires, dueName(hash, dueStep{kind: 'e'}))
}

// purgeDue is the entry that deletes everything of a session once the retention has passed.
func purgeDue(hash string, created time.Time, retention time.Duration) string {
	return timedKey(duePrefix, created.Add(retention), dueName(hash, dueStep{kind: 'p'}))
}
