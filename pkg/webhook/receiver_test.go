package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/webhook"
)

type refusal struct {
	status int
	err    error
}

// newReceiver is a Receiver with the clock at sentAt that records what it handled and
// what it refused.
func newReceiver(handleErr error) (*webhook.Receiver, *[]webhook.Event, *[]refusal) {
	var handled []webhook.Event
	var refused []refusal
	rc := webhook.Handler([]string{newSecret, oldSecret}, func(_ context.Context, e webhook.Event) error {
		handled = append(handled, e)
		return handleErr
	})
	rc.Now = func() time.Time { return sentAt.Add(2 * time.Second) }
	rc.Refused = func(_ *http.Request, status int, err error) { refused = append(refused, refusal{status, err}) }
	return rc, &handled, &refused
}

func deliver(h http.Handler, method, body, signature string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "/webhooks/facegate", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if signature != "" {
		r.Header.Set(webhook.SignatureHeader, signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestReceiverAcceptsASignedEvent(t *testing.T) {
	rc, handled, refused := newReceiver(nil)
	wire := string(golden(t, "failed.json"))
	w := deliver(rc, http.MethodPost, wire, webhook.Sign([]byte(wire), []string{oldSecret}, sentAt))
	if w.Code != http.StatusNoContent {
		t.Fatalf("status %d, want 204", w.Code)
	}
	if len(*handled) != 1 || (*handled)[0].ID != "evt_a1b2c3d4e5f60718293a4b5c6d7e8f90" || len(*refused) != 0 {
		t.Fatalf("handled %+v, refused %+v", *handled, *refused)
	}
}

func TestReceiverRefuses(t *testing.T) {
	wire := string(golden(t, "passed.json"))
	sign := func(body string, at time.Time) string { return webhook.Sign([]byte(body), []string{newSecret}, at) }
	for _, c := range []struct {
		name, method, body, signature string
		handleErr                     error
		status                        int
		reason                        error
	}{
		{"no signature", http.MethodPost, wire, "", nil, http.StatusBadRequest, webhook.ErrNoSignature},
		{"tampered", http.MethodPost, strings.Replace(wire, "passed", "failed", 1), sign(wire, sentAt), nil, http.StatusBadRequest, webhook.ErrMismatch},
		{"stale", http.MethodPost, wire, sign(wire, sentAt.Add(-time.Hour)), nil, http.StatusBadRequest, webhook.ErrTimestamp},
		{"signed garbage", http.MethodPost, "{", sign("{", sentAt), nil, http.StatusBadRequest, webhook.ErrBadEvent},
		{"too big", http.MethodPost, strings.Repeat(" ", webhook.MaxBodyBytes+1), "t=1", nil, http.StatusRequestEntityTooLarge, nil},
		{"GET", http.MethodGet, "", "", nil, http.StatusMethodNotAllowed, nil},
		{"handler failed", http.MethodPost, wire, sign(wire, sentAt), errors.New("database down"), http.StatusInternalServerError, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			rc, handled, refused := newReceiver(c.handleErr)
			w := deliver(rc, c.method, c.body, c.signature)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			if len(*refused) != 1 || (*refused)[0].status != c.status {
				t.Fatalf("Refused was told %+v", *refused)
			}
			if c.reason != nil && !errors.Is((*refused)[0].err, c.reason) {
				t.Errorf("reason %v, want %v", (*refused)[0].err, c.reason)
			}
			if c.handleErr != nil {
				if !errors.Is((*refused)[0].err, c.handleErr) {
					t.Errorf("reason %v, want the handler's error", (*refused)[0].err)
				}
				if strings.Contains(w.Body.String(), c.handleErr.Error()) {
					t.Error("the handler's error text was sent to the sender")
				}
			} else if len(*handled) != 0 {
				t.Errorf("handled %+v", *handled)
			}
			if c.method == http.MethodGet && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q", w.Header().Get("Allow"))
			}
		})
	}
}

// A receiver with no secret is misconfigured: 500, so the sender keeps the event and
// retries once the secret is set, instead of a 400 that reads as a bad delivery.
func TestReceiverWithoutSecretsAsksForARetry(t *testing.T) {
	wire := string(golden(t, "passed.json"))
	rc := webhook.Handler(nil, func(context.Context, webhook.Event) error { return nil })
	rc.Now = func() time.Time { return sentAt }
	if w := deliver(rc, http.MethodPost, wire, webhook.Sign([]byte(wire), []string{newSecret}, sentAt)); w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
}
