package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/pkg/storage"
	"github.com/facegate/facegate/pkg/webhook"
)

// Webhooks tell the merchant the outcome of every verification, including those whose
// user never came back. A terminal result owes one event (same id on every attempt);
// whoever stores the result queues it in outbox/, and only the sweeper delivers, so no
// user waits on the merchant's endpoint. Delivery is at least once: an attempt that
// fails is queued again with a longer delay, for up to WebhookRetryWindow.

// Webhook configures the merchant's webhook endpoint.
type Webhook struct {
	// URL receives the events (https, except on loopback for local runs).
	URL string
	// Secrets sign every delivery, each one giving a v1 signature, so a merchant can
	// rotate: add the new secret first, deploy, switch the receiver, drop the old one.
	Secrets []string
	// Timeout bounds one delivery; default 10 seconds.
	Timeout time.Duration
}

func (w *Webhook) validate(fail func(field, format string, args ...any)) {
	if w.URL == "" {
		if len(w.Secrets) > 0 {
			fail("Webhook.URL", "required with webhook secrets")
		}
		return
	}
	u, err := url.Parse(w.URL)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.Fragment != "":
		fail("Webhook.URL", "must be an absolute https URL without user information or fragment")
	case u.Scheme == "http" && loopbackHost(u.Hostname()):
		// The local stack's receiver: plain HTTP never leaves the machine.
	case u.Scheme != "https":
		fail("Webhook.URL", "must use https (plain http only to localhost)")
	}
	if err := webhook.CheckSecrets(w.Secrets); err != nil {
		fail("Webhook.Secrets", "%s (use: openssl rand -base64 32)", strings.TrimPrefix(err.Error(), "webhook: "))
	}
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// WebhookRetryWindow is how long an event is retried: Tencent's 72-hour result window.
const WebhookRetryWindow = 72 * time.Hour

// webhookDelays are the waits before attempts 2, 3, ...; the last repeats.
var webhookDelays = [...]time.Duration{
	30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	20 * time.Minute, 30 * time.Minute, time.Hour,
}

// WebhookDelay is the wait after the n-th failed attempt (n from 1).
func WebhookDelay(n int) time.Duration {
	return webhookDelays[min(max(n, 1), len(webhookDelays))-1]
}

// maxWebhookAnswer caps what is read of the merchant's answer (it is only drained).
const maxWebhookAnswer = 64 << 10

// deliveredKey marks an event as delivered, so a queue entry written again later (two
// writers of one result, a retried sweep) is dropped instead of sent twice.
func deliveredKey(hash string) string { return "delivered/" + hash }

// eventFor builds the event a terminal result owes. The id follows from the session and
// its status, so every writer queues the same event.
func eventFor(hash string, res *resultRecord) webhook.Event {
	typ := webhook.TypeFailed
	switch res.Status {
	case StatusPassed:
		typ = webhook.TypePassed
	case StatusExpired:
		typ = webhook.TypeExpired
	}
	return webhook.Event{
		ID:      "evt_" + sha256Hex("facegate-event/v1\n" + hash + "\n" + string(res.Status))[:32],
		Type:    typ,
		Created: res.CompletedAt.Unix(),
		Data: webhook.EventData{
			Session:     hash,
			Status:      string(res.Status),
			Category:    res.Category,
			Code:        res.Code,
			Reference:   res.Reference,
			Extra:       res.Extra,
			CompletedAt: res.CompletedAt.UTC(),
		},
	}
}

// queueEvent queues the event of a terminal result for delivery, when webhooks are
// configured. Queuing twice writes the same key, so it is harmless.
func (s *Service) queueEvent(ctx context.Context, hash string, res *resultRecord) error {
	if s.cfg.Webhook.URL == "" {
		return nil
	}
	ev := eventFor(hash, res)
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	key := timedKey(outboxPrefix, res.CompletedAt, ev.ID+".1")
	if err := s.store.Create(ctx, key, body); err != nil && !errors.Is(err, storage.ErrExists) {
		return fmt.Errorf("queue event: %w", err)
	}
	return nil
}

// deliver makes one delivery attempt of the queue entry key (due at, attempt n) and
// queues the next attempt if it fails. It reports whether the merchant took the event.
func (s *Service) deliver(ctx context.Context, key string, name string) (bool, error) {
	id, nStr, ok := strings.Cut(name, ".")
	n, err := strconv.Atoi(nStr)
	if !ok || err != nil || n < 1 || !strings.HasPrefix(id, "evt_") {
		s.log.WarnContext(ctx, "sweep: dropping a malformed outbox entry")
		return false, s.store.Delete(ctx, key)
	}
	body, err := s.store.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil // another run delivered it
	}
	if err != nil {
		return false, err
	}
	var ev webhook.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != id || len(ev.Data.Session) != 64 {
		s.log.WarnContext(ctx, "sweep: dropping an unreadable outbox entry", "event", id)
		return false, s.store.Delete(ctx, key)
	}
	hash := ev.Data.Session
	// A deleted session is never delivered; a delivered event is not delivered again.
	res, err := s.loadResult(ctx, hash)
	if isDeleted(err) {
		return false, s.store.Delete(ctx, key)
	} else if err != nil {
		return false, err
	}
	if _, err := s.store.Get(ctx, deliveredKey(hash)); err == nil {
		return false, s.store.Delete(ctx, key)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return false, err
	}
	status, err := s.post(ctx, ev.ID, n, body)
	if err == nil && status/100 == 2 {
		s.log.InfoContext(ctx, "webhook delivered", "event", ev.ID, "session", shortHash(hash), "attempt", n)
		// The mark keeps a second queuing of the event from being sent; a session the
		// retention has already removed cannot be queued again, so it needs none.
		if res != nil {
			if err := s.store.Create(ctx, deliveredKey(hash), []byte(ev.ID)); err != nil && !errors.Is(err, storage.ErrExists) {
				return true, err
			}
		}
		return true, s.store.Delete(ctx, key)
	}
	reason := fmt.Sprintf("HTTP %d", status)
	if err != nil {
		reason = "no answer" // the cause may name the merchant's network; kept out of logs
	}
	now := s.now()
	created := time.Unix(ev.Created, 0)
	if !now.Before(created.Add(WebhookRetryWindow)) {
		s.log.ErrorContext(ctx, "webhook given up after the retry window", "event", ev.ID, "session", shortHash(hash), "attempts", n, "last", reason)
		return false, s.store.Delete(ctx, key)
	}
	next := timedKey(outboxPrefix, now.Add(WebhookDelay(n)), ev.ID+"."+strconv.Itoa(n+1))
	s.log.WarnContext(ctx, "webhook not delivered; retrying later", "event", ev.ID, "session", shortHash(hash), "attempt", n, "last", reason)
	if err := s.store.Create(ctx, next, body); err != nil && !errors.Is(err, storage.ErrExists) {
		return false, err
	}
	return false, s.store.Delete(ctx, key)
}

// post sends one attempt, signed with every configured secret at the time of sending.
func (s *Service) post(ctx context.Context, id string, attempt int, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Webhook.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", webhook.UserAgent)
	req.Header.Set(webhook.EventIDHeader, id)
	req.Header.Set(webhook.AttemptHeader, strconv.Itoa(attempt))
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(body, s.cfg.Webhook.Secrets, time.Now()))
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxWebhookAnswer))
	return resp.StatusCode, nil
}
