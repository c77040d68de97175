package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Object names. Every one is derived from the hash of the BizToken (or of the merchant's
// reference), so no token ever appears in a key, a listing or an access log.
//
//	sessions/<hash>.json            the session, written once at start
//	results/<hash>.json             the terminal result, or a deletion tombstone, written once
//	media/<hash>/<name>             stored media, when configured
//	due/<unix>/<hash>.<step>        the sweeper's schedule: the next thing to do for a session
//	outbox/<unix>/<event id>.<n>    a webhook delivery due at <unix>, attempt n
//	refs/<reference hash>/<inverted unix ms>-<hash> the sessions of a merchant reference, newest first
//	checks/<hash>/<slot>            a claim on one Tencent read of a session in one time slot
//	starttokens/<expiry>/<hash>     a spent start token, until it expires
//	probes/<unix>/<id>              a start in progress (the write made before a billed Apply)
//	idem/<key hash>.json, .done     an idempotent start's request and answer, for 24 hours
//	handoffs/<id>.json, .claim, .session   a cross-device handoff (handoff.go)
func sessionKey(hash string) string   { return "sessions/" + hash + ".json" }
func resultKey(hash string) string    { return "results/" + hash + ".json" }
func mediaPrefix(hash string) string  { return "media/" + hash + "/" }
func checksPrefix(hash string) string { return "checks/" + hash + "/" }

const (
	duePrefix         = "due/"
	outboxPrefix      = "outbox/"
	refsPrefix        = "refs/"
	startTokensPrefix = "starttokens/"
	probesPrefix      = "probes/"
	idemPrefix        = "idem/"
)

func idemKey(id string) string       { return idemPrefix + id + ".json" }
func idemAnswerKey(id string) string { return idemPrefix + id + ".done" }

// reservedPrefixes are the service's own folders; a compare-image prefix may not reach them.
var reservedPrefixes = []string{"sessions/", "results/", "media/", duePrefix, outboxPrefix, refsPrefix, "checks/",
	"delivered/", startTokensPrefix, probesPrefix, idemPrefix, handoffsPrefix}

// reservedPrefix reports whether p would let a caller read the service's own objects.
func reservedPrefix(p string) bool {
	for _, r := range reservedPrefixes {
		if strings.HasPrefix(r, p) || strings.HasPrefix(p, r) {
			return true
		}
	}
	return false
}

// unixKey is a time as the fixed-width decimal seconds that sort like the times they name.
func unixKey(t time.Time) string { return fmt.Sprintf("%010d", max(t.Unix(), 0)) }

// timedKey names an entry of a time-ordered folder (due/, outbox/): listing the folder
// yields entries in the order they fall due.
func timedKey(prefix string, at time.Time, name string) string {
	return prefix + unixKey(at) + "/" + name
}

// parseTimedKey splits a due/ or outbox/ key into its time and name.
func parseTimedKey(prefix, key string) (time.Time, string, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return time.Time{}, "", false
	}
	stamp, name, ok := strings.Cut(rest, "/")
	if !ok || len(stamp) != 10 || name == "" || strings.ContainsFunc(stamp, func(r rune) bool { return r < '0' || r > '9' }) {
		return time.Time{}, "", false
	}
	sec, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.Unix(sec, 0).UTC(), name, true
}

// refKey is a session's entry in its reference's folder: inverted time (in milliseconds,
// so sessions of one second keep their order) first, so a listing is newest first.
func refKey(reference string, created time.Time, hash string) string {
	return refFolder(reference) + fmt.Sprintf("%013d", max(9_999_999_999_999-created.UnixMilli(), 0)) + "-" + hash
}

// refFolder names a reference's folder by a hash of it: references are the merchant's
// identifiers (often of its users) and stay out of key names.
func refFolder(reference string) string {
	return refsPrefix + sha256Hex("facegate-reference/v1\n" + reference)[:32] + "/"
}
