package platform

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Scheduled events reach Options.Scheduled, not the HTTP handler. What counts as one:
//   - Lambda: any valid JSON event that is not an API Gateway REST (payload 1.0), HTTP
//     API (payload 2.0) or Function URL request. An EventBridge Scheduler schedule
//     delivers its Input ({} when unset), an EventBridge rule the CloudWatch scheduled
//     event {"detail-type":"Scheduled Event","source":"aws.events",...}.
//   - SCF event functions: the timer trigger's {"Type":"Timer","TriggerName":...}.
//   - SCF web functions and the local server take no scheduled events (SCF gives web
//     functions HTTP triggers only), so Run refuses a Scheduled function on scf-web.
// A function without Scheduled refuses every such event as before: an invocation error.

// scheduledAnswer is the invocation's answer when Scheduled succeeds. Nobody waits for
// it; the platform records it.
var scheduledAnswer = []byte(`{"ok":true}`)

// errScheduledPanicked is the invocation error of a Scheduled function that panicked.
var errScheduledPanicked = errors.New("platform: the scheduled run panicked")

// scheduledReserve is how much of an invocation's remaining time Scheduled does not get:
// a tenth, at most a second. Work in hand may run until Scheduled's own deadline; the
// reserve is what is left to hand the answer to the platform before its deadline, after
// which Lambda and SCF count the invocation as timed out and recycle the instance.
func scheduledReserve(remaining time.Duration) time.Duration {
	return max(min(remaining/10, time.Second), 0)
}

// runScheduled runs Options.Scheduled for one scheduled event and logs one line about
// it, with the platform's request id. trigger names the kind of event in that line.
// Scheduled's error is the invocation's error, so the platform records a failed run.
func (a *adapter) runScheduled(ctx context.Context, id, trigger string) ([]byte, error) {
	ctx = withRequestInfo(ctx, requestInfo{id: id})
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-scheduledReserve(time.Until(deadline))))
		defer cancel()
	}
	began := time.Now()
	err := a.callScheduled(ctx)
	took := time.Since(began).Milliseconds()
	if err != nil {
		a.logger.ErrorContext(ctx, "scheduled run failed", "trigger", trigger, "duration_ms", took, "err", err)
		return nil, fmt.Errorf("platform: scheduled run: %w", err)
	}
	a.logger.InfoContext(ctx, "scheduled run finished", "trigger", trigger, "duration_ms", took)
	return scheduledAnswer, nil
}

// callScheduled runs Scheduled, turning a panic into an error so the process keeps
// serving (as a panicking HTTP handler does). The panic value is not logged: it may
// hold data.
func (a *adapter) callScheduled(ctx context.Context) (err error) {
	defer func() {
		if v := recover(); v != nil {
			a.logger.ErrorContext(ctx, "scheduled run panicked", "panic_type", fmt.Sprintf("%T", v))
			err = errScheduledPanicked
		}
	}()
	return a.scheduled(ctx)
}
