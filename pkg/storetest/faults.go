package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/storage"
)

// Fault is what Faults does with one request.
type Fault int

// The faults Faults can inject.
const (
	// Pass hands the request to the real server.
	Pass Fault = iota
	// Status500 answers 500 InternalError without reaching the server.
	Status500
	// Status503 answers 503 ServiceUnavailable without reaching the server.
	Status503
	// Slow waits SlowDelay, then hands the request to the server.
	Slow
	// Stall never answers; it holds the request until the client gives up (or
	// StallLimit passes, so a broken client cannot hang the test run).
	Stall
	// Drop closes the connection without answering.
	Drop
	// Oversized answers a GET with 200 and a Content-Length over storage.MaxObjectSize,
	// sends a little of the body and then holds the rest like Stall: a store that reads
	// before checking the announced length never returns. Other methods pass.
	Oversized
	// LoseAnswer hands the request to the server, which carries it out, then closes
	// the connection without sending the answer: the client cannot tell whether its
	// request took effect.
	LoseAnswer
)

// SlowDelay is how long a Slow request waits; StallLimit bounds a Stall.
const (
	SlowDelay  = 20 * time.Millisecond
	StallLimit = 10 * time.Second
)

// Faults is HTTP middleware in front of a storage test server that fails requests
// according to a rule, and counts them. It stands for the object store's bad days:
// overload (503), internal errors (500), latency, hung and dropped connections.
type Faults struct {
	next  http.Handler
	mu    sync.Mutex
	rule  func(n int) Fault
	count int
}

// Wrap makes f the front of next and returns it; until Set is called, f passes every
// request through. The zero Faults is ready for Wrap.
func (f *Faults) Wrap(next http.Handler) http.Handler {
	f.next = next
	return f
}

// Set makes rule decide the fate of each following request; n counts them from 1
// since this call. A nil rule passes everything.
func (f *Faults) Set(rule func(n int) Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rule = rule
	f.count = 0
}

// Requests returns how many requests arrived since the last Set.
func (f *Faults) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count
}

// Always applies fault to every request.
func Always(fault Fault) func(int) Fault {
	return func(int) Fault { return fault }
}

// First applies fault to the first k requests and passes the rest.
func First(k int, fault Fault) func(int) Fault {
	return func(n int) Fault {
		if n <= k {
			return fault
		}
		return Pass
	}
}

// Every applies fault to every k-th request (the k-th, the 2k-th, ...).
func Every(k int, fault Fault) func(int) Fault {
	return func(n int) Fault {
		if n%k == 0 {
			return fault
		}
		return Pass
	}
}

// ServeHTTP implements http.Handler.
func (f *Faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.count++
	fault := Pass
	if f.rule != nil {
		fault = f.rule(f.count)
	}
	n := f.count
	f.mu.Unlock()

	switch fault {
	case Status500:
		answerError(w, r, http.StatusInternalServerError, "InternalError", n)
	case Status503:
		answerError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", n)
	case Slow:
		select {
		case <-time.After(SlowDelay):
			f.next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	case Stall:
		// Reading the body lets the server notice when the client hangs up.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(StallLimit):
		}
	case Drop:
		io.Copy(io.Discard, r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(fmt.Sprintf("storetest: cannot drop the connection: %v", err))
		}
		conn.Close()
	case LoseAnswer:
		f.next.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(fmt.Sprintf("storetest: cannot drop the connection: %v", err))
		}
		conn.Close()
	case Oversized:
		if r.Method != http.MethodGet {
			f.next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(storage.MaxObjectSize+1))
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 1024))
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(StallLimit):
		}
	default:
		f.next.ServeHTTP(w, r)
	}
}

// answerError answers with the XML error body S3 and COS both use. The request body is
// read first so the client sees the answer rather than a reset while still sending.
func answerError(w http.ResponseWriter, r *http.Request, status int, code string, n int) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>injected fault</Message><RequestId>fault-%d</RequestId></Error>", code, n)
}

// FaultOptions describes the store under RunFaults.
type FaultOptions struct {
	// MaxAttempts is how often the store's client sends one operation at most, first
	// try included. RunFaults checks that retries happen and stop there.
	MaxAttempts int
	// Secrets are strings (credentials) that must never appear in an error.
	Secrets []string
}

// RunFaults checks how a networked store behaves when its backend misbehaves: errors
// that are neither ErrNotFound nor ErrExists (so the core never mistakes an outage for
// an answer), bounded retries, recovery from a share of failures, context deadlines
// honoured, and no credentials in error text. For every operation: a 5xx is retried by
// the client and then reported; a dropped or hung connection fails within the context's
// deadline; a failure has no partial effect (a failed Create leaves no object, a failed
// Delete leaves the object whole or gone, a failed List returns no keys, however many
// pages it had read); and a Delete whose answer was lost is retried and succeeds,
// because deletes are idempotent. newStore must put faults in front of the store's test
// server with faults.Wrap.
func RunFaults(t *testing.T, newStore func(t *testing.T, faults *Faults) storage.Store, opts FaultOptions) {
	if opts.MaxAttempts < 1 {
		t.Fatal("storetest: FaultOptions.MaxAttempts must be at least 1")
	}
	record := []byte(`{"v":1,"status":"passed"}`)

	for _, fault := range []Fault{Status503, Status500, Drop} {
		t.Run(fmt.Sprintf("Unavailable/%s", fault), func(t *testing.T) {
			faults := &Faults{}
			s := newStore(t, faults)
			mustCreate(t, s, "results/kept.json", record)
			faults.Set(Always(fault))
			err := s.Create(t.Context(), "results/down.json", record)
			assertOutage(t, "Create", err, opts)
			assertAttempts(t, faults, opts.MaxAttempts, fault)
			faults.Set(Always(fault))
			_, err = s.Get(t.Context(), "results/down.json")
			assertOutage(t, "Get", err, opts)
			assertAttempts(t, faults, opts.MaxAttempts, fault)
			faults.Set(Always(fault))
			err = s.Delete(t.Context(), "results/kept.json")
			assertOutage(t, "Delete", err, opts)
			assertAttempts(t, faults, opts.MaxAttempts, fault)
			faults.Set(Always(fault))
			keys, more, err := s.List(t.Context(), "results/", "", 10)
			assertOutage(t, "List", err, opts)
			assertNoKeys(t, keys, more)
			assertAttempts(t, faults, opts.MaxAttempts, fault)
			faults.Set(nil)
			if _, err := s.Get(t.Context(), "results/down.json"); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("after the outage: Get err = %v, want ErrNotFound (nothing was written)", err)
			}
			// The failed Delete never reached the store, so it removed nothing.
			assertGet(t, s, "results/kept.json", record)
			assertList(t, s, "results/", "", 10, []string{"results/kept.json"}, false)
		})
	}

	t.Run("RetriedOnce", func(t *testing.T) {
		if opts.MaxAttempts < 2 {
			t.Skip("the store does not retry")
		}
		faults := &Faults{}
		s := newStore(t, faults)
		faults.Set(First(1, Status500))
		if err := s.Create(t.Context(), "results/retried.json", record); err != nil {
			t.Fatalf("Create after one 500: %v", err)
		}
		if n := faults.Requests(); n != 2 {
			t.Errorf("Create after one 500 sent %d requests, want 2", n)
		}
		faults.Set(First(1, Status503))
		assertGet(t, s, "results/retried.json", record)
		faults.Set(First(1, Status503))
		assertList(t, s, "results/", "", 10, []string{"results/retried.json"}, false)
		if n := faults.Requests(); n != 2 {
			t.Errorf("List after one 503 sent %d requests, want 2", n)
		}
		faults.Set(First(1, Status500))
		mustDelete(t, s, "results/retried.json")
		if n := faults.Requests(); n != 2 {
			t.Errorf("Delete after one 500 sent %d requests, want 2", n)
		}
		assertMissing(t, s, "results/retried.json")
	})

	t.Run("DeleteAnswerLost", func(t *testing.T) {
		if opts.MaxAttempts < 2 {
			t.Skip("the store does not retry")
		}
		faults := &Faults{}
		s := newStore(t, faults)
		mustCreate(t, s, "results/lost.json", record)
		// The first DELETE lands but its answer is lost; the retry finds no object
		// and succeeds, as an idempotent delete must.
		faults.Set(First(1, LoseAnswer))
		mustDelete(t, s, "results/lost.json")
		if n := faults.Requests(); n != 2 {
			t.Errorf("Delete after a lost answer sent %d requests, want 2", n)
		}
		assertMissing(t, s, "results/lost.json")

		// Every answer lost: the Delete fails, yet the object is gone or whole.
		mustCreate(t, s, "results/lost-all.json", record)
		faults.Set(Always(LoseAnswer))
		assertOutage(t, "Delete", s.Delete(t.Context(), "results/lost-all.json"), opts)
		faults.Set(nil)
		if data, err := s.Get(t.Context(), "results/lost-all.json"); !errors.Is(err, storage.ErrNotFound) && (err != nil || !bytes.Equal(data, record)) {
			t.Fatalf("after a failed Delete: Get = %s, %v; want the whole object or ErrNotFound", preview(data), err)
		}
	})

	t.Run("ListFailsMidway", func(t *testing.T) {
		faults := &Faults{}
		s := newStore(t, faults)
		keys := make([]string, storage.MaxListLimit+1)
		for i := range keys {
			keys[i] = fmt.Sprintf("mid/%04d", i)
		}
		createAll(t, s, keys)
		// A List of MaxListLimit keys needs a second request to know whether more
		// follow; it fails after the first page has arrived.
		faults.Set(func(n int) Fault {
			if n == 1 {
				return Pass
			}
			return Status503
		})
		got, more, err := s.List(t.Context(), "mid/", "", storage.MaxListLimit)
		assertOutage(t, "List", err, opts)
		assertNoKeys(t, got, more)
		if n := faults.Requests(); n != 1+opts.MaxAttempts {
			t.Errorf("List failing on its second page sent %d requests, want %d", n, 1+opts.MaxAttempts)
		}
		faults.Set(nil)
		assertList(t, s, "mid/", "", storage.MaxListLimit, keys[:storage.MaxListLimit], true)
	})

	t.Run("ShareOfFailures", func(t *testing.T) {
		if opts.MaxAttempts < 2 {
			t.Skip("the store does not retry")
		}
		faults := &Faults{}
		s := newStore(t, faults)
		faults.Set(Every(3, Status503))
		var keys []string
		for i := range 12 {
			key := fmt.Sprintf("results/share-%d.json", i)
			data := fmt.Appendf(nil, `{"n":%d}`, i)
			if err := s.Create(t.Context(), key, data); err != nil {
				t.Fatalf("Create %d with every third request failing: %v", i, err)
			}
			assertGet(t, s, key, data)
			keys = append(keys, key)
		}
		slices.Sort(keys)
		if got, _ := listAll(t, s, "results/share-", 5); !slices.Equal(got, keys) {
			t.Fatalf("paged List with every third request failing = %s, want %s", keyList(got), keyList(keys))
		}
		for _, k := range keys {
			mustDelete(t, s, k)
		}
		assertList(t, s, "results/share-", "", 10, nil, false)
	})

	t.Run("Slow", func(t *testing.T) {
		faults := &Faults{}
		s := newStore(t, faults)
		faults.Set(Always(Slow))
		mustCreate(t, s, "results/slow.json", record)
		assertGet(t, s, "results/slow.json", record)
		assertList(t, s, "results/", "", 10, []string{"results/slow.json"}, false)
		mustDelete(t, s, "results/slow.json")
		assertMissing(t, s, "results/slow.json")
	})

	t.Run("AnnouncedTooLarge", func(t *testing.T) {
		faults := &Faults{}
		s := newStore(t, faults)
		faults.Set(Always(Oversized))
		// The deadline only bounds a broken store; a correct one answers at once.
		ctx, cancel := context.WithTimeout(t.Context(), StallLimit/2)
		defer cancel()
		if _, err := s.Get(ctx, "results/huge.json"); !errors.Is(err, storage.ErrTooLarge) {
			t.Fatalf("Get of an object announced over MaxObjectSize: err = %v, want ErrTooLarge before reading the body", err)
		}
	})

	t.Run("Deadline", func(t *testing.T) {
		faults := &Faults{}
		s := newStore(t, faults)
		mustCreate(t, s, "results/kept.json", record)
		faults.Set(Always(Stall))
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		err := s.Create(ctx, "results/stalled.json", record)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Create against a stalled server: err = %v, want context.DeadlineExceeded", err)
		}
		assertOutage(t, "Create", err, opts)
		ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err = s.Get(ctx, "results/stalled.json")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get against a stalled server: err = %v, want context.DeadlineExceeded", err)
		}
		ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		err = s.Delete(ctx, "results/kept.json")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Delete against a stalled server: err = %v, want context.DeadlineExceeded", err)
		}
		assertOutage(t, "Delete", err, opts)
		ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		keys, more, err := s.List(ctx, "results/", "", 10)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("List against a stalled server: err = %v, want context.DeadlineExceeded", err)
		}
		assertNoKeys(t, keys, more)
		faults.Set(nil)
		if _, err := s.Get(t.Context(), "results/stalled.json"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("after the stall: Get err = %v, want ErrNotFound", err)
		}
		assertGet(t, s, "results/kept.json", record)
	})
}

func assertOutage(t *testing.T, op string, err error, opts FaultOptions) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s against a failing server succeeded", op)
	}
	for _, sentinel := range []error{storage.ErrNotFound, storage.ErrExists, storage.ErrTooLarge} {
		if errors.Is(err, sentinel) {
			t.Fatalf("%s against a failing server: err = %v, which the core would read as an answer", op, err)
		}
	}
	for _, secret := range opts.Secrets {
		if secret != "" && strings.Contains(err.Error(), secret) {
			t.Fatalf("%s error text contains a credential: %v", op, err)
		}
	}
}

func assertNoKeys(t *testing.T, keys []string, more bool) {
	t.Helper()
	if keys != nil || more {
		t.Fatalf("a failed List returned %s, more %v; want no keys", keyList(keys), more)
	}
}

func assertAttempts(t *testing.T, f *Faults, max int, fault Fault) {
	t.Helper()
	n := f.Requests()
	if n != max {
		t.Errorf("fault %s: the store sent %d requests, want %d (the first try and its bounded retries)", fault, n, max)
	}
}

// String names a fault in test output.
func (f Fault) String() string {
	switch f {
	case Pass:
		return "pass"
	case Status500:
		return "500"
	case Status503:
		return "503"
	case Slow:
		return "slow"
	case Stall:
		return "stall"
	case Drop:
		return "drop"
	case Oversized:
		return "oversized"
	case LoseAnswer:
		return "lose-answer"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}
