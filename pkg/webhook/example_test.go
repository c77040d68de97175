package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/facegate/facegate/pkg/webhook"
)

// Verify checks a delivery by hand: the raw body, the Facegate-Signature header and the
// secrets you accept. Sign is what facegate does on its side.
func ExampleVerify() {
	secrets := []string{"whsec-new-0123456789abcdef0123456789", "whsec-old-0123456789abcdef0123456789"}
	body := []byte(`{"id":"evt_5f0c2b7d9a4e4c1b8e3a6d2f1c0b9a87","type":"verification.passed","created":1796119200,` +
		`"data":{"session":"3f9a1c6e0b2d4f8a7c5e9b1d3f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a","status":"passed","completedAt":"2026-12-01T09:59:58Z"}}`)
	sentAt := time.Unix(1796119200, 0)
	header := webhook.Sign(body, secrets, sentAt) // facegate's side: one v1 per secret

	// The merchant's side, a few seconds later, still holding only the old secret.
	receivedAt := sentAt.Add(3 * time.Second)
	if err := webhook.Verify(body, header, secrets[1:], receivedAt); err != nil {
		log.Fatal(err)
	}
	event, err := webhook.ParseEvent(body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(event.Type, event.Data.Status)

	// A changed body, or a delivery replayed later than the tolerance, is refused.
	tampered := bytes.Replace(body, []byte("passed"), []byte("failed"), 2)
	fmt.Println(errors.Is(webhook.Verify(tampered, header, secrets, receivedAt), webhook.ErrMismatch))
	fmt.Println(errors.Is(webhook.Verify(body, header, secrets, sentAt.Add(time.Hour)), webhook.ErrTimestamp))
	// Output:
	// verification.passed passed
	// true
	// true
}

// Handler is the whole receiving side: mount it where facegate's webhook URL points, and
// keep each event before returning nil. Here a test server stands in for the merchant's
// server and a signed POST for facegate's delivery.
func ExampleHandler() {
	secrets := []string{"whsec-new-0123456789abcdef0123456789"} // from your configuration
	seen := map[string]bool{}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/facegate", webhook.Handler(secrets, func(ctx context.Context, e webhook.Event) error {
		if seen[e.ID] { // delivered before: already kept
			return nil
		}
		seen[e.ID] = true
		fmt.Printf("%s: session %s…, reference %s\n", e.Type, e.Data.Session[:8], e.Data.Reference)
		return nil // a non-nil error answers 500, and facegate retries
	}))
	server := httptest.NewServer(mux)
	defer server.Close()

	body := []byte(`{"id":"evt_5f0c2b7d9a4e4c1b8e3a6d2f1c0b9a87","type":"verification.passed","created":1796119200,` +
		`"data":{"session":"3f9a1c6e0b2d4f8a7c5e9b1d3f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a","status":"passed",` +
		`"reference":"order-1001","completedAt":"2026-12-01T09:59:58Z"}}`)
	for _, signature := range []string{
		webhook.Sign(body, secrets, time.Now()),
		webhook.Sign(body, secrets, time.Now()), // a redelivery of the same event
		webhook.Sign(body, []string{"an-attacker-guessing-at-the-secret-value"}, time.Now()),
	} {
		req, _ := http.NewRequest(http.MethodPost, server.URL+"/webhooks/facegate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhook.SignatureHeader, signature)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println(res.Status)
	}
	// Output:
	// verification.passed: session 3f9a1c6e…, reference order-1001
	// 204 No Content
	// 204 No Content
	// 400 Bad Request
}
