package app

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/facegate/facegate/pkg/platform"
)

// Run is the whole life of a deployed function: read the configuration, log JSON lines
// (each with the platform's request id) to stdout, build the function's handler and serve
// it on the runtime the environment says this is, until ctx ends or the platform stops it.
// Missing configuration fails here, before anything is served.
func Run(ctx context.Context, function, version string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(platform.LogHandler(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: logLevel(getenv("FACEGATE_LOG_LEVEL"))})))
	logger.InfoContext(ctx, "starting", "function", function, "version", version, "flow", cfg.Core.Flow, "store", cfg.Store.Kind)
	h, err := Build(ctx, function, cfg, logger)
	if err != nil {
		return err
	}
	return platform.Run(ctx, h, platform.Options{Name: function, Getenv: getenv, Logger: logger})
}

// logLevel reads FACEGATE_LOG_LEVEL (debug, info, warn, error); anything else is info.
func logLevel(v string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(v))); err != nil {
		return slog.LevelInfo
	}
	return l
}
