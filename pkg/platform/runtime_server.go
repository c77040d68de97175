//go:build !lambda

package platform

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server timeouts. Writes get the most room: the result function may wait on
// Tencent within the gateway's 30 s integration timeout.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 10 * time.Second
	maxHeaderBytes    = 64 << 10
)

// This file is the HTTP server of SCF web functions and of the local server: in every
// build but the Lambda one (-tags lambda). runtime_local.go starts the local one.

// runSCFWeb serves an SCF web function: plain HTTP on 0.0.0.0:9000.
func runSCFWeb(ctx context.Context, a *adapter, opts Options, getenv func(string) string) error {
	if opts.Scheduled != nil {
		// A sweeper deployed as a web function would never run: SCF gives web
		// functions HTTP triggers only. Failing here makes the deployment fail.
		return fmt.Errorf("platform: %s runs on timer events, which SCF web functions never receive; deploy it as an event function (runtime Go1, handler main)", cmp.Or(opts.Name, "this function"))
	}
	return a.runServer(ctx, SCFWeb, serverAddr(SCFWeb, opts.Addr, getenv))
}

// serverAddr is where the HTTP runtimes listen. SCF routes web-function traffic to
// port 9000 on every interface, whatever the configuration says; the local server
// stays on loopback.
func serverAddr(kind Kind, addr string, getenv func(string) string) string {
	if kind == SCFWeb {
		if v := getenv(EnvSCFWebAddr); v != "" {
			return v
		}
		return "0.0.0.0:9000"
	}
	if addr != "" {
		return addr
	}
	if p := getenv(envPort); p != "" {
		return net.JoinHostPort("127.0.0.1", p)
	}
	return "127.0.0.1:8080"
}

// runServer serves plain HTTP on addr until ctx is done, then stops accepting and
// waits up to shutdownTimeout for running requests.
func (a *adapter) runServer(ctx context.Context, kind Kind, addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("platform: listen on %s: %w", addr, err)
	}
	return a.serve(ctx, kind, lis)
}

// serve serves plain HTTP on lis until ctx is done, then shuts down gracefully.
func (a *adapter) serve(ctx context.Context, kind Kind, lis net.Listener) error {
	a.logger.InfoContext(ctx, "runtime selected", "runtime", string(kind), "addr", lis.Addr().String())

	// Requests keep ctx's values (the function name) but not its cancellation, so
	// a SIGTERM lets them finish during Shutdown instead of cutting them off.
	base := context.WithoutCancel(ctx)
	srv := &http.Server{
		Handler:           a.serverHandler(kind),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()

	select {
	case err := <-errc:
		return fmt.Errorf("platform: serve: %w", err)
	case <-ctx.Done():
	}
	a.logger.InfoContext(ctx, "shutting down")
	sctx, cancel := context.WithTimeout(base, shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("platform: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("platform: serve: %w", err)
	}
	return nil
}

// serverHandler adds to h what the event adapters do for their requests: the
// request id in the context (and, behind SCF's proxy, the client IP; elsewhere
// ClientIP reads the connection's address), the 6 MB request cap, and a JSON 500
// instead of a dropped connection when the handler panics.
func (a *adapter) serverHandler(kind Kind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := requestInfo{}
		if kind == SCFWeb {
			// SCF's built-in proxy adds these to requests for web functions, and nothing
			// but that proxy reaches a web function's port; elsewhere they are ignored.
			info.id = r.Header.Get("X-Scf-Request-Id")
			info.clientIP = r.Header.Get("X-Scf-Remote-Addr")
		}
		if info.id == "" {
			info.id = newRequestID()
		}
		r = r.WithContext(withRequestInfo(r.Context(), info))

		if r.ContentLength > MaxEventSize {
			writeEventResponse(w, tooLarge())
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxEventSize)
		}
		sw := &statusWriter{ResponseWriter: w}
		if a.callHandler(sw, r) && !sw.wrote {
			writeEventResponse(w, errorResponse(http.StatusInternalServerError, "internal", "Something went wrong. Please try again."))
		}
	})
}

// statusWriter records whether the handler started its response, so a panic after
// that point is not followed by a second response.
type statusWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writeEventResponse(w http.ResponseWriter, r eventResponse) {
	for k, vs := range r.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// newRequestID makes a request id for runtimes that do not supply one.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
