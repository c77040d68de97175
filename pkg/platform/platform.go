// Package platform runs one http.Handler wherever the binary is deployed: as an AWS
// Lambda function (API Gateway REST payload 1.0, HTTP API payload 2.0, Function
// URLs), as a Tencent SCF event function (runtime Go1, API Gateway and function-URL
// events), as a Tencent SCF web function (HTTP on 0.0.0.0:9000), or as a plain
// local HTTP server. net/http is adapted to each platform once, here, so the
// functions stay platform-neutral. A function that runs on a timer also gets the
// platform's scheduled events (Options.Scheduled; see scheduled.go).
//
// Each runtime lives in a file of its own (runtime_*.go), and a build carries the ones
// its tags select (variant_*.go): -tags lambda the Lambda runtime only, -tags scf the
// SCF event and web runtimes only, no platform tag all four.
package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
)

// Kind names a runtime the binary can serve.
type Kind string

// The runtimes Run supports.
const (
	// Lambda is AWS Lambda on provided.al2023, talking to the Runtime API.
	Lambda Kind = "lambda"
	// SCFEvent is a Tencent SCF event function (runtime Go1, net/rpc on $_LAMBDA_SERVER_PORT).
	SCFEvent Kind = "scf-event"
	// SCFWeb is a Tencent SCF web function started by scf_bootstrap (HTTP on 0.0.0.0:9000).
	SCFWeb Kind = "scf-web"
	// Local is a plain HTTP server for a laptop or any host.
	Local Kind = "local"
)

// Environment variables the package reads through Options.Getenv.
const (
	// EnvRuntime overrides detection; its value is one of the Kind names.
	EnvRuntime = "FACEGATE_RUNTIME"
	// EnvSCFWebAddr replaces the fixed 0.0.0.0:9000 of SCF web functions. It exists
	// for tests only (so a test can listen on loopback and a free port); SCF
	// itself only routes to port 9000.
	EnvSCFWebAddr = "FACEGATE_SCF_WEB_ADDR"
	envLambdaAPI  = "AWS_LAMBDA_RUNTIME_API"
	envSCFPort    = "_LAMBDA_SERVER_PORT"
	envSCFRunEnv  = "TENCENTCLOUD_RUNENV"
	envPort       = "PORT"
)

// MaxEventSize is the largest request event (or request body, for the HTTP
// servers) the adapters accept: the 6 MB synchronous payload limit that Lambda and
// SCF share. Larger requests get a 413 JSON error without reaching the handler.
const MaxEventSize = 6 << 20

// maxResponseSize is the matching limit on what a function may answer: Lambda and
// SCF reject larger responses with an opaque gateway error, so the adapters
// replace them with a JSON 500 the client can read.
const maxResponseSize = 6 << 20

// Detect picks the runtime from the environment:
//   - FACEGATE_RUNTIME set: that Kind (an unknown value is an error);
//   - AWS_LAMBDA_RUNTIME_API set: Lambda;
//   - _LAMBDA_SERVER_PORT set: SCFEvent (SCF's Go1 runtime sets it for event functions);
//   - TENCENTCLOUD_RUNENV=SCF without _LAMBDA_SERVER_PORT: SCFWeb, because SCF
//     marks every function's environment that way and only event functions get an
//     RPC port (the scf_bootstrap we ship also sets FACEGATE_RUNTIME=scf-web, so web
//     functions never depend on this rule alone);
//   - otherwise Local.
func Detect(getenv func(string) string) (Kind, error) {
	if v := strings.TrimSpace(getenv(EnvRuntime)); v != "" {
		k := Kind(strings.ToLower(v))
		switch k {
		case Lambda, SCFEvent, SCFWeb, Local:
			return k, nil
		}
		return "", fmt.Errorf("platform: %s=%q is not one of lambda, scf-event, scf-web, local", EnvRuntime, v)
	}
	switch {
	case getenv(envLambdaAPI) != "":
		return Lambda, nil
	case getenv(envSCFPort) != "":
		return SCFEvent, nil
	case strings.EqualFold(getenv(envSCFRunEnv), "SCF"):
		return SCFWeb, nil
	}
	return Local, nil
}

// Options configure Run.
type Options struct {
	// Name is the function's name (start, callback, result, sweep); it is added to
	// every log record made through LogHandler.
	Name string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// Logger receives the adapters' own records; nil means slog.Default().
	Logger *slog.Logger
	// Addr is the listen address of the local server; empty means 127.0.0.1:$PORT,
	// or 127.0.0.1:8080 without PORT. SCF web functions ignore it and listen on
	// 0.0.0.0:9000 (see EnvSCFWebAddr).
	Addr string
	// Listener, when set, is where the local server accepts connections instead of
	// opening Addr: a caller that must know the port before building its handler (a
	// callback URL that names it) binds first and hands the listener over, so no other
	// process can take the port in between. Run closes it when it stops, and leaves
	// signal handling to the caller.
	Listener net.Listener
	// Kind forces a runtime (a command-line flag, say); empty means Detect.
	Kind Kind
	// Scheduled, when set, runs for each scheduled event: an SCF timer trigger, an
	// EventBridge Scheduler or CloudWatch scheduled event on Lambda. Its context ends a
	// little before the invocation's deadline (scheduledReserve), so the answer still
	// reaches the platform in time. Its error marks the invocation failed. Functions
	// without it refuse such events as not HTTP. SCF web functions take no timer
	// triggers, so Run refuses to serve a Scheduled function as one.
	Scheduled func(ctx context.Context) error
}

// Run serves h on the runtime chosen by opts (or detected), logs that choice once,
// and blocks until ctx is done or SIGTERM/SIGINT arrives, then shuts down
// gracefully and returns nil. It returns an error if the runtime cannot start (a
// bad FACEGATE_RUNTIME, a port in use, a missing runtime variable, a runtime this build
// does not carry: a *VariantError).
//
// On Lambda the runtime loop belongs to aws-lambda-go, which reads
// AWS_LAMBDA_RUNTIME_API from the process environment and exits the process if
// the Runtime API fails; that is how Lambda expects a runtime to fail.
func Run(ctx context.Context, h http.Handler, opts Options) error {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	kind := opts.Kind
	if kind == "" {
		var err error
		if kind, err = Detect(getenv); err != nil {
			return err
		}
	}
	switch kind {
	case Lambda, SCFEvent, SCFWeb, Local:
	default:
		return fmt.Errorf("platform: unknown runtime %q", kind)
	}
	run, ok := runtimes[kind]
	if !ok {
		return notInThisBuild(kind, opts.Kind == "" && strings.TrimSpace(getenv(EnvRuntime)) == "")
	}
	if kind != Local && getenv("GOMAXPROCS") == "" {
		// A function instance serves one event at a time on a share of a CPU (at the
		// templates' 128 MB, Lambda gives about a fourteenth of one; SCF likewise in
		// proportion to memory), yet both platforms show the guest two or more CPUs. A
		// second P then only adds scheduling and GC work that competes for the same
		// share, and a cold start's first answer comes later (README, "Benchmarks").
		// The platform's GOMAXPROCS variable, when set, wins.
		runtime.GOMAXPROCS(1)
	}

	// A caller that hands over its own listener runs more than this server and owns
	// the process's signals (a second Ctrl-C must still reach it); otherwise Run does.
	if opts.Listener == nil {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
		defer stop()
	}
	if opts.Name != "" {
		ctx = context.WithValue(ctx, functionKey{}, opts.Name)
	}
	return run(ctx, &adapter{handler: h, scheduled: opts.Scheduled, logger: logger}, opts, getenv)
}

// runner serves one runtime until ctx is done; each lives in the file of its runtime,
// and the build variant's file lists those the binary carries (runtimes).
type runner func(ctx context.Context, a *adapter, opts Options, getenv func(string) string) error

// notInThisBuild is the start-up error of a binary asked to run a runtime its build
// variant does not carry. detected says the runtime was inferred from the environment
// rather than asked for, which the message then explains.
func notInThisBuild(kind Kind, detected bool) error {
	var names []string
	for _, k := range []Kind{Lambda, SCFEvent, SCFWeb, Local} {
		if _, ok := runtimes[k]; ok {
			names = append(names, string(k))
		}
	}
	err := &VariantError{Carries: "the " + runtimeNoun(names), Want: string(kind)}
	if detected {
		err.Hint = fmt.Sprintf("the environment says %s (%s)", kind, detectionReason(kind))
	}
	return err
}

// runtimeNoun lists runtimes by name: "lambda runtime", "scf-event and scf-web runtimes".
func runtimeNoun(names []string) string {
	if len(names) == 1 {
		return names[0] + " runtime"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " runtimes"
}

// detectionReason says which rule of Detect chose kind.
func detectionReason(kind Kind) string {
	switch kind {
	case Lambda:
		return envLambdaAPI + " is set"
	case SCFEvent:
		return envSCFPort + " is set"
	case SCFWeb:
		return envSCFRunEnv + "=SCF without " + envSCFPort
	}
	return "none of " + envLambdaAPI + ", " + envSCFPort + ", " + envSCFRunEnv + " is set"
}

// Variant names the platform this binary was built for: "lambda" (go build -tags
// lambda: the Lambda runtime only), "scf" (-tags scf: the SCF event and web runtimes
// only), or "" for a build that carries every runtime (the local binary, a plain go
// build). The stores follow the same tags (pkg/app).
const Variant = variant

// VariantName is Variant as a person reads it: "AWS Lambda", "Tencent SCF", or "" for
// the build that carries everything.
const VariantName = variantName

// VariantError is the start-up error of a platform build (Variant not "") asked for a
// runtime or a store it does not carry.
type VariantError struct {
	// Carries says what the build has, such as "the S3 store" or "the lambda runtime".
	Carries string
	// Want is what was asked for: a runtime or store name.
	Want string
	// Hint, when set, says where Want came from.
	Hint string
}

func (e *VariantError) Error() string {
	msg := fmt.Sprintf("this build for %s carries %s only; build without -tags %s for %s", VariantName, e.Carries, Variant, e.Want)
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// adapter holds what every runtime needs: the handler, the scheduled function (nil
// for functions that only serve HTTP) and the logger.
type adapter struct {
	handler   http.Handler
	scheduled func(context.Context) error
	logger    *slog.Logger
}

type functionKey struct{}

// requestInfo is what the adapters learn about a request from the platform.
type requestInfo struct {
	id       string
	clientIP string
}

type requestInfoKey struct{}

func withRequestInfo(ctx context.Context, info requestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestID returns the platform's id for the request being served: Lambda's
// request id, SCF's request id, the X-Scf-Request-Id header of web functions, or
// one generated locally. It returns "" outside a request.
func RequestID(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey{}).(requestInfo); ok && info.id != "" {
		return info.id
	}
	for _, id := range requestIDs {
		if v := id(ctx); v != "" {
			return v
		}
	}
	return ""
}

// ClientIP returns the address of the client as the platform saw it: the event's
// requestContext source IP on Lambda and SCF API Gateway events, the
// x-scf-remote-addr header on SCF function URLs and web functions, the connection's
// remote address locally. Headers a client can set (X-Forwarded-For) are never used.
func ClientIP(r *http.Request) string {
	if info, ok := r.Context().Value(requestInfoKey{}).(requestInfo); ok && info.clientIP != "" {
		return info.clientIP
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// LogHandler wraps next so that every record logged with a request's context
// carries request_id, and every record logged under Run carries function (the
// Options.Name), which is how records of one request are found in CloudWatch or CLS.
func LogHandler(next slog.Handler) slog.Handler {
	return logHandler{next: next}
}

type logHandler struct {
	next slog.Handler
}

func (h logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.next.Handle(ctx, r)
	}
	id := RequestID(ctx)
	name, _ := ctx.Value(functionKey{}).(string)
	if id == "" && name == "" {
		return h.next.Handle(ctx, r)
	}
	r = r.Clone()
	if name != "" {
		r.AddAttrs(slog.String("function", name))
	}
	if id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.next.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{next: h.next.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{next: h.next.WithGroup(name)}
}

// errUnsupportedEvent is returned to the runtime for events that are not HTTP
// requests, nor scheduled events of a function with Options.Scheduled (a warm-up, a
// test event): there is no client to answer.
var errUnsupportedEvent = errors.New("platform: event is not an HTTP request of a supported shape")
