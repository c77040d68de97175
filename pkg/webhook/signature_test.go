package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/webhook"
)

const (
	oldSecret = "old-webhook-secret-of-32-characters-at-least"
	newSecret = "new-webhook-secret-of-32-characters-at-least"
)

var (
	sentAt = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	body   = []byte(`{"id":"evt_0123456789abcdef0123456789abcdef","type":"verification.passed","created":1796119200,` +
		`"data":{"session":"` + strings.Repeat("ab", 32) + `","status":"passed","completedAt":"2026-12-01T09:59:58Z"}}`)
)

// v1 computes a signature independently of the package, from the scheme's definition.
func v1(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + string(body)))
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignFollowsTheScheme(t *testing.T) {
	got := webhook.Sign(body, []string{newSecret, oldSecret}, sentAt)
	ts := "1796119200"
	want := "t=" + ts + ",v1=" + v1(newSecret, ts, body) + ",v1=" + v1(oldSecret, ts, body)
	if got != want {
		t.Fatalf("Sign = %s\nwant   %s", got, want)
	}
	if got := webhook.Sign(body, nil, sentAt); got != "t="+ts {
		t.Errorf("Sign without secrets = %s, want the timestamp alone", got)
	}
}

func TestVerifyRoundTrip(t *testing.T) {
	header := webhook.Sign(body, []string{newSecret}, sentAt)
	if err := webhook.Verify(body, header, []string{newSecret}, sentAt.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
}

// The tolerance holds in both directions, to the second, and the sub-second part of now
// does not count against it.
func TestVerifyTolerance(t *testing.T) {
	header := webhook.Sign(body, []string{newSecret}, sentAt)
	for _, c := range []struct {
		now  time.Time
		want error
	}{
		{sentAt.Add(webhook.Tolerance), nil},
		{sentAt.Add(webhook.Tolerance + 999*time.Millisecond), nil},
		{sentAt.Add(-webhook.Tolerance), nil},
		{sentAt.Add(webhook.Tolerance + time.Second), webhook.ErrTimestamp},
		{sentAt.Add(-webhook.Tolerance - time.Second), webhook.ErrTimestamp},
		{sentAt.Add(24 * time.Hour), webhook.ErrTimestamp},
		{time.Unix(0, 0), webhook.ErrTimestamp},
	} {
		if err := webhook.Verify(body, header, []string{newSecret}, c.now); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("now %s: %v, want %v", c.now.Sub(sentAt), err, c.want)
		}
	}
}

// A sender with the new and the old secret signs twice; a receiver with either one, or
// both, accepts, so either side can be updated first.
func TestVerifyRotation(t *testing.T) {
	header := webhook.Sign(body, []string{newSecret, oldSecret}, sentAt)
	for _, secrets := range [][]string{{oldSecret}, {newSecret}, {oldSecret, newSecret}, {"", newSecret}} {
		if err := webhook.Verify(body, header, secrets, sentAt); err != nil {
			t.Errorf("receiver with %d secrets: %v", len(secrets), err)
		}
	}
	// And a sender still on the old secret alone is accepted by a receiver with both.
	if err := webhook.Verify(body, webhook.Sign(body, []string{oldSecret}, sentAt), []string{newSecret, oldSecret}, sentAt); err != nil {
		t.Error(err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	header := webhook.Sign(body, []string{newSecret}, sentAt)
	ts := "1796119200"
	good := v1(newSecret, ts, body)
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = '9'
	for _, c := range []struct {
		name    string
		body    []byte
		header  string
		secrets []string
		want    error
	}{
		{"tampered body", tampered, header, []string{newSecret}, webhook.ErrMismatch},
		{"body with a trailing newline", append(append([]byte(nil), body...), '\n'), header, []string{newSecret}, webhook.ErrMismatch},
		{"wrong secret", body, header, []string{oldSecret}, webhook.ErrMismatch},
		{"no secret", body, header, nil, webhook.ErrNoSecret},
		{"empty secrets only", body, header, []string{"", ""}, webhook.ErrNoSecret},
		{"timestamp changed", body, strings.Replace(header, ts, "1796119201", 1), []string{newSecret}, webhook.ErrMismatch},
		{"signature of another timestamp", body, "t=1796119201,v1=" + good, []string{newSecret}, webhook.ErrMismatch},
		{"empty header", body, "", []string{newSecret}, webhook.ErrNoSignature},
		{"blank header", body, "  ", []string{newSecret}, webhook.ErrNoSignature},
		{"no v1", body, "t=" + ts, []string{newSecret}, webhook.ErrNoSignature},
		{"only v0", body, "t=" + ts + ",v0=" + good, []string{newSecret}, webhook.ErrNoSignature},
		{"no t", body, "v1=" + good, []string{newSecret}, webhook.ErrMalformedHeader},
		{"two t", body, "t=" + ts + ",t=" + ts + ",v1=" + good, []string{newSecret}, webhook.ErrMalformedHeader},
		{"t with letters", body, "t=17961192OO,v1=" + good, []string{newSecret}, webhook.ErrMalformedHeader},
		{"negative t", body, "t=-1,v1=" + good, []string{newSecret}, webhook.ErrMalformedHeader},
		{"signed t", body, "t=+" + ts + ",v1=" + good, []string{newSecret}, webhook.ErrMalformedHeader},
		{"empty t", body, "t=,v1=" + good, []string{newSecret}, webhook.ErrMalformedHeader},
		{"t in milliseconds overflowing", body, "t=99999999999999999999,v1=" + good, []string{newSecret}, webhook.ErrMalformedHeader},
		{"space inside t", body, "t= " + ts + ",v1=" + good, []string{newSecret}, webhook.ErrMalformedHeader},
		{"v1 with a suffix", body, "t=" + ts + ",v1=" + good + "00", []string{newSecret}, webhook.ErrMismatch},
		{"v1 cut short", body, "t=" + ts + ",v1=" + good[:62], []string{newSecret}, webhook.ErrMismatch},
		{"v1 not hex", body, "t=" + ts + ",v1=" + strings.Repeat("zz", 32), []string{newSecret}, webhook.ErrMismatch},
		{"v1 empty", body, "t=" + ts + ",v1=", []string{newSecret}, webhook.ErrMismatch},
		{"upper-case scheme", body, "t=" + ts + ",V1=" + good, []string{newSecret}, webhook.ErrNoSignature},
		{"overlong", body, header + strings.Repeat(",v1="+good, 200), []string{newSecret}, webhook.ErrMalformedHeader},
	} {
		err := webhook.Verify(c.body, c.header, c.secrets, sentAt)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestVerifyAcceptsHeaderVariants(t *testing.T) {
	ts := "1796119200"
	good := v1(newSecret, ts, body)
	other := v1(oldSecret, ts, body)
	for _, header := range []string{
		"t=" + ts + ",v1=" + good,
		"v1=" + good + ",t=" + ts,                              // any order
		" t=" + ts + " , v1=" + good + " ",                     // spaces around parts
		"t=" + ts + ",,v1=" + good + ",",                       // empty parts
		"t=" + ts + ",v0=deadbeef,v1=" + good + ",v2=" + other, // other schemes
		"t=" + ts + ",v1=" + other + ",v1=" + good,             // the match is not the first v1
		"t=" + ts + ",v1=garbage,v1=" + good,                   // nor is every v1 well formed
		"t=" + ts + ",junk,v1=" + good,                         // a part that is no key=value
		"t=" + ts + ",v1=" + strings.ToUpper(good),             // hex in capitals
		"t=000" + ts + ",v1=" + v1(newSecret, "000"+ts, body),  // t is signed as written
		"t=" + ts + strings.Repeat(",v1="+other, 100) + ",v1=" + good,
	} {
		if err := webhook.Verify(body, header, []string{newSecret}, sentAt); err != nil {
			t.Errorf("%.80s…: %v", header, err)
		}
	}
}

func TestCheckSecrets(t *testing.T) {
	if err := webhook.CheckSecrets([]string{newSecret, oldSecret}); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{nil, {}, {newSecret, "short-secret"}, {""}} {
		err := webhook.CheckSecrets(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
			continue
		}
		if len(bad) > 1 && strings.Contains(err.Error(), bad[1]) {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

// FuzzVerify: Verify never panics, accepts only what a secret signed, and agrees with a
// fresh signature when the header is the sender's own.
func FuzzVerify(f *testing.F) {
	ts := "1796119200"
	good := v1(newSecret, ts, body)
	f.Add(body, webhook.Sign(body, []string{newSecret, oldSecret}, sentAt), int64(0))
	f.Add(body, "t="+ts+",v1="+good, int64(300))
	f.Add(body, "t="+ts+",v1="+good, int64(-301))
	f.Add([]byte{}, "", int64(0))
	f.Add([]byte("{}"), "t=,v1=,v1", int64(0))
	f.Add(body, "t=1,t=2,v1=", int64(0))
	f.Add(body, " ,,= , t=9999999999999999999,v1="+good, int64(0))
	f.Add(body, "t="+ts+",v0="+good+",v2=x", int64(0))
	f.Add([]byte("\xff\x00"), "t=\xff,v1=\x00", int64(1<<62))
	f.Fuzz(func(t *testing.T, body []byte, header string, offset int64) {
		offset %= 1 << 40 // thousands of years either way, and no overflow
		now := time.Unix(sentAt.Unix()+offset, 0)
		err := webhook.Verify(body, header, []string{newSecret}, now)
		if err == nil {
			// Accepted: some v1 must really be the signature of t and body.
			ts, sigs := splitHeader(header)
			if !slices.Contains(sigs, v1(newSecret, ts, body)) {
				t.Fatalf("accepted %q without a valid signature", header)
			}
		}
		// The sender's own header is accepted when now is near its time.
		signed := webhook.Sign(body, []string{newSecret}, sentAt)
		err = webhook.Verify(body, signed, []string{oldSecret, newSecret}, now)
		near := offset >= -300 && offset <= 300
		if near != (err == nil) {
			t.Fatalf("offset %ds: %v", offset, err)
		}
	})
}

// splitHeader is a naive reading of a header, enough to check what Verify accepted.
func splitHeader(header string) (ts string, sigs []string) {
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, strings.ToLower(v))
		}
	}
	return ts, sigs
}
