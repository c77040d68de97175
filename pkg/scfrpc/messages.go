package scfrpc

// The message types below are exchanged with the SCF Go1 runtime as gob values.
// gob matches struct fields by name, not by type name or package, so every field
// name here must stay exactly as the runtime spells it; renaming one silently
// drops that value on the wire.

// PingRequest is the argument of Function.Ping; the runtime sends it while it
// waits for the process to come up.
type PingRequest struct{}

// PingResponse is the reply to Function.Ping.
type PingResponse struct{}

// Timestamp is an absolute point in time as seconds and nanoseconds since the
// Unix epoch; InvokeRequest.Deadline uses it.
type Timestamp struct {
	Seconds int64
	Nanos   int64
}

// InvokeRequest is the argument of Function.Invoke: one event for the function.
type InvokeRequest struct {
	// Payload is the event JSON (an API Gateway or function-URL event for HTTP triggers).
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
	// Environment is a JSON object of environment variables the runtime wants the
	// process to see; see Server for how it is applied.
	Environment        string
	TencentcloudRegion string
	TencentcloudAppID  string
	TencentcloudUin    string
	FunctionTrace      string
}

// InvokeResponse is the reply to Function.Invoke: either a payload or an error.
type InvokeResponse struct {
	Payload []byte
	Error   *InvokeResponseError
}

// InvokeResponseError reports a failed invocation to the runtime. Message and Type
// reach the caller and the platform's logs, so they never carry request data.
type InvokeResponseError struct {
	Message    string
	Type       string
	StackTrace []*StackFrame
	// ShouldExit asks the runtime to recycle the process. The server never sets it:
	// a recovered panic leaves the process usable.
	ShouldExit bool
}

// StackFrame is one frame of InvokeResponseError.StackTrace.
type StackFrame struct {
	Path  string
	Line  int32
	Label string
}
