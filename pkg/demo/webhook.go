package demo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/facegate/facegate/pkg/webhook"
)

// keptEvents is how many verified events the demo receiver remembers.
const keptEvents = 100

// WebhookReceiver is the demo merchant's webhook endpoint, the backend half of the demo
// shop: it verifies facegate's deliveries with pkg/webhook, as a merchant's server would,
// and keeps the last 100 verified events in memory for the events.html page. Mount it
// beside Handler, under the same folder:
//
//	mux.Handle("/demo/webhook", http.StripPrefix("/demo", receiver))
//	mux.Handle("/demo/webhook/", http.StripPrefix("/demo", receiver))
//
// It serves POST /webhook (deliveries: 204, or 400 for a bad signature or body) and
// GET /webhook/events (what it kept, newest first, and how many deliveries it refused).
// It is safe for concurrent use.
type WebhookReceiver struct {
	// Now is the receiver's clock, for the signature's tolerance and the time an event
	// was received; nil is time.Now. Set it before serving.
	Now func() time.Time

	mux *http.ServeMux

	mu          sync.Mutex
	events      []receivedEvent // newest first, at most keptEvents, one per event id
	refused     int
	lastRefusal string
}

// receivedEvent is one verified event as the feed shows it: the summary a merchant's
// backend acts on, and how it arrived.
type receivedEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Session   string    `json:"session"`
	Status    string    `json:"status"`
	Category  string    `json:"category,omitempty"`
	Reference string    `json:"reference,omitempty"`
	Received  time.Time `json:"received"`
	Attempt   int       `json:"attempt"`
	// Verified is always true: only events whose signature checked out are kept. It is
	// in the feed so that the page says so from the data rather than by assumption.
	Verified bool `json:"verified"`
}

// eventFeed is the JSON of GET /webhook/events.
type eventFeed struct {
	Events      []receivedEvent `json:"events"`
	Refused     int             `json:"refused"`
	LastRefusal string          `json:"lastRefusal,omitempty"`
}

// attemptKey carries a delivery's Facegate-Delivery-Attempt from ServeHTTP to the event
// handler, which pkg/webhook calls with the request's context.
type attemptKey struct{}

// NewWebhookReceiver returns a receiver that accepts deliveries signed with any of secrets.
func NewWebhookReceiver(secrets []string) *WebhookReceiver {
	wr := &WebhookReceiver{mux: http.NewServeMux()}
	rc := webhook.Handler(secrets, wr.keep)
	rc.Now = wr.now
	rc.Refused = wr.refuse
	wr.mux.Handle("POST /webhook", rc)
	wr.mux.HandleFunc("GET /webhook/events", wr.serveEvents)
	return wr
}

// ServeHTTP serves the delivery endpoint and the feed, with the demo's security headers.
func (wr *WebhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	attempt, _ := strconv.Atoi(r.Header.Get(webhook.AttemptHeader))
	wr.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), attemptKey{}, attempt)))
}

func (wr *WebhookReceiver) now() time.Time {
	if wr.Now != nil {
		return wr.Now()
	}
	return time.Now()
}

// keep records a verified event. A redelivery (same id) replaces the earlier entry, as a
// merchant's backend keeps one record per event.
func (wr *WebhookReceiver) keep(ctx context.Context, e webhook.Event) error {
	attempt, _ := ctx.Value(attemptKey{}).(int)
	got := receivedEvent{
		ID: e.ID, Type: e.Type, Session: e.Data.Session, Status: e.Data.Status, Category: e.Data.Category,
		Reference: e.Data.Reference, Received: wr.now().UTC(), Attempt: attempt, Verified: true,
	}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	wr.events = slices.DeleteFunc(wr.events, func(k receivedEvent) bool { return k.ID == e.ID })
	wr.events = slices.Insert(wr.events, 0, got)
	if len(wr.events) > keptEvents {
		wr.events = wr.events[:keptEvents]
	}
	return nil
}

// refuse counts a delivery pkg/webhook turned down, and keeps a coarse reason for the page.
func (wr *WebhookReceiver) refuse(_ *http.Request, status int, err error) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	wr.refused++
	wr.lastRefusal = refusalReason(status, err)
}

// refusalReason names why a delivery was refused, in words for the events page.
func refusalReason(status int, err error) string {
	for _, r := range []struct {
		err  error
		text string
	}{
		{webhook.ErrNoSignature, "no signature"},
		{webhook.ErrMalformedHeader, "malformed signature header"},
		{webhook.ErrTimestamp, "signature timestamp outside the 5-minute tolerance"},
		{webhook.ErrMismatch, "signature does not match the secret"},
		{webhook.ErrNoSecret, "the receiver has no secret"},
		{webhook.ErrBadEvent, "body is not an event"},
	} {
		if errors.Is(err, r.err) {
			return r.text
		}
	}
	return http.StatusText(status)
}

func (wr *WebhookReceiver) serveEvents(w http.ResponseWriter, _ *http.Request) {
	wr.mu.Lock()
	feed := eventFeed{Events: slices.Clone(wr.events), Refused: wr.refused, LastRefusal: wr.lastRefusal}
	wr.mu.Unlock()
	if feed.Events == nil {
		feed.Events = []receivedEvent{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(feed) // a write error means the client has gone
}
