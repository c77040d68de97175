// Package scfrpc serves the runtime protocol of Tencent SCF event functions with
// runtime Go1: the platform starts the function's executable with
// $_LAMBDA_SERVER_PORT set, dials that port on loopback and calls the net/rpc
// (gob) service "Function" with Ping until the process answers, then Invoke once
// per event. It is the protocol of AWS's retired go1.x runtime, which Tencent's
// scf-go-lib forked; this package speaks it directly so the binary needs neither.
//
// The runtime's side is Go's net/rpc client; this side is net/rpc's wire format
// written out on encoding/gob (a request header and its argument, a response header
// and its reply, per call), not net/rpc's server: that one finds methods by
// reflection, which keeps every exported method of the whole binary from the
// linker's dead-code elimination, and it links html/template for a debug page.
package scfrpc

import (
	"bufio"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Error types reported in InvokeResponseError.Type.
const (
	// ErrorTypeHandler marks an error the handler returned.
	ErrorTypeHandler = "HandlerError"
	// ErrorTypePanic marks a handler panic that the server recovered.
	ErrorTypePanic = "Panic"
	// ErrorTypeEnvironment marks an InvokeRequest.Environment that is not a JSON object.
	ErrorTypeEnvironment = "EnvironmentError"
)

// HandlerFunc handles one event: it receives InvokeRequest.Payload and returns
// the bytes for InvokeResponse.Payload. A returned error is reported to the
// runtime with its Error() text, so it must not carry request data or secrets.
type HandlerFunc func(ctx context.Context, payload []byte) ([]byte, error)

// rotatingEnv lists the variables whose values change during the life of one
// process: the execution role's temporary keys. They are always taken from the
// newest InvokeRequest.Environment, while every other variable is only filled in
// when the process does not have it yet.
var rotatingEnv = map[string]bool{
	"TENCENTCLOUD_SECRETID":     true,
	"TENCENTCLOUD_SECRETKEY":    true,
	"TENCENTCLOUD_SESSIONTOKEN": true,
}

// Server serves the "Function" RPC service. The zero value is not usable: Handler
// is required. A Server may serve several listeners.
type Server struct {
	// Handler handles each event.
	Handler HandlerFunc
	// Logger receives start-up, shutdown and failure records (never payloads).
	// Records about an invocation are logged with its context, where FromContext finds
	// the request id (platform.LogHandler adds it to every such record). Nil discards
	// them.
	Logger *slog.Logger
	// Now is the clock used for deadlines derived from TimeLimitInMs; nil means time.Now.
	Now func() time.Time
	// LookupEnv and Setenv apply InvokeRequest.Environment; nil means the process
	// environment (os.LookupEnv, os.Setenv).
	LookupEnv func(key string) (string, bool)
	Setenv    func(key, value string) error
	// ShutdownGrace bounds how long Serve waits for running invocations once its
	// context is done; zero means 5 seconds.
	ShutdownGrace time.Duration
}

// Serve accepts runtime connections on lis until ctx is done, then stops
// accepting, lets running invocations finish (up to ShutdownGrace), closes the
// connections and returns nil. It returns an error if lis fails for another reason.
// Invocations do not inherit ctx's cancellation: a shutdown signal must not cut
// off an event the platform has already handed over; their deadline comes from the
// request.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	if s.Handler == nil {
		return errors.New("scfrpc: Server.Handler is nil")
	}
	fn := &function{srv: s, base: context.WithoutCancel(ctx)}

	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		wg    sync.WaitGroup
	)
	stop := context.AfterFunc(ctx, func() { lis.Close() })
	defer stop()

	for {
		conn, err := lis.Accept()
		if err != nil {
			if ctx.Err() == nil {
				return fmt.Errorf("scfrpc: accept: %w", err)
			}
			break
		}
		mu.Lock()
		conns[conn] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn.serveConn(conn)
			mu.Lock()
			delete(conns, conn)
			mu.Unlock()
		}()
	}

	s.logger().InfoContext(ctx, "scf runtime listener closed; draining invocations")
	grace := s.ShutdownGrace
	if grace <= 0 {
		grace = 5 * time.Second
	}
	fn.waitIdle(grace)
	mu.Lock()
	for c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	return nil
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// applyEnvironment sets the variables of an InvokeRequest.Environment JSON object.
// Variables already present keep their value (configuration is fixed for the life of
// the process), except the rotating role keys, which always take the newest value.
func (s *Server) applyEnvironment(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	var vars map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &vars); err != nil {
		return errors.New("environment is not a JSON object")
	}
	lookup, setenv := s.LookupEnv, s.Setenv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if setenv == nil {
		setenv = os.Setenv
	}
	for key, rawValue := range vars {
		if key == "" || strings.ContainsAny(key, "=\x00") {
			continue
		}
		value, ok := envValue(rawValue)
		if !ok {
			continue
		}
		if _, present := lookup(key); present && !(rotatingEnv[key] && value != "") {
			continue
		}
		if err := setenv(key, value); err != nil {
			return fmt.Errorf("set %s: %w", key, err)
		}
	}
	return nil
}

// envValue turns a JSON scalar into the text of an environment variable; objects,
// arrays and null are not variables and are skipped.
func envValue(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, !strings.ContainsRune(s, 0)
	}
	text := strings.TrimSpace(string(raw))
	if text == "" || text == "null" || text[0] == '{' || text[0] == '[' {
		return "", false
	}
	return text, true
}

// Invocation describes the event being handled; the server puts it in the
// handler's context.
type Invocation struct {
	RequestID       string
	TraceID         string
	FunctionName    string
	FunctionVersion string
	Namespace       string
	Region          string
	MemoryLimitInMB int32
	// Deadline is zero when the runtime sent neither a deadline nor a time limit.
	Deadline time.Time
}

type invocationKey struct{}

// FromContext returns the Invocation of the event a handler is serving.
func FromContext(ctx context.Context) (Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(Invocation)
	return inv, ok
}

// function is the "Function" service: its methods Ping and Invoke are the calls
// serveConn answers.
type function struct {
	srv  *Server
	base context.Context

	mu      sync.Mutex
	running int
	idle    chan struct{} // closed when running drops to zero; nil when nobody waits
}

// Invoke runs the handler for one event. Failures travel in resp.Error, so the
// runtime always learns what happened.
func (f *function) Invoke(req InvokeRequest, resp *InvokeResponse) {
	*resp = InvokeResponse{}

	inv := Invocation{
		RequestID:       req.RequestId,
		TraceID:         req.TraceId,
		FunctionName:    req.FunctionName,
		FunctionVersion: req.FunctionVersion,
		Namespace:       req.Namespace,
		Region:          req.TencentcloudRegion,
		MemoryLimitInMB: req.MemoryLimitInMb,
	}
	switch {
	case req.Deadline.Seconds != 0 || req.Deadline.Nanos != 0:
		inv.Deadline = time.Unix(req.Deadline.Seconds, req.Deadline.Nanos)
	case req.TimeLimitInMs > 0:
		inv.Deadline = f.srv.now().Add(time.Duration(req.TimeLimitInMs) * time.Millisecond)
	}
	ctx := context.WithValue(f.base, invocationKey{}, inv)
	cancel := context.CancelFunc(func() {})
	if !inv.Deadline.IsZero() {
		ctx, cancel = context.WithDeadline(ctx, inv.Deadline)
	}
	defer cancel()

	if err := f.srv.applyEnvironment(req.Environment); err != nil {
		f.srv.logger().WarnContext(ctx, "scf invoke: environment not applied", "error", err)
		resp.Error = &InvokeResponseError{Type: ErrorTypeEnvironment, Message: err.Error()}
		return
	}

	defer func() {
		if v := recover(); v != nil {
			// The panic value may hold request data, so only its type is reported;
			// the stack shows where it happened.
			resp.Payload = nil
			resp.Error = &InvokeResponseError{
				Type:       ErrorTypePanic,
				Message:    fmt.Sprintf("function panicked (%T)", v),
				StackTrace: stackTrace(),
			}
			f.srv.logger().ErrorContext(ctx, "scf invoke: handler panicked", "panic_type", fmt.Sprintf("%T", v))
		}
	}()
	payload, err := f.srv.Handler(ctx, req.Payload)
	if err != nil {
		resp.Error = &InvokeResponseError{Type: ErrorTypeHandler, Message: err.Error()}
		return
	}
	resp.Payload = payload
}

func (f *function) begin() {
	f.mu.Lock()
	f.running++
	f.mu.Unlock()
}

// end marks an invocation's reply as sent.
func (f *function) end() {
	f.mu.Lock()
	f.running--
	if f.running == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
	f.mu.Unlock()
}

// waitIdle blocks until every started invocation's reply has been written, or
// grace has passed.
func (f *function) waitIdle(grace time.Duration) {
	f.mu.Lock()
	if f.running == 0 {
		f.mu.Unlock()
		return
	}
	if f.idle == nil {
		f.idle = make(chan struct{})
	}
	idle := f.idle
	f.mu.Unlock()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-idle:
	case <-timer.C:
	}
}

// stackTrace describes the panicking goroutine's frames, skipping the runtime's
// own panic machinery and this package's recovery frames.
func stackTrace() []*StackFrame {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var out []*StackFrame
	for {
		fr, more := frames.Next()
		if !strings.HasPrefix(fr.Function, "runtime.") {
			out = append(out, &StackFrame{Path: fr.File, Line: int32(fr.Line), Label: fr.Function})
		}
		if !more {
			break
		}
	}
	return out
}

// rpcRequest and rpcResponse are net/rpc's Request and Response headers: gob matches
// them by field name, so these are what the runtime's net/rpc client sends and reads.
type rpcRequest struct {
	ServiceMethod string
	Seq           uint64
}

type rpcResponse struct {
	ServiceMethod string
	Seq           uint64
	Error         string
}

// serveConn answers the calls of one runtime connection until it closes, as net/rpc's
// server does: each call's header, then its argument, are read in turn; Invoke runs
// in a goroutine of its own and its reply is written when it is done, so a slow event
// does not hold up a Ping. A call of another method gets net/rpc's error reply. It
// returns when the connection fails or closes, once every reply has been written.
func (f *function) serveConn(conn net.Conn) {
	c := newServerCodec(conn)
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		conn.Close()
	}()
	for {
		var h rpcRequest
		if err := c.dec.Decode(&h); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) {
				f.srv.logger().Warn("scf runtime connection: unreadable call", "error", err)
			}
			return
		}
		switch h.ServiceMethod {
		case "Function.Ping":
			var req PingRequest
			if err := c.dec.Decode(&req); err != nil {
				c.write(h, "rpc: cannot decode the argument: "+err.Error(), struct{}{})
				return
			}
			c.write(h, "", &PingResponse{})
		case "Function.Invoke":
			var req InvokeRequest
			if err := c.dec.Decode(&req); err != nil {
				c.write(h, "rpc: cannot decode the argument: "+err.Error(), struct{}{})
				return
			}
			// The matching end() runs once the reply is written, so a shutdown never
			// closes the connection between the two.
			f.begin()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer f.end()
				var resp InvokeResponse
				f.Invoke(req, &resp)
				c.write(h, "", &resp)
			}()
		default:
			// net/rpc reads and drops the argument of a call it cannot serve.
			if err := c.dec.DecodeValue(reflect.Value{}); err != nil {
				return
			}
			c.write(h, "rpc: can't find method "+h.ServiceMethod, struct{}{})
		}
	}
}

// serverCodec writes net/rpc's gob encoding of replies, one at a time per connection.
type serverCodec struct {
	conn io.Closer
	dec  *gob.Decoder

	mu  sync.Mutex
	buf *bufio.Writer
	enc *gob.Encoder
}

func newServerCodec(conn io.ReadWriteCloser) *serverCodec {
	buf := bufio.NewWriter(conn)
	return &serverCodec{conn: conn, dec: gob.NewDecoder(conn), buf: buf, enc: gob.NewEncoder(buf)}
}

// write sends the reply to the call h: the response header (with errText, "" for
// success) and body. A connection that cannot take it is closed, which ends serveConn.
func (c *serverCodec) write(h rpcRequest, errText string, body any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.enc.Encode(rpcResponse{ServiceMethod: h.ServiceMethod, Seq: h.Seq, Error: errText})
	if err == nil {
		err = c.enc.Encode(body)
	}
	if err == nil {
		err = c.buf.Flush()
	}
	if err != nil {
		c.conn.Close()
	}
}
