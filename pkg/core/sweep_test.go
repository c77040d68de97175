package core_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/storage"
	"github.com/facegate/facegate/pkg/webhook"
)

const webhookSecret = "webhook-secret-0123456789abcdef-0123456789"

// receiver is a merchant's webhook endpoint: it verifies every delivery and keeps what
// arrived. While down, it refuses with 503 (or, with drop, by closing the connection).
type receiver struct {
	t    testing.TB
	srv  *httptest.Server
	now  func() time.Time
	down atomic.Bool
	drop atomic.Bool

	mu       sync.Mutex
	events   map[string][]webhook.Event // by session
	ids      map[string]int             // deliveries per event id
	attempts map[string][]int           // attempt headers per event id
	refused  int
}

func newReceiver(t testing.TB, now func() time.Time) *receiver {
	r := &receiver{t: t, now: now, events: map[string][]webhook.Event{}, ids: map[string]int{}, attempts: map[string][]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if r.drop.Load() {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	if r.down.Load() {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(req.Body)
	// The signature's time is the sender's wall clock, like the tolerance's.
	if err := webhook.Verify(body, req.Header.Get(webhook.SignatureHeader), []string{webhookSecret}, time.Now()); err != nil {
		r.t.Errorf("webhook with a bad signature: %v", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var ev webhook.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("webhook body: %v", err)
		return
	}
	n, _ := strconv.Atoi(req.Header.Get(webhook.AttemptHeader))
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Header.Get(webhook.EventIDHeader) != ev.ID {
		r.t.Errorf("event id header %q, body %q", req.Header.Get(webhook.EventIDHeader), ev.ID)
	}
	r.events[ev.Data.Session] = append(r.events[ev.Data.Session], ev)
	r.ids[ev.ID]++
	r.attempts[ev.ID] = append(r.attempts[ev.ID], n)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) eventsOf(session string) []webhook.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events[session])
}

// sweepStack is a stack whose webhooks go to a receiver of its own.
func sweepStack(t testing.TB, o stackOptions) (*stack, *receiver) {
	t.Helper()
	var rcv *receiver
	config := o.config
	o.config = func(c *core.Config) {
		c.Webhook = core.Webhook{URL: "http://127.0.0.1:1/hook", Secrets: []string{webhookSecret}}
		if config != nil {
			config(c)
		}
	}
	st := newStack(t, o)
	rcv = newReceiver(t, st.clock.Now)
	// The receiver's address is known only now; rebuild the service with it.
	st.cfg.Webhook.URL = rcv.srv.URL + "/hook"
	st.rebuild()
	return st, rcv
}

// sweep runs the sweeper once and fails the test on a run error.
func (st *stack) sweep() core.SweepReport {
	st.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := st.svc.Sweep(ctx)
	if err != nil {
		st.t.Fatalf("Sweep: %v", err)
	}
	return rep
}

// sweepUntilQuiet advances the clock by step and sweeps, at most n times, until nothing
// but purges is left to do: no check or expiry due, no delivery queued.
func (st *stack) sweepUntilQuiet(step time.Duration, n int) {
	st.t.Helper()
	for range n {
		st.clock.Advance(step)
		st.sweep()
		if len(st.keys("outbox/")) > 0 {
			continue
		}
		quiet := true
		for _, k := range st.keys("due/") {
			quiet = quiet && strings.HasSuffix(k, ".p")
		}
		if quiet {
			return
		}
	}
}

// bySession reads the merchant's full result by session id.
func (st *stack) bySession(session string) (core.Result, *httptest.ResponseRecorder) {
	st.t.Helper()
	rec := st.get("/result?session="+session, "Authorization", "Bearer "+merchantKey)
	var res core.Result
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			st.t.Fatal(err)
		}
	}
	return res, rec
}

// keys lists every object of the store under prefix.
func (st *stack) keys(prefix string) []string {
	st.t.Helper()
	var out []string
	after := ""
	for {
		keys, more, err := st.store.List(context.Background(), prefix, after, storage.MaxListLimit)
		if err != nil {
			st.t.Fatal(err)
		}
		out = append(out, keys...)
		if !more || len(keys) == 0 {
			return out
		}
		after = keys[len(keys)-1]
	}
}

type abandoned struct {
	session string
	outcome string // "" for a link never opened
	status  core.Status
}

// TestSweepFinishesAbandonedVerifications: 50 users finish (or never open the page) and
// close the tab. Nobody comes back to /callback, nobody asks /result; the sweeper stores
// every outcome and the merchant receives exactly one signed event per verification, with
// the lookup by reference finding the browser-started ones too.
func TestSweepFinishesAbandonedVerifications(t *testing.T) {
	for storeName, newStore := range stores {
		t.Run(storeName, func(t *testing.T) {
			st, rcv := sweepStack(t, stackOptions{newStore: newStore})
			plan := []struct {
				outcome string
				status  core.Status
			}{
				{sandbox.ResultPass, core.StatusPassed},
				{sandbox.ResultLivenessFail, core.StatusFailed},
				{sandbox.ResultUserExit, core.StatusFailed},
				{sandbox.ResultTimeout, core.StatusFailed},
				{"", core.StatusExpired}, // the link was never opened
			}
			var all []abandoned
			for i := range 50 {
				p := plan[i%len(plan)]
				ref := fmt.Sprintf("user-%d", i%10)
				var token string
				if i%2 == 0 {
					b := st.startGet(url.Values{"returnTo": {returnTo}, "mode": {"3"}, "reference": {ref}})
					token = b.token
				} else {
					rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3, Reference: ref}, "Authorization", "Bearer "+merchantKey)
					var sr core.StartResponse
					if err := json.Unmarshal(rec.Body.Bytes(), &sr); err != nil || rec.Code != http.StatusCreated {
						t.Fatalf("backend start = %d %s", rec.Code, rec.Body)
					}
					token = sr.Token
				}
				if p.outcome != "" {
					st.setOutcome(token, sandbox.Outcome{Result: p.outcome})
				}
				all = append(all, abandoned{session: sessionOf(token), outcome: p.outcome, status: p.status})
			}
			st.sweepUntilQuiet(3*time.Minute, 20)
			for _, a := range all {
				res, rec := st.bySession(a.session)
				if rec.Code != http.StatusOK || res.Status != a.status {
					t.Errorf("session %s (%q): %d %s, want %s", a.session[:8], a.outcome, rec.Code, res.Status, a.status)
				}
				evs := rcv.eventsOf(a.session)
				if len(evs) == 0 {
					t.Errorf("session %s (%q): no webhook", a.session[:8], a.outcome)
					continue
				}
				ids := map[string]bool{}
				for _, ev := range evs {
					ids[ev.ID] = true
					if ev.Data.Status != string(a.status) || ev.Type != "verification."+string(a.status) {
						t.Errorf("event %+v, want status %s", ev, a.status)
					}
				}
				if len(ids) != 1 {
					t.Errorf("session %s: %d event ids, want exactly 1", a.session[:8], len(ids))
				}
			}
			// The merchant finds the browser-started sessions by its own reference.
			for u := range 10 {
				rec := st.get("/result?reference=user-"+strconv.Itoa(u), "Authorization", "Bearer "+merchantKey)
				var page core.ReferencePage
				if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || rec.Code != http.StatusOK {
					t.Fatalf("reference lookup = %d %s", rec.Code, rec.Body)
				}
				if len(page.Sessions) != 5 {
					t.Errorf("user-%d: %d sessions, want 5", u, len(page.Sessions))
				}
				for i := 1; i < len(page.Sessions); i++ {
					if page.Sessions[i].CreatedAt.After(page.Sessions[i-1].CreatedAt) {
						t.Errorf("user-%d: not newest first", u)
					}
				}
			}
		})
	}
}

// sessionOf is the session id of a token: its SHA-256, as the API hands it out.
func sessionOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
