package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/facegate/facegate/internal/errbody"
	"github.com/facegate/facegate/pkg/platform"
)

// Run is the whole life of a deployed function: read the configuration, log JSON lines
// (each with the platform's request id) to stdout, build the function's handler and serve
// it on the runtime the environment says this is, until ctx ends or the platform stops it.
// Missing configuration fails here, before anything is served — except on SCF event
// functions, where it may arrive with the first invocation (see deferredHandler).
func Run(ctx context.Context, function, version string, getenv func(string) string, stdout io.Writer) error {
	logger := slog.New(platform.LogHandler(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: logLevel(getenv("FACEGATE_LOG_LEVEL"))})))
	opts := platform.Options{Name: function, Getenv: getenv, Logger: logger}
	build := func() (http.Handler, error) {
		cfg, err := LoadConfig(getenv)
		if err != nil {
			return nil, err
		}
		logger.InfoContext(ctx, "starting", "function", function, "version", version, "flow", cfg.Core.Flow, "store", cfg.Store.Kind)
		return Build(ctx, function, cfg, logger)
	}
	h, err := build()
	if err != nil {
		if kind, kerr := platform.Detect(getenv); kerr != nil || kind != platform.SCFEvent {
			return err
		}
		// The error names the missing variables, never their values.
		logger.WarnContext(ctx, "configuration incomplete at start-up; reading it again at the first invocation", "err", err)
		h = &deferredHandler{build: build, logger: logger}
	}
	return platform.Run(ctx, h, opts)
}

// deferredHandler builds the function's handler at the first request that finds the
// configuration complete. SCF's Go1 runtime sends the function's environment with every
// Invoke (pkg/scfrpc applies it to the process before the handler runs), and whether it is
// also set when the process starts is not documented, so an event function reads its
// configuration again rather than exiting. Until it is complete, requests get a 500 and
// the log names what is missing.
type deferredHandler struct {
	mu     sync.Mutex
	h      http.Handler
	build  func() (http.Handler, error)
	logger *slog.Logger
}

func (d *deferredHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	if d.h == nil {
		h, err := d.build()
		if err != nil {
			d.mu.Unlock()
			d.logger.ErrorContext(r.Context(), "configuration incomplete", "err", err)
			errbody.Write(w, http.StatusInternalServerError, errbody.InternalCode, errbody.InternalMessage)
			return
		}
		d.h = h
	}
	h := d.h
	d.mu.Unlock()
	h.ServeHTTP(w, r)
}

// logLevel reads FACEGATE_LOG_LEVEL (debug, info, warn, error); anything else is info.
func logLevel(v string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(v))); err != nil {
		return slog.LevelInfo
	}
	return l
}
