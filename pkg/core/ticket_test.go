package core

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	secretA = []byte("ticket-secret-a-0123456789abcdef-0123")
	secretB = []byte("ticket-secret-b-0123456789abcdef-0123")
)

func TestTicketRoundTripAndRotation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	exp := now.Add(15 * time.Minute)
	tk := SignTicket(secretA, "TOKEN-1", StatusPassed, exp)
	if !strings.HasPrefix(tk, "v1.passed.") {
		t.Fatalf("ticket %q lacks its version and status", tk)
	}
	if strings.Contains(tk, "TOKEN-1") {
		t.Fatal("ticket carries the token")
	}
	got, err := VerifyTicket([][]byte{secretA}, "TOKEN-1", tk, now)
	if err != nil || got.Status != StatusPassed || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("VerifyTicket = %+v, %v", got, err)
	}
	// Rotation: a new secret signs first, the old one still verifies old tickets.
	if _, err := VerifyTicket([][]byte{secretB, secretA}, "TOKEN-1", tk, now); err != nil {
		t.Fatalf("rotated secrets refused an old ticket: %v", err)
	}
	// Once the old secret is removed, its tickets die.
	if _, err := VerifyTicket([][]byte{secretB}, "TOKEN-1", tk, now); !errors.Is(err, ErrInvalidTicket) {
		t.Fatalf("retired secret still verifies: %v", err)
	}
}

func TestTicketRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	exp := now.Add(time.Minute)
	good := SignTicket(secretA, "TOKEN-1", StatusPending, exp)
	parts := strings.Split(good, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)-1] == 'A' {
			b[len(b)-1] = 'B'
		} else {
			b[len(b)-1] = 'A'
		}
		return string(b)
	}
	cases := map[string]struct {
		token, ticket string
		at            time.Time
	}{
		"other token":       {"TOKEN-2", good, now},
		"expired":           {"TOKEN-1", good, exp},
		"long expired":      {"TOKEN-1", good, exp.Add(time.Hour)},
		"status changed":    {"TOKEN-1", strings.Join([]string{"v1", "passed", parts[2], parts[3]}, "."), now},
		"expiry extended":   {"TOKEN-1", strings.Join([]string{"v1", parts[1], "9999999999", parts[3]}, "."), now},
		"signature flipped": {"TOKEN-1", strings.Join([]string{"v1", parts[1], parts[2], flip(parts[3])}, "."), now},
		"version":           {"TOKEN-1", "v2" + strings.TrimPrefix(good, "v1"), now},
		"unknown status":    {"TOKEN-1", strings.Join([]string{"v1", "great", parts[2], parts[3]}, "."), now},
		"padded expiry":     {"TOKEN-1", strings.Join([]string{"v1", parts[1], "0" + parts[2], parts[3]}, "."), now},
		"empty":             {"TOKEN-1", "", now},
		"garbage":           {"TOKEN-1", "not-a-ticket", now},
		"too long":          {"TOKEN-1", good + strings.Repeat("A", maxTicketLength), now},
		"extra part":        {"TOKEN-1", good + ".x", now},
	}
	for name, c := range cases {
		if _, err := VerifyTicket([][]byte{secretA}, c.token, c.ticket, c.at); !errors.Is(err, ErrInvalidTicket) {
			t.Errorf("%s: VerifyTicket = %v, want ErrInvalidTicket", name, err)
		}
	}
	if _, err := VerifyTicket([][]byte{secretA}, "TOKEN-1", SignTicket(secretB, "TOKEN-1", StatusPending, exp), now); err == nil {
		t.Error("a ticket signed with another secret verified")
	}
}

func BenchmarkVerifyTicket(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	tk := SignTicket(secretA, "TOKEN-1", StatusPassed, now.Add(time.Minute))
	secrets := [][]byte{secretB, secretA}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyTicket(secrets, "TOKEN-1", tk, now); err != nil {
			b.Fatal(err)
		}
	}
}
