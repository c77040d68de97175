package runtimetest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Kinds of LambdaResult: the two ways a function can finish an invocation.
const (
	// KindResponse is an answer posted to /runtime/invocation/{id}/response.
	KindResponse = "response"
	// KindError is an invocation error posted to /runtime/invocation/{id}/error.
	KindError = "error"
)

// DefaultLambdaTimeout is the function timeout Invoke announces when its context has no
// deadline of its own.
const DefaultLambdaTimeout = 30 * time.Second

// LambdaResult is what the function posted back for one invocation.
type LambdaResult struct {
	// RequestID and Deadline are what the invocation was handed out with, so a test can
	// find them in the function's logs and in what it saw of its context.
	RequestID string
	Deadline  time.Time
	// Kind is KindResponse or KindError.
	Kind string
	// ErrorType is the Lambda-Runtime-Function-Error-Type header of an error.
	ErrorType string
	// Body is the response or error document as posted.
	Body []byte
}

// RuntimeAPI plays Lambda's side of the Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) for one function
// process: it hands queued events out on /next with a request id and a deadline, and
// collects what the function posts back. Unlike the RIE it shows invocation errors, init
// errors and the deadline the function was given, which is why tests keep it.
type RuntimeAPI struct {
	srv     *http.Server
	addr    string
	pending chan lambdaInvocation

	mu         sync.Mutex
	waiting    map[string]chan LambdaResult
	seq        int
	initErrors []string
	initFailed chan struct{} // closed by the first init error
}

type lambdaInvocation struct {
	id       string
	deadline time.Time
	payload  []byte
}

// ListenRuntimeAPI starts a Runtime API on a loopback port; Addr is the value for the
// function's AWS_LAMBDA_RUNTIME_API.
func ListenRuntimeAPI() (*RuntimeAPI, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	api := &RuntimeAPI{
		addr:       lis.Addr().String(),
		pending:    make(chan lambdaInvocation, 16),
		waiting:    map[string]chan LambdaResult{},
		initFailed: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", api.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", api.deliver(KindResponse))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", api.deliver(KindError))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", api.initError)
	api.srv = &http.Server{Handler: mux}
	go api.srv.Serve(lis)
	return api, nil
}

// Addr is the API's host:port.
func (api *RuntimeAPI) Addr() string { return api.addr }

// Close stops the API; a function still polling /next sees its connection close, as it
// would when Lambda freezes and retires the instance.
func (api *RuntimeAPI) Close() error { return api.srv.Close() }

// InitErrors returns the bodies the function posted to /runtime/init/error.
func (api *RuntimeAPI) InitErrors() []string {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]string(nil), api.initErrors...)
}

// Invoke queues payload, whatever it is, for the function and waits for its answer. The
// deadline handed out is ctx's (DefaultLambdaTimeout from now without one). It fails when
// ctx ends, when the function reports an init error, or when p exits first (p may be nil
// when the caller does not own the process).
func (api *RuntimeAPI) Invoke(ctx context.Context, p *Process, payload []byte) (LambdaResult, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultLambdaTimeout)
	}
	// The header carries milliseconds; the result reports what the function can see.
	deadline = time.UnixMilli(deadline.UnixMilli())

	api.mu.Lock()
	api.seq++
	id := fmt.Sprintf("8476a536-e9f4-11e8-9739-%012d", api.seq)
	answer := make(chan LambdaResult, 1)
	api.waiting[id] = answer
	api.mu.Unlock()
	defer func() {
		api.mu.Lock()
		delete(api.waiting, id)
		api.mu.Unlock()
	}()

	var exited <-chan struct{}
	if p != nil {
		exited = p.done
	}
	fail := func(err error) (LambdaResult, error) {
		return LambdaResult{RequestID: id, Deadline: deadline}, err
	}
	select {
	case api.pending <- lambdaInvocation{id: id, deadline: deadline, payload: payload}:
	case <-ctx.Done():
		return fail(fmt.Errorf("invocation not taken: %w", ctx.Err()))
	}
	select {
	case res := <-answer:
		res.RequestID, res.Deadline = id, deadline
		return res, nil
	case <-exited:
		return fail(fmt.Errorf("%w during invocation", p.exitError()))
	case <-api.initFailed:
		return fail(fmt.Errorf("function reported an init error: %s", api.InitErrors()[0]))
	case <-ctx.Done():
		return fail(fmt.Errorf("no answer to invocation: %w", ctx.Err()))
	}
}

// next long-polls like Lambda's /next: a function asks for its next event as soon as it
// has answered the last, and waits as long as it takes.
func (api *RuntimeAPI) next(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-api.pending:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:ap-southeast-1:123456789012:function:facegate")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-5e1b4151-5ac6c58f5b5daa6532e4f0e3;Parent=1;Sampled=0")
		h.Set("Content-Type", "application/json")
		w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

// deliver hands a posted answer to the Invoke waiting for it. A second answer to the same
// request, or one nobody waits for, is refused as Lambda refuses it.
func (api *RuntimeAPI) deliver(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		api.mu.Lock()
		answer := api.waiting[r.PathValue("id")]
		delete(api.waiting, r.PathValue("id"))
		api.mu.Unlock()
		if answer == nil {
			http.Error(w, "unknown request id", http.StatusBadRequest)
			return
		}
		answer <- LambdaResult{Kind: kind, ErrorType: r.Header.Get("Lambda-Runtime-Function-Error-Type"), Body: body}
		w.WriteHeader(http.StatusAccepted)
	}
}

func (api *RuntimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	api.mu.Lock()
	api.initErrors = append(api.initErrors, string(body))
	if len(api.initErrors) == 1 {
		close(api.initFailed)
	}
	api.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}
