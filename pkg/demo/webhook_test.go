package demo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/webhook"
)

const testSecret = "demo-webhook-secret-of-32-characters-or-more"

// receiverServer serves the receiver as the local stack mounts it, under /demo.
func receiverServer(t *testing.T, wr *WebhookReceiver) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/demo/webhook", http.StripPrefix("/demo", wr))
	mux.Handle("/demo/webhook/", http.StripPrefix("/demo", wr))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func eventBody(id, status, category, reference string) []byte {
	e := webhook.Event{
		ID: id, Type: "verification." + status, Created: time.Now().Unix(),
		Data: webhook.EventData{
			Session: strings.Repeat("5e", 32), Status: status, Category: category, Reference: reference,
			CompletedAt: time.Now().UTC().Truncate(time.Second),
		},
	}
	body, _ := json.Marshal(e)
	return body
}

// post delivers body as facegate does, signed with secrets at the given time.
func post(t *testing.T, url string, body []byte, secrets []string, at time.Time, attempt int) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/demo/webhook", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(body, secrets, at))
	req.Header.Set(webhook.EventIDHeader, "evt_from_header")
	req.Header.Set(webhook.AttemptHeader, fmt.Sprint(attempt))
	req.Header.Set("User-Agent", webhook.UserAgent)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func feed(t *testing.T, url string) (eventFeed, *http.Response) {
	t.Helper()
	res, err := http.Get(url + "/demo/webhook/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("feed: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var f eventFeed
	if err := json.NewDecoder(res.Body).Decode(&f); err != nil {
		t.Fatal(err)
	}
	return f, res
}

func TestWebhookReceiverKeepsVerifiedEvents(t *testing.T) {
	wr := NewWebhookReceiver([]string{testSecret})
	received := time.Date(2026, 12, 1, 10, 0, 3, 0, time.UTC)
	wr.Now = func() time.Time { return received }
	srv := receiverServer(t, wr)

	f, res := feed(t, srv.URL)
	if len(f.Events) != 0 || f.Refused != 0 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("empty feed %+v, Cache-Control %q", f, res.Header.Get("Cache-Control"))
	}
	sent := received.Add(-3 * time.Second)
	// The sender signs with the new and the old secret while rotating; either verifies.
	if got := post(t, srv.URL, eventBody("evt_1", "passed", "", "order-1"), []string{"a-newer-secret-of-32-characters-or-more", testSecret}, sent, 1); got != http.StatusNoContent {
		t.Fatalf("first delivery: %d", got)
	}
	if got := post(t, srv.URL, eventBody("evt_2", "failed", "liveness", "order-2"), []string{testSecret}, sent, 2); got != http.StatusNoContent {
		t.Fatalf("second delivery: %d", got)
	}
	f, _ = feed(t, srv.URL)
	want := []receivedEvent{
		{ID: "evt_2", Type: webhook.TypeFailed, Session: strings.Repeat("5e", 32), Status: "failed", Category: "liveness",
			Reference: "order-2", Received: received, Attempt: 2, Verified: true},
		{ID: "evt_1", Type: webhook.TypePassed, Session: strings.Repeat("5e", 32), Status: "passed",
			Reference: "order-1", Received: received, Attempt: 1, Verified: true},
	}
	if len(f.Events) != 2 || f.Events[0] != want[0] || f.Events[1] != want[1] || f.Refused != 0 {
		t.Fatalf("feed %+v\nwant %+v", f, want)
	}

	// A redelivery of evt_1 replaces its entry and comes first.
	received = received.Add(time.Minute)
	post(t, srv.URL, eventBody("evt_1", "passed", "", "order-1"), []string{testSecret}, received, 3)
	f, _ = feed(t, srv.URL)
	if len(f.Events) != 2 || f.Events[0].ID != "evt_1" || f.Events[0].Attempt != 3 || !f.Events[0].Received.Equal(received) {
		t.Fatalf("after a redelivery: %+v", f.Events)
	}
}

func TestWebhookReceiverKeepsTheLast100(t *testing.T) {
	wr := NewWebhookReceiver([]string{testSecret})
	srv := receiverServer(t, wr)
	for i := range keptEvents + 5 {
		if got := post(t, srv.URL, eventBody(fmt.Sprintf("evt_%d", i), "expired", "expired", ""), []string{testSecret}, time.Now(), 1); got != http.StatusNoContent {
			t.Fatalf("delivery %d: %d", i, got)
		}
	}
	f, _ := feed(t, srv.URL)
	if len(f.Events) != keptEvents || f.Events[0].ID != fmt.Sprintf("evt_%d", keptEvents+4) || f.Events[keptEvents-1].ID != "evt_5" {
		t.Fatalf("kept %d events, from %s to %s", len(f.Events), f.Events[0].ID, f.Events[len(f.Events)-1].ID)
	}
}

func TestWebhookReceiverRefusesBadDeliveries(t *testing.T) {
	wr := NewWebhookReceiver([]string{testSecret})
	srv := receiverServer(t, wr)
	body := eventBody("evt_bad", "passed", "", "")
	for _, c := range []struct {
		name    string
		secrets []string
		at      time.Time
		reason  string
	}{
		{"wrong secret", []string{"someone-else's-secret-of-32-characters"}, time.Now(), "signature does not match the secret"},
		{"replayed", []string{testSecret}, time.Now().Add(-time.Hour), "signature timestamp outside the 5-minute tolerance"},
		{"unsigned", nil, time.Now(), "no signature"},
	} {
		if got := post(t, srv.URL, body, c.secrets, c.at, 1); got != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", c.name, got)
		}
		if f, _ := feed(t, srv.URL); f.LastRefusal != c.reason {
			t.Errorf("%s: last refusal %q, want %q", c.name, f.LastRefusal, c.reason)
		}
	}
	f, _ := feed(t, srv.URL)
	if len(f.Events) != 0 || f.Refused != 3 {
		t.Fatalf("feed %+v: want no events and 3 refusals", f)
	}
	// The endpoint takes only POST, and the feed only GET.
	res, err := http.Get(srv.URL + "/demo/webhook")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /demo/webhook: %d, want 405", res.StatusCode)
	}
	res, err = http.Post(srv.URL+"/demo/webhook/events", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /demo/webhook/events: %d, want 405", res.StatusCode)
	}
}

// Every answer of the receiver carries the demo's headers, the feed included.
func TestWebhookReceiverHeaders(t *testing.T) {
	srv := receiverServer(t, NewWebhookReceiver([]string{testSecret}))
	_, res := feed(t, srv.URL)
	for header, want := range map[string]string{
		"Content-Security-Policy": ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	} {
		if got := res.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
}

// The shop's pages lead to the merchant's events page, which reads the feed beside it.
func TestPagesLinkToWebhookEvents(t *testing.T) {
	for _, name := range []string{"index.html", "return.html", "shop.html"} {
		data, err := fs.ReadFile(static, name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), `<a href="events.html" data-msg="demo.events_link.label">Merchant view: webhook events</a>`) {
			t.Errorf("%s has no link to events.html", name)
		}
	}
	page, _ := fs.ReadFile(static, "events.html")
	if !strings.Contains(string(page), `<script type="module" src="events.js">`) {
		t.Error("events.html does not load events.js")
	}
}
