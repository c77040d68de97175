package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/facegate/facegate/cmd/local/stack"
)

// The stages of one verification, in order; each is timed on its own.
const (
	stageStart    = "POST /start"
	stageOutcome  = "sandbox outcome"
	stageCallback = "GET /callback"
	stageResult   = "GET /result"
	stageTotal    = "whole verification"
)

var stages = []string{stageStart, stageOutcome, stageCallback, stageResult, stageTotal}

// Load describes one load test: complete verifications against a gateway and the
// sandbox's control API, at most Count of them and for at most Duration.
type Load struct {
	Gateway     string // the functions' origin, e.g. http://localhost:8080
	Control     string // the sandbox API origin whose /_sandbox/ control API scripts outcomes
	ReturnTo    string // an allowed returnTo; default Gateway + /demo/return.html
	MerchantKey string // the merchant key POST /start is called with, as a merchant's backend does
	Count       int
	Concurrency int
	Duration    time.Duration
	Client      *http.Client // default: stack.NewHTTPClient(Concurrency)
	Now         func() time.Time
}

// Report is what a Load measured.
type Report struct {
	Completed int
	Failed    int
	Elapsed   time.Duration
	// Latencies holds every successful request's duration per stage, sorted.
	Latencies map[string][]time.Duration
	// Errors counts failures per stage, and FirstError keeps one message per stage.
	Errors     map[string]int
	FirstError map[string]string
}

// Rate is complete verifications per second.
func (r *Report) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Completed) / r.Elapsed.Seconds()
}

// checkLoopback refuses targets off this machine: the load generator is for a local
// stack, and load must never leave loopback.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) origin", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address: the load generator only targets this machine", host)
}

// Run performs the load test.
func (l Load) Run(ctx context.Context) (*Report, error) {
	for _, u := range []string{l.Gateway, l.Control} {
		if err := checkLoopback(u); err != nil {
			return nil, err
		}
	}
	if l.Count <= 0 || l.Concurrency <= 0 || l.Duration <= 0 {
		return nil, errors.New("count, concurrency and duration must be positive")
	}
	l.Gateway = strings.TrimRight(l.Gateway, "/")
	l.Control = strings.TrimRight(l.Control, "/")
	if l.ReturnTo == "" {
		l.ReturnTo = l.Gateway + "/demo/return.html"
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.Client == nil {
		l.Client = stack.NewHTTPClient(l.Concurrency)
		defer l.Client.CloseIdleConnections()
	}
	client := &stack.Client{Gateway: l.Gateway, Control: l.Control, HTTP: l.Client, MerchantKey: l.MerchantKey}

	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()

	// Workers take jobs until Count is reached or time is up; each keeps its own
	// timings so that measuring adds no lock to the hot path.
	jobs := make(chan struct{})
	go func() {
		defer close(jobs)
		for range l.Count {
			select {
			case jobs <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	results := make([]*Report, l.Concurrency)
	var wg sync.WaitGroup
	begin := l.Now()
	for w := range l.Concurrency {
		results[w] = newReport()
		wg.Go(func() {
			for range jobs {
				if err := l.verify(ctx, client, results[w]); err != nil {
					if ctx.Err() != nil {
						return // cut off by the time limit: neither a success nor a failure
					}
					results[w].Failed++
				} else {
					results[w].Completed++
				}
			}
		})
	}
	wg.Wait()
	total := newReport()
	total.Elapsed = l.Now().Sub(begin)
	for _, r := range results {
		total.Completed += r.Completed
		total.Failed += r.Failed
		for s, d := range r.Latencies {
			total.Latencies[s] = append(total.Latencies[s], d...)
		}
		for s, n := range r.Errors {
			total.Errors[s] += n
			if total.FirstError[s] == "" {
				total.FirstError[s] = r.FirstError[s]
			}
		}
	}
	for _, d := range total.Latencies {
		slices.Sort(d)
	}
	return total, nil
}

func newReport() *Report {
	return &Report{
		Latencies:  make(map[string][]time.Duration),
		Errors:     make(map[string]int),
		FirstError: make(map[string]string),
	}
}

// verify runs one complete verification: start, the user's outcome on the sandbox,
// Tencent's redirect to the callback, and the return page's result read.
func (l Load) verify(ctx context.Context, c *stack.Client, rep *Report) error {
	begin := l.Now()
	timed := func(stage string, f func() error) error {
		t := l.Now()
		if err := f(); err != nil {
			if ctx.Err() == nil {
				rep.Errors[stage]++
				if rep.FirstError[stage] == "" {
					rep.FirstError[stage] = err.Error()
				}
			}
			return err
		}
		rep.Latencies[stage] = append(rep.Latencies[stage], l.Now().Sub(t))
		return nil
	}

	var started *stack.Started
	if err := timed(stageStart, func() (err error) {
		started, err = c.Start(ctx, l.ReturnTo)
		return err
	}); err != nil {
		return err
	}
	if err := timed(stageOutcome, func() error { return c.SetOutcome(ctx, started.Token, "pass") }); err != nil {
		return err
	}
	var back *stack.Returned
	if err := timed(stageCallback, func() (err error) {
		if back, err = c.Callback(ctx, started); err == nil && back.Status != "passed" {
			err = fmt.Errorf("callback: status %q, want passed", back.Status)
		}
		return err
	}); err != nil {
		return err
	}
	if err := timed(stageResult, func() error {
		sum, err := c.Result(ctx, started.Token, back.Ticket)
		if err == nil && sum.Status != "passed" {
			err = fmt.Errorf("result: status %q, want passed", sum.Status)
		}
		return err
	}); err != nil {
		return err
	}
	rep.Latencies[stageTotal] = append(rep.Latencies[stageTotal], l.Now().Sub(begin))
	return nil
}

// percentile returns the p-th percentile (0-100) of sorted durations by the
// nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}
