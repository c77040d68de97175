package core_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/storage"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// TestCallsPerVerification holds the design's floor: at start the write that proves the
// store takes writes before the billed Apply (removed again), one write of the session and
// one of its first entry in the sweeper's schedule; at callback one read (the session),
// the claim of the Tencent read, one Tencent call and one write (the result); one read
// (and no Tencent call) per result on a terminal session.
func TestCallsPerVerification(t *testing.T) {
	st := newStack(t, stackOptions{})
	type counts struct{ creates, claims, probes, gets, tencent int64 }
	measure := func(f func()) counts {
		st.store.reset()
		before := st.faceid.calls.Load()
		f()
		return counts{st.store.creates.Load(), st.store.claims.Load(), st.store.probes.Load(), st.store.gets.Load(), st.faceid.calls.Load() - before}
	}
	var b *browser
	start := measure(func() { b = st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3}) })
	if start.creates != 2 || start.probes != 1 || start.tencent != 1 || start.gets != 0 {
		t.Fatalf("start: %+v, want a write-ahead, 2 writes (session, schedule), 1 Tencent call, no reads", start)
	}
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
	var land landing
	cb := measure(func() { land = st.mustCallback(b) })
	if cb.creates != 1 || cb.claims != 1 || cb.tencent != 1 || cb.gets != 1 {
		t.Fatalf("callback: %+v, want 1 read, 1 claim, 1 write and 1 Tencent call", cb)
	}
	for i := 0; i < 3; i++ {
		res := measure(func() {
			if sum, _ := st.summary(b.token, land.ticket); sum.Status != core.StatusPassed {
				t.Fatalf("summary %+v", sum)
			}
		})
		if res != (counts{gets: 1}) {
			t.Fatalf("ticket result on a terminal session: %+v, want exactly one read", res)
		}
		res = measure(func() {
			if r, _ := st.fullResult(b.token); r.Status != core.StatusPassed {
				t.Fatalf("result %+v", r)
			}
		})
		if res != (counts{gets: 1}) {
			t.Fatalf("merchant result on a terminal session: %+v, want exactly one read", res)
		}
	}
}

// benchMemStore is an in-memory storage.Store used only by the benchmarks below, so that they
// measure the handlers rather than the disk. Tests use the real adapters.
type benchMemStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *benchMemStore) Create(_ context.Context, key string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; ok {
		return storage.ErrExists
	}
	s.m[key] = append([]byte(nil), data...)
	return nil
}

func (s *benchMemStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.m[key]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return d, nil
}

func (s *benchMemStore) Delete(_ context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

func (s *benchMemStore) List(_ context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := storage.CheckList(prefix, limit); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	var keys []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	s.mu.Unlock()
	slices.Sort(keys)
	if len(keys) > limit {
		return keys[:limit], true, nil
	}
	return keys, false, nil
}

func newBenchStack(b *testing.B) *stack {
	return newStack(b, stackOptions{newStore: func(testing.TB) storage.Store { return &benchMemStore{m: map[string][]byte{}} }})
}

// runBench times op over b.N iterations, with the stack's counters zeroed before, and
// reports the store writes, reads and Tencent calls each iteration made.
func runBench(b *testing.B, st *stack, op func(i int)) {
	b.ReportAllocs()
	st.store.reset()
	before := st.faceid.calls.Load()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op(i)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(st.store.creates.Load())/n, "writes/op")
	b.ReportMetric(float64(st.store.gets.Load())/n, "reads/op")
	b.ReportMetric(float64(st.faceid.calls.Load()-before)/n, "tencent-calls/op")
}

// BenchmarkStart is POST /start: options, one signed Apply to the in-process sandbox over
// loopback, one create.
func BenchmarkStart(b *testing.B) {
	st := newBenchStack(b)
	body := `{"returnTo":"` + returnTo + `","mode":3,"extra":"order-1"}`
	runBench(b, st, func(int) {
		if rec := st.postJSON("/start", body); rec.Code != http.StatusCreated {
			b.Fatalf("start = %d %s", rec.Code, rec.Body)
		}
	})
}

// BenchmarkCallback is GET /callback on finished verifications: binding check, one result
// read from Tencent, one create, the redirect.
func BenchmarkCallback(b *testing.B) {
	st := newBenchStack(b)
	browsers := make([]*browser, b.N)
	for i := range browsers {
		browsers[i] = st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
		st.setOutcome(browsers[i].token, sandbox.Outcome{Result: sandbox.ResultPass})
	}
	runBench(b, st, func(i int) {
		if rec := st.callback(browsers[i]); rec.Code != http.StatusFound {
			b.Fatalf("callback = %d", rec.Code)
		}
	})
}

// BenchmarkResultTerminal is GET /result with a ticket on a terminal session: one store
// read and no Tencent call.
func BenchmarkResultTerminal(b *testing.B) {
	st := newBenchStack(b)
	br := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	st.setOutcome(br.token, sandbox.Outcome{Result: sandbox.ResultPass})
	land := st.mustCallback(br)
	target := "/result?token=" + url.QueryEscape(br.token) + "&ticket=" + url.QueryEscape(land.ticket)
	runBench(b, st, func(int) {
		if rec := st.get(target); rec.Code != http.StatusOK {
			b.Fatalf("result = %d", rec.Code)
		}
	})
}

// BenchmarkResultMerchant is the merchant's full result on a terminal session.
func BenchmarkResultMerchant(b *testing.B) {
	st := newBenchStack(b)
	br := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	st.setOutcome(br.token, sandbox.Outcome{Result: sandbox.ResultPass})
	st.mustCallback(br)
	target := "/result?token=" + url.QueryEscape(br.token)
	runBench(b, st, func(int) {
		if rec := st.get(target, "Authorization", "Bearer "+merchantKey); rec.Code != http.StatusOK {
			b.Fatalf("result = %d", rec.Code)
		}
	})
}

// BenchmarkSweep is one sweeper run over 1,000 due sessions whose users finished and
// closed the tab: for each, one Tencent read, the result stored, the event queued and
// delivered to a webhook receiver, the purge scheduled. The store is in memory and the
// run unpaced, so the figures are the sweeper's own work; per-session metrics count what
// a sweep adds to a verification.
func BenchmarkSweep(b *testing.B) {
	const sessions = 1000
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(rcv.Close)
	st := newStack(b, stackOptions{
		newStore: func(testing.TB) storage.Store { return &benchMemStore{m: map[string][]byte{}} },
		config: func(c *core.Config) {
			c.SweepRate = core.Unpaced
			c.Webhook = core.Webhook{URL: rcv.URL, Secrets: []string{webhookSecret}}
		},
	})
	b.ReportAllocs()
	var elapsed time.Duration
	var reads, writes, deletes, lists, calls int64
	for i := 0; i < b.N; i++ {
		for range sessions {
			rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}, "Authorization", "Bearer "+merchantKey)
			st.setOutcome(tokenOf(b, rec), sandbox.Outcome{Result: sandbox.ResultPass})
		}
		st.clock.Advance(3 * time.Minute)
		st.store.reset()
		before := st.faceid.calls.Load()
		started := time.Now()
		rep, err := st.svc.Sweep(context.Background())
		elapsed += time.Since(started)
		if err != nil || rep.Finished != sessions || rep.Delivered != sessions || rep.Remaining {
			b.Fatalf("sweep: %+v %v", rep, err)
		}
		reads += st.store.gets.Load()
		writes += st.store.creates.Load()
		deletes += st.store.deletes.Load()
		lists += st.store.lists.Load()
		calls += st.faceid.calls.Load() - before
	}
	n := float64(b.N * sessions)
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/run")
	b.ReportMetric(float64(calls)/n, "tencent-calls/session")
	b.ReportMetric(float64(reads)/n, "reads/session")
	b.ReportMetric(float64(writes)/n, "writes/session")
	b.ReportMetric(float64(deletes)/n, "deletes/session")
	b.ReportMetric(float64(lists)/float64(b.N), "lists/run")
}
