package core

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// The sweeper is the patient poller. Each run reads the due index (due/, in time order)
// up to now and, for each session due, takes the next step of its schedule: ask Tencent
// (checkOffsets), store an expiry, or purge once the retention has passed. Then it
// delivers the webhooks due (outbox/). A run stops before its deadline and leaves the rest
// due; a run that dies loses nothing, because every step writes the next entry before it
// deletes its own, and writing the same step twice writes the same key.

// SweepReport counts what one run did.
type SweepReport struct {
	Due          int  // due entries taken
	TencentCalls int  // result reads sent to Tencent
	Finished     int  // sessions the run found or made terminal
	Purged       int  // sessions whose data the retention removed
	Delivered    int  // webhook events the merchant took
	Undelivered  int  // delivery attempts that failed (queued again)
	Failed       int  // entries left for the next run after a store or Tencent fault
	Remaining    bool // the run stopped at its deadline with work still due
}

// Sweep limits.
const (
	// sweepPage is how many due keys one List returns.
	sweepPage = 100
	// sweepWorkers is how many entries a run works on at once; Tencent calls are paced
	// separately, so this only hides store and webhook latency.
	sweepWorkers = 8
	// defaultSweepBudget bounds a run whose context has no deadline.
	defaultSweepBudget = 50 * time.Second
	// sweepTencentTimeout bounds one Tencent read of the sweeper.
	sweepTencentTimeout = 10 * time.Second
)

// Sweep runs the sweeper once, until everything due now is done or its deadline (the
// context's, less a margin for the platform to take the answer) is near.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	run := &sweepRun{s: s, pace: newPacer(s.cfg.SweepRate)}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(defaultSweepBudget)
	}
	// Stop taking new work with a fifth of the time (at most 5 s) to spare, so entries in
	// hand finish and the platform sees the run end on time.
	margin := min(time.Until(deadline)/5, 5*time.Second)
	run.stopAt = deadline.Add(-margin)
	err := errors.Join(
		run.each(ctx, duePrefix, 0, s.sweepDue),
		run.each(ctx, outboxPrefix, 0, s.sweepOutbox),
		run.each(ctx, startTokensPrefix, 0, s.sweepSpentToken),
		run.each(ctx, probesPrefix, probeGrace, s.sweepProbe),
	)
	run.mu.Lock()
	defer run.mu.Unlock()
	level := slog.LevelDebug
	if run.rep != (SweepReport{}) {
		level = slog.LevelInfo
	}
	s.log.Log(ctx, level, "sweep finished", "due", run.rep.Due, "tencent_calls", run.rep.TencentCalls,
		"finished", run.rep.Finished, "purged", run.rep.Purged, "delivered", run.rep.Delivered,
		"undelivered", run.rep.Undelivered, "failed", run.rep.Failed, "remaining", run.rep.Remaining)
	return run.rep, err
}

// sweepRun is the state of one run, shared by its workers.
type sweepRun struct {
	s      *Service
	pace   *pacer
	stopAt time.Time
	mu     sync.Mutex
	rep    SweepReport
}

func (r *sweepRun) count(f func(*SweepReport)) {
	r.mu.Lock()
	f(&r.rep)
	r.mu.Unlock()
}

func (r *sweepRun) late() bool { return !time.Now().Before(r.stopAt) }

// probeGrace is how old a start's marker must be before the sweeper takes it for a start
// that died half way: far longer than any start takes.
const probeGrace = 10 * time.Minute

// each lists the time-ordered folder prefix up to now (less grace) and hands every entry
// to step, sweepWorkers at a time. A step's error is counted and its entry left for the
// next run; only a failure to list fails the run.
func (r *sweepRun) each(ctx context.Context, prefix string, grace time.Duration, step func(context.Context, *sweepRun, string, string) error) error {
	now := r.s.now().Add(-grace)
	work := make(chan [2]string)
	var wg sync.WaitGroup
	for range sweepWorkers {
		wg.Go(func() {
			for kv := range work {
				err := step(ctx, r, kv[0], kv[1])
				switch {
				case errors.Is(err, errSweepStopped):
					r.count(func(rep *SweepReport) { rep.Remaining = true })
				case err != nil:
					r.count(func(rep *SweepReport) { rep.Failed++ })
					r.s.log.WarnContext(ctx, "sweep: entry left for the next run", "err", logErr(err))
				}
			}
		})
	}
	defer func() { close(work); wg.Wait() }()
	after := ""
	for {
		if r.late() || ctx.Err() != nil {
			r.count(func(rep *SweepReport) { rep.Remaining = true })
			return nil
		}
		keys, more, err := r.s.store.List(ctx, prefix, after, sweepPage)
		if err != nil {
			if ctx.Err() != nil {
				r.count(func(rep *SweepReport) { rep.Remaining = true })
				return nil
			}
			return storeError("list "+keyFolder(prefix), err)
		}
		for _, key := range keys {
			at, name, ok := parseTimedKey(prefix, key)
			if ok && at.After(now) {
				return nil // the folder is in time order: nothing further is due
			}
			if r.late() || ctx.Err() != nil {
				r.count(func(rep *SweepReport) { rep.Remaining = true })
				return nil
			}
			if !ok {
				continue // not ours; never delete what we cannot read
			}
			select {
			case work <- [2]string{key, name}:
			case <-ctx.Done():
				r.count(func(rep *SweepReport) { rep.Remaining = true })
				return nil
			}
		}
		if !more || len(keys) == 0 {
			return nil
		}
		after = keys[len(keys)-1]
	}
}

func (s *Service) sweepOutbox(ctx context.Context, r *sweepRun, key, name string) error {
	ok, err := s.deliver(ctx, key, name)
	r.count(func(rep *SweepReport) {
		if ok {
			rep.Delivered++
		} else if err == nil {
			rep.Undelivered++
		}
	})
	return err
}

// errSweepStopped leaves an entry for the next run because this one is out of time.
var errSweepStopped = errors.New("sweep: out of time")

// pacer spaces calls at most rate per second, across a run's workers.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newPacer(rate float64) *pacer {
	if rate <= 0 { // Unpaced
		return &pacer{}
	}
	return &pacer{interval: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until the next call may go. It gives up at once, with errSweepStopped,
// when that would be after stopAt, and when ctx ends.
func (p *pacer) wait(ctx context.Context, stopAt time.Time) error {
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	if at.After(stopAt) {
		p.mu.Unlock()
		return errSweepStopped
	}
	p.next = at.Add(p.interval)
	p.mu.Unlock()
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return errSweepStopped
	}
}
