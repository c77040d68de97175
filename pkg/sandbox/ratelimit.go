package sandbox

import (
	"sync"
	"time"
)

// limiter is a token bucket per action, as Tencent limits each action separately. It runs
// on the sandbox clock, so tests drive it without sleeping. The bucket holds one second of
// requests: a burst of rate requests passes, the next one in the same second does not.
type limiter struct {
	rate    float64 // requests per second; negative disables
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate int) *limiter {
	return &limiter{rate: float64(rate), buckets: make(map[string]*bucket)}
}

// allow takes one token from the bucket of key at time now. Keys are action names,
// checked before, so the map stays as small as the action list.
func (l *limiter) allow(key string, now time.Time) bool {
	if l.rate < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.rate, last: now}
		l.buckets[key] = b
	}
	// A clock moved backwards (the control API allows it) refills nothing.
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.rate, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
