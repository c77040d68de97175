package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/facegate/facegate/internal/errbody"
	"github.com/facegate/facegate/pkg/platform"
)

// Main is a deployed function's main: Run with the process's environment and stdout, and
// on failure the error on stderr and exit status 1.
func Main(function, version string, with ...Option) {
	if err := Run(context.Background(), function, version, os.Getenv, os.Stdout, with...); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", function, err)
		os.Exit(1)
	}
}

// Run is the whole life of a deployed function: read the configuration, log JSON lines
// (each with the platform's request id) to stdout, build the function and serve it on the
// runtime the environment says this is, until ctx ends or the platform stops it. Missing
// configuration fails here, before anything is served — except on SCF event functions,
// where it may arrive with the first invocation (see deferred); a store or runtime that
// this build variant does not carry (platform.VariantError) fails at once everywhere.
func Run(ctx context.Context, function, version string, getenv func(string) string, stdout io.Writer, with ...Option) error {
	logger := slog.New(platform.LogHandler(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: logLevel(getenv("FACEGATE_LOG_LEVEL"))})))
	build := func() (*Parts, error) {
		cfg, err := LoadConfig(getenv)
		if err != nil {
			return nil, err
		}
		logger.InfoContext(ctx, "starting", "function", function, "version", version, "flow", cfg.Core.Flow, "store", cfg.Store.Kind)
		return New(ctx, cfg, logger, with...)
	}
	d := &deferred{function: function, build: build, logger: logger}
	if _, err := d.parts(ctx); err != nil {
		// A store this build does not carry stays missing whatever arrives later.
		var wrongBuild *platform.VariantError
		if kind, kerr := platform.Detect(getenv); kerr != nil || kind != platform.SCFEvent || errors.As(err, &wrongBuild) {
			return err
		}
		// The error names the missing variables, never their values.
		logger.WarnContext(ctx, "configuration incomplete at start-up; reading it again at the first invocation", "err", err)
	}
	opts := platform.Options{Name: function, Getenv: getenv, Logger: logger}
	if function == "sweep" {
		opts.Scheduled = d.sweep
	}
	return platform.Run(ctx, d, opts)
}

// deferred builds the function at the first request or timer event that finds the
// configuration complete. SCF's Go1 runtime sends the function's environment with every
// Invoke (pkg/scfrpc applies it to the process before the handler runs), and whether it is
// also set when the process starts is not documented, so an event function reads its
// configuration again rather than exiting. Until it is complete, requests get a 500 and
// the log names what is missing.
type deferred struct {
	function string
	build    func() (*Parts, error)
	logger   *slog.Logger

	mu sync.Mutex
	p  *Parts
	h  http.Handler
}

func (d *deferred) parts(ctx context.Context) (*Parts, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.p != nil {
		return d.p, nil
	}
	p, err := d.build()
	if err != nil {
		return nil, err
	}
	h, err := p.Handler(d.function)
	if err != nil {
		return nil, err
	}
	d.p, d.h = p, h
	return p, nil
}

func (d *deferred) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, err := d.parts(r.Context()); err != nil {
		d.logger.ErrorContext(r.Context(), "configuration incomplete", "err", err)
		errbody.Write(w, http.StatusInternalServerError, errbody.InternalCode, errbody.InternalMessage)
		return
	}
	d.h.ServeHTTP(w, r)
}

// sweep runs the sweeper for one timer event.
func (d *deferred) sweep(ctx context.Context) error {
	p, err := d.parts(ctx)
	if err != nil {
		d.logger.ErrorContext(ctx, "configuration incomplete", "err", err)
		return err
	}
	_, err = p.Service.Sweep(ctx)
	return err
}

// logLevel reads FACEGATE_LOG_LEVEL (debug, info, warn, error); anything else is info.
func logLevel(v string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(v))); err != nil {
		return slog.LevelInfo
	}
	return l
}
