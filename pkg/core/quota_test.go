package core_test

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// TestRacingReadersShareOneTencentRead: 200 readers of one pending verification at once
// (the merchant's backend and the user's page polling together) cost Tencent at most two
// reads, counted at the sandbox: one per session and 5-second slot, whoever asks, and a
// run can straddle a slot's end.
func TestRacingReadersShareOneTencentRead(t *testing.T) {
	for storeName, newStore := range stores {
		t.Run(storeName, func(t *testing.T) {
			st := newStack(t, stackOptions{newStore: newStore})
			b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
			land := st.mustCallback(b) // pending: the first read
			st.nextSlot()
			before := tokenReads(t, st, b.token)
			var pending, other atomic.Int64
			var wg sync.WaitGroup
			for i := range 200 {
				wg.Go(func() {
					var code int
					var status core.Status
					if i%2 == 0 {
						res, rec := st.fullResult(b.token)
						code, status = rec.Code, res.Status
						if rec.Header().Get("Retry-After") == "" {
							other.Add(1)
						}
					} else {
						sum, rec := st.summary(b.token, land.ticket)
						code, status = rec.Code, sum.Status
					}
					if code == http.StatusOK && status == core.StatusPending {
						pending.Add(1)
					} else {
						other.Add(1)
					}
				})
			}
			wg.Wait()
			if reads := tokenReads(t, st, b.token) - before; reads < 1 || reads > 2 {
				t.Fatalf("200 racing readers made %d Tencent reads, want 1 or 2", reads)
			}
			if pending.Load() != 200 || other.Load() != 0 {
				t.Fatalf("%d pending answers with Retry-After, %d others", pending.Load(), other.Load())
			}
		})
	}
}

func tokenReads(t *testing.T, st *stack, token string) int {
	t.Helper()
	ts, err := st.sandbox.TokenState(token)
	if err != nil {
		t.Fatal(err)
	}
	return ts.ResultReads
}

// TestPollingClientLeavesOthersAlone: with Tencent's own limit of 20 reads per second in
// force, one client polling its own pending verification as fast as it can does not push
// other users' callbacks to pending: its reads are one per 5-second slot.
func TestPollingClientLeavesOthersAlone(t *testing.T) {
	st := newStack(t, stackOptions{sandbox: func(o *sandbox.Options) { o.RateLimit = 0 }}) // Tencent's 20/s
	poller := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	land := st.mustCallback(poller)
	var users []*browser
	for range 10 {
		b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
		st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
		users = append(users, b)
	}
	stop := make(chan struct{})
	var polls atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				st.summary(poller.token, land.ticket)
				polls.Add(1)
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // the poller is in full swing
	for i, b := range users {
		if l := st.mustCallback(b); l.status != "passed" {
			t.Errorf("user %d landed %s while another client polled", i, l.status)
		}
	}
	close(stop)
	wg.Wait()
	if reads := tokenReads(t, st, poller.token); reads > 3 {
		t.Errorf("the poller's %d requests made %d Tencent reads", polls.Load(), reads)
	}
	if polls.Load() < 100 {
		t.Fatalf("the poller made only %d requests; the test proves nothing", polls.Load())
	}
}
