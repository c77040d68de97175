// Package webhook is what a merchant's backend needs to receive facegate's webhooks: the
// event types, the signature check, and a ready http.Handler. It uses the standard library
// only, so importing it pulls in nothing else of facegate.
//
// facegate sends one event per verification that reaches a terminal status, as a POST with
// a JSON body and these headers:
//
//	Facegate-Signature: t=1767225600,v1=<64 hex digits>[,v1=<64 hex digits>...]
//	Facegate-Event-Id: evt_0123456789abcdef0123456789abcdef
//	Facegate-Delivery-Attempt: 1
//	Content-Type: application/json
//	User-Agent: facegate-webhooks/1
//
// The signature is Stripe's scheme: v1 is the hex HMAC-SHA256, keyed with a webhook secret,
// of the timestamp t, a dot, and the raw body. There is one v1 per configured secret, so a
// merchant can rotate secrets: configure the new one beside the old one on both sides,
// then remove the old one.
//
// Delivery is at least once: the same event (same id) can arrive more than once, so handle
// it idempotently. Answer 2xx once the event is safely kept; any other answer, or none, is
// retried.
package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event types: one event per verification, for the terminal status it reached.
const (
	TypePassed  = "verification.passed"
	TypeFailed  = "verification.failed"
	TypeExpired = "verification.expired"
)

// Header names and values of a delivery.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=...]".
	SignatureHeader = "Facegate-Signature"
	// EventIDHeader repeats the event's id, so a receiver can skip a duplicate before
	// reading the body.
	EventIDHeader = "Facegate-Event-Id"
	// AttemptHeader counts the deliveries of this event: 1, then 2, 3, ... on retries.
	AttemptHeader = "Facegate-Delivery-Attempt"
	// UserAgent is the User-Agent of every delivery.
	UserAgent = "facegate-webhooks/1"
)

// Event is one webhook. Its JSON form is exactly these fields; later versions may add
// fields, which ParseEvent ignores, and event types, which a receiver should acknowledge
// and otherwise ignore.
type Event struct {
	// ID is stable for the event across retries: "evt_" and 32 hex digits. Use it to
	// drop duplicates.
	ID string `json:"id"`
	// Type is TypePassed, TypeFailed or TypeExpired.
	Type string `json:"type"`
	// Created is when the event was made, in unix seconds.
	Created int64     `json:"created"`
	Data    EventData `json:"data"`
}

// EventData is the verification an event is about. It never carries document fields,
// images or video: fetch those from GET /result with the merchant key.
type EventData struct {
	// Session is an opaque id of the verification (64 hex digits), the same for every
	// event about it. It is not the BizToken.
	Session string `json:"session"`
	// Status is passed, failed or expired.
	Status string `json:"status"`
	// Category says why a verification did not pass: liveness, compare, document,
	// timeout, user_exit, retry_limit, expired or system. Empty when passed.
	Category string `json:"category,omitempty"`
	// Code is Tencent's ErrorCode, when there is one.
	Code *int64 `json:"code,omitempty"`
	// Reference and Extra are the merchant's own strings given to /start.
	Reference string `json:"reference,omitempty"`
	Extra     string `json:"extra,omitempty"`
	// CompletedAt is when the verification reached its status (RFC 3339, UTC).
	CompletedAt time.Time `json:"completedAt"`
}

// ErrBadEvent is returned by ParseEvent for a body that is not an event.
var ErrBadEvent = errors.New("webhook: body is not an event")

// ParseEvent decodes a webhook body. Call it only after Verify accepted the body. Unknown
// fields are allowed, so that events from a newer facegate still parse; trailing data, a
// missing id or type, and other JSON errors are not.
func ParseEvent(body []byte) (Event, error) {
	var e Event
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&e); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrBadEvent, err)
	}
	// Decode stops after the first value; anything left but white space is garbage.
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) != 0 {
		return Event{}, fmt.Errorf("%w: data after the JSON object", ErrBadEvent)
	}
	if e.ID == "" || e.Type == "" {
		return Event{}, fmt.Errorf("%w: no id or type", ErrBadEvent)
	}
	return e, nil
}
