package runtimetest

import (
	"context"
	"fmt"
	"net/rpc"
	"sync/atomic"
	"time"
)

// The SCF Go1 runtime's messages, declared here apart from package scfrpc on purpose: gob
// matches struct fields by name, not by type or package, so these independently declared
// types interoperate with the function exactly as the runtime's own do, and a field
// renamed in scfrpc shows up as a value lost on the wire instead of compiling quietly.

// PingRequest is the argument of Function.Ping.
type PingRequest struct{}

// PingResponse is the reply to Function.Ping.
type PingResponse struct{}

// Timestamp is InvokeRequest.Deadline: seconds and nanoseconds since the Unix epoch.
type Timestamp struct {
	Seconds int64
	Nanos   int64
}

// TimestampOf converts t for InvokeRequest.Deadline.
func TimestampOf(t time.Time) Timestamp {
	return Timestamp{Seconds: t.Unix(), Nanos: int64(t.Nanosecond())}
}

// Time is the instant ts stands for.
func (ts Timestamp) Time() time.Time { return time.Unix(ts.Seconds, ts.Nanos) }

// InvokeRequest is the argument of Function.Invoke with every field the runtime sends.
type InvokeRequest struct {
	// Payload is the event, passed through untouched: an API Gateway or function-URL
	// event, a timer trigger's {"Type":"Timer",...}, or anything else.
	Payload               []byte
	RequestId             string
	TraceId               string
	Deadline              Timestamp
	InvokedFunctionUnique string
	ClientContext         []byte
	Namespace             string
	FunctionName          string
	FunctionVersion       string
	MemoryLimitInMb       int32
	TimeLimitInMs         int32
	// Environment is a JSON object of variables the process should see from this
	// invocation on; SCF sends the function's configuration and fresh role keys here.
	Environment        string
	TencentcloudRegion string
	TencentcloudAppID  string
	TencentcloudUin    string
	FunctionTrace      string
}

// InvokeResponse is the reply to Function.Invoke: a payload or an error.
type InvokeResponse struct {
	Payload []byte
	Error   *InvokeError
}

// InvokeError is a failed invocation as the function reports it to the runtime.
type InvokeError struct {
	Message    string
	Type       string
	StackTrace []*StackFrame
	ShouldExit bool
}

// StackFrame is one frame of InvokeError.StackTrace.
type StackFrame struct {
	Path  string
	Line  int32
	Label string
}

// SCFRuntime plays SCF's Go1 runtime for one event-function process: a net/rpc client
// of the process's Function service, on the port the process was given in
// _LAMBDA_SERVER_PORT.
type SCFRuntime struct {
	// FunctionName goes into the requests NewRequest makes, as SCF names the deployed
	// function there.
	FunctionName string

	client *rpc.Client
}

// scfRequests numbers request ids across every SCFRuntime of a process, so ids stay
// unique when one test talks to several functions.
var scfRequests atomic.Int64

// DialSCF connects to a function's RPC server at addr and pings it once, which is how the
// runtime learns that a fresh process is ready; retry it with WaitUntil while the
// process starts.
func DialSCF(addr string) (*SCFRuntime, error) {
	client, err := rpc.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	rt := &SCFRuntime{FunctionName: "facegate", client: client}
	if err := rt.Ping(); err != nil {
		client.Close()
		return nil, err
	}
	return rt, nil
}

// Ping calls Function.Ping.
func (rt *SCFRuntime) Ping() error {
	return rt.client.Call("Function.Ping", PingRequest{}, &PingResponse{})
}

// Close closes the connection; the function treats it as the runtime going away.
func (rt *SCFRuntime) Close() error { return rt.client.Close() }

// NewRequest is the request SCF sends for payload to a function whose timeout is
// timeLimit: a fresh request id, the deadline timeLimit from now (whole milliseconds,
// as the runtime sends it) and the same limit in TimeLimitInMs, and the function's
// identity. Callers set Environment and anything else on the result.
func (rt *SCFRuntime) NewRequest(payload []byte, timeLimit time.Duration) InvokeRequest {
	deadline := time.Now().Add(timeLimit).Truncate(time.Millisecond)
	return InvokeRequest{
		Payload:            payload,
		RequestId:          fmt.Sprintf("scf-req-%04d", scfRequests.Add(1)),
		Deadline:           TimestampOf(deadline),
		Namespace:          "default",
		FunctionName:       rt.FunctionName,
		FunctionVersion:    "$LATEST",
		MemoryLimitInMb:    128,
		TimeLimitInMs:      int32(timeLimit.Milliseconds()),
		TencentcloudRegion: "ap-singapore",
	}
}

// Invoke sends req as it is and returns the function's reply. An error means the call
// itself failed (ctx ended, the connection broke); a failed invocation is a reply with
// Error set.
func (rt *SCFRuntime) Invoke(ctx context.Context, req InvokeRequest) (InvokeResponse, error) {
	var resp InvokeResponse
	call := rt.client.Go("Function.Invoke", req, &resp, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		if call.Error != nil {
			return InvokeResponse{}, fmt.Errorf("Function.Invoke: %w", call.Error)
		}
		return resp, nil
	case <-ctx.Done():
		return InvokeResponse{}, fmt.Errorf("no answer to Function.Invoke: %w", ctx.Err())
	}
}
