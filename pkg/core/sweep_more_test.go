package core_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// TestWebhooksArriveAfterAnOutage: the merchant's endpoint refuses (503, then dropped
// connections) for an hour; every event still arrives once it is back, with the id it
// had from the start, and the attempt header counts the tries.
func TestWebhooksArriveAfterAnOutage(t *testing.T) {
	st, rcv := sweepStack(t, stackOptions{})
	rcv.down.Store(true)
	var sessions []string
	for i := range 6 {
		rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}, "Authorization", "Bearer "+merchantKey)
		tok := tokenOf(t, rec)
		if i%2 == 0 {
			st.setOutcome(tok, sandbox.Outcome{Result: sandbox.ResultPass})
		} else {
			st.setOutcome(tok, sandbox.Outcome{Result: sandbox.ResultLivenessFail})
		}
		sessions = append(sessions, sessionOf(tok))
	}
	// An hour of refusals: the first half with 503, the second with dropped connections.
	for i := range 12 {
		if i == 6 {
			rcv.down.Store(false)
			rcv.drop.Store(true)
		}
		st.clock.Advance(5 * time.Minute)
		st.sweep()
	}
	for _, s := range sessions {
		if n := len(rcv.eventsOf(s)); n != 0 {
			t.Fatalf("an event arrived while the endpoint was down (%d)", n)
		}
	}
	rcv.drop.Store(false)
	st.sweepUntilQuiet(time.Hour, 4)
	for _, s := range sessions {
		evs := rcv.eventsOf(s)
		if len(evs) != 1 {
			t.Fatalf("session %s: %d deliveries after the outage, want 1", s[:8], len(evs))
		}
		rcv.mu.Lock()
		attempts := rcv.attempts[evs[0].ID]
		rcv.mu.Unlock()
		if len(attempts) != 1 || attempts[0] < 2 {
			t.Errorf("event %s arrived with attempts %v, want one delivery after several tries", evs[0].ID, attempts)
		}
		// Its id is the one the first attempt carried: the id is a function of the session.
		if res, _ := st.bySession(s); evs[0].Data.Status != string(res.Status) {
			t.Errorf("event status %s, result %s", evs[0].Data.Status, res.Status)
		}
	}
}

// TestDeletedVerificationStaysDeleted: a deleted verification is never delivered, never
// written back by a racing callback, reader or sweep, and reads answer session_deleted.
func TestDeletedVerificationStaysDeleted(t *testing.T) {
	for storeName, newStore := range stores {
		t.Run(storeName, func(t *testing.T) {
			st, rcv := sweepStack(t, stackOptions{newStore: newStore})
			b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3, Reference: "user-7"})
			st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
			land := st.mustCallback(b) // stores the result and queues its event
			if land.status != "passed" {
				t.Fatalf("callback status %s", land.status)
			}
			session := sessionOf(b.token)
			del := func(q string) *http.Response {
				req, _ := http.NewRequest(http.MethodDelete, "https://gw.example.test/result?"+q, nil)
				req.Header.Set("Authorization", "Bearer "+merchantKey)
				rec := st.do(req.WithContext(context.Background()))
				return rec.Result()
			}
			if resp := del("session=" + session); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("DELETE = %d", resp.StatusCode)
			}
			if resp := del("token=" + b.token); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("second DELETE (by token) = %d, want 204", resp.StatusCode)
			}
			// Every later read, by anyone, says deleted; nothing comes back.
			if _, rec := st.fullResult(b.token); rec.Code != http.StatusGone || errorCode(t, rec) != "session_deleted" {
				t.Fatalf("result after delete = %d %s", rec.Code, rec.Body)
			}
			if _, rec := st.summary(b.token, land.ticket); rec.Code != http.StatusGone {
				t.Fatalf("summary after delete = %d", rec.Code)
			}
			if rec := st.callback(b); rec.Code != http.StatusGone {
				t.Fatalf("callback after delete = %d", rec.Code)
			}
			st.sweepUntilQuiet(10*time.Minute, 10)
			if evs := rcv.eventsOf(session); len(evs) != 0 {
				t.Fatalf("a deleted session was delivered: %+v", evs)
			}
			if rec := st.get("/result?reference=user-7", "Authorization", "Bearer "+merchantKey); strings.Contains(rec.Body.String(), session) {
				t.Fatalf("the reference still lists the deleted session: %s", rec.Body)
			}
			for _, prefix := range []string{"sessions/", "media/", "refs/", "checks/", "outbox/", "delivered/"} {
				if keys := st.keys(prefix); len(keys) != 0 {
					t.Errorf("%s still holds %v", prefix, keys)
				}
			}
			if keys := st.keys("results/"); len(keys) != 1 {
				t.Errorf("results/ = %v, want only the tombstone", keys)
			}
			// The retention then removes the tombstone and the schedule too.
			for range 4 {
				st.clock.Advance(24 * time.Hour)
				st.sweep()
			}
			if keys := st.keys(""); len(keys) != 0 {
				t.Errorf("after the retention the store still holds %v", keys)
			}
			// An unknown session is not found, not "deleted".
			if resp := del("session=" + strings.Repeat("ab", 32)); resp.StatusCode != http.StatusNotFound {
				t.Errorf("DELETE of an unknown session = %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestSweepLosesNothingUnderTencentFaults: with a third of Tencent's answers an internal
// error, throttled or dropped, every session still ends stored and delivered, and none
// costs more than MaxSweepChecks Tencent reads.
func TestSweepLosesNothingUnderTencentFaults(t *testing.T) {
	st, rcv := sweepStack(t, stackOptions{})
	var sessions []string
	for i := range 20 {
		rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}, "Authorization", "Bearer "+merchantKey)
		tok := tokenOf(t, rec)
		if i%4 != 3 {
			st.setOutcome(tok, sandbox.Outcome{Result: sandbox.ResultPass})
		}
		sessions = append(sessions, sessionOf(tok))
	}
	st.sandbox.SetFaults(sandbox.Faults{InternalErrorRate: 0.12, ThrottleRate: 0.12, DropRate: 0.1})
	before := st.faceid.calls.Load()
	st.sweepUntilQuiet(3*time.Minute, 40)
	st.sandbox.SetFaults(sandbox.Faults{})
	st.sweepUntilQuiet(6*time.Hour, 20)
	calls := st.faceid.calls.Load() - before
	if calls > int64(len(sessions)*core.MaxSweepChecks) {
		t.Errorf("%d Tencent calls for %d sessions, more than %d each", calls, len(sessions), core.MaxSweepChecks)
	}
	for i, s := range sessions {
		res, rec := st.bySession(s)
		want := core.StatusPassed
		if i%4 == 3 {
			want = core.StatusExpired
		}
		if rec.Code != http.StatusOK || res.Status != want {
			t.Errorf("session %d: %d %s, want %s", i, rec.Code, res.Status, want)
		}
		if len(rcv.eventsOf(s)) == 0 {
			t.Errorf("session %d: no event", i)
		}
	}
}

// TestSweepCallsTencentAtMostFifteenTimes: a user who opens the page and never finishes
// keeps the session pending for Tencent's whole window; the sweeper asks at most
// MaxSweepChecks times, then stores it expired.
func TestSweepCallsTencentAtMostFifteenTimes(t *testing.T) {
	st, rcv := sweepStack(t, stackOptions{})
	rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}, "Authorization", "Bearer "+merchantKey)
	var sr core.StartResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &sr); err != nil {
		t.Fatal(err)
	}
	tok := sr.Token
	// The user opens the page, so the token never reads as unused (code 15).
	page, err := http.Get(sr.VerificationURL)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	before := st.faceid.calls.Load()
	// Half-hourly runs for 72 hours; the result window ends (and the retention with it).
	for range 145 {
		st.clock.Advance(30 * time.Minute)
		st.sweep()
	}
	if calls := st.faceid.calls.Load() - before; calls != int64(core.MaxSweepChecks) {
		t.Fatalf("%d Tencent calls over Tencent's result window, want the schedule's %d", calls, core.MaxSweepChecks)
	}
	// It ended expired: the merchant was told, and then the retention removed it.
	if evs := rcv.eventsOf(sessionOf(tok)); len(evs) != 1 || evs[0].Type != "verification.expired" {
		t.Fatalf("events %+v", evs)
	}
	if keys := st.keys(""); len(keys) != 0 {
		t.Fatalf("after the retention the store holds %v", keys)
	}
}

// TestOverlappingSweepsAgree: several runs at once (a slow run overlapping the next
// timer) ask Tencent once per session and deliver one event id per session.
func TestOverlappingSweepsAgree(t *testing.T) {
	st, rcv := sweepStack(t, stackOptions{sandbox: func(o *sandbox.Options) { o.Faults.Latency = 20 * time.Millisecond }})
	var sessions []string
	for range 12 {
		rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}, "Authorization", "Bearer "+merchantKey)
		tok := tokenOf(t, rec)
		st.setOutcome(tok, sandbox.Outcome{Result: sandbox.ResultPass})
		sessions = append(sessions, sessionOf(tok))
	}
	st.clock.Advance(3 * time.Minute)
	before := st.faceid.calls.Load()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { st.sweep() })
	}
	wg.Wait()
	if calls := st.faceid.calls.Load() - before; calls != int64(len(sessions)) {
		t.Errorf("%d Tencent calls for %d sessions swept by four runs at once", calls, len(sessions))
	}
	st.sweepUntilQuiet(time.Minute, 5)
	for _, s := range sessions {
		ids := map[string]bool{}
		for _, ev := range rcv.eventsOf(s) {
			ids[ev.ID] = true
		}
		if len(ids) != 1 {
			t.Errorf("session %s: %d event ids", s[:8], len(ids))
		}
	}
}

// TestSweepStopsBeforeItsDeadline: a run with little time leaves the rest due, and the
// next run finishes it. With Tencent taking two seconds for each read, the 24 due
// sessions need at least six seconds (eight workers); a run given 700 ms must return with work
// left well before that (the bound is loose on purpose: a loaded machine may be slow to
// wind down, but a run that ignored its deadline would take the whole six seconds).
func TestSweepStopsBeforeItsDeadline(t *testing.T) {
	const due = 24
	st, _ := sweepStack(t, stackOptions{})
	for range due {
		rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}, "Authorization", "Bearer "+merchantKey)
		st.setOutcome(tokenOf(t, rec), sandbox.Outcome{Result: sandbox.ResultPass})
	}
	st.sandbox.SetFaults(sandbox.Faults{Latency: 2 * time.Second})
	st.clock.Advance(3 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	started := time.Now()
	rep, err := st.svc.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Remaining || rep.Finished >= due {
		t.Fatalf("a short run reported %+v, want work left", rep)
	}
	if took := time.Since(started); took > 4*time.Second {
		t.Errorf("the run took %v with a 700 ms deadline", took)
	}
	st.sandbox.SetFaults(sandbox.Faults{})
	st.sweepUntilQuiet(time.Second, 5)
	if keys := st.keys("results/"); len(keys) != due {
		t.Fatalf("%d results after the next runs, want %d", len(keys), due)
	}
}

func tokenOf(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var sr core.StartResponse
	if rec.Code != http.StatusCreated {
		t.Fatalf("start = %d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &sr); err != nil {
		t.Fatal(err)
	}
	return sr.Token
}
