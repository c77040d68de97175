package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/facegate/facegate/pkg/storage"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/platform"
)

// Functions are the names Build accepts: one per deployed function, and "all" for the
// local stack, which mounts the three HTTP functions on their paths. "sweep" is the
// scheduled function: it answers no HTTP request and runs Sweep on each timer event.
var Functions = []string{"start", "callback", "result", "sweep", "all"}

// Parts are what the functions are made of: the core service and its session store.
type Parts struct {
	Service *core.Service
	Store   storage.Store
	built   builtStore
	cfg     StoreConfig
}

// Option adds to a function what only it needs, so that the others do not link it:
// see WithQRCode.
type Option func(*core.Deps)

// WithQRCode gives the function a QR encoder for handoff links (qrcode.SVG): the start
// function, and the local stack, pass it from their main package.
func WithQRCode(render func(text string) (svg string, err error)) Option {
	return func(d *core.Deps) { d.QRCode = render }
}

// New builds the Tencent client, the store and the core service. It makes no network
// calls, so a cold start costs only this process's own set-up. Warnings in cfg are
// logged here, loudly.
func New(ctx context.Context, cfg Config, logger *slog.Logger, opts ...Option) (*Parts, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for _, w := range cfg.Warnings {
		logger.WarnContext(ctx, "!!! "+w)
	}
	client, err := faceid.New(cfg.FaceID)
	if err != nil {
		return nil, fmt.Errorf("app: Tencent client: %w", err)
	}
	built, err := newStore(ctx, cfg.Store, cfg.FaceID.Credentials)
	if err != nil {
		return nil, err
	}
	deps := core.Deps{FaceID: client, Store: built.store, Logger: logger}
	for _, o := range opts {
		o(&deps)
	}
	svc, err := core.New(cfg.Core, deps)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return &Parts{Service: svc, Store: built.store, built: built, cfg: cfg.Store}, nil
}

// Handler returns the HTTP handler of one function ("start", "callback", "result", or
// "all"). The sweep function's handler answers every request 404: it is run by its
// timer, never by a request.
func (p *Parts) Handler(function string) (http.Handler, error) {
	switch function {
	case "all":
		return withLocalMedia(p.Service.Routes(), p.built, p.cfg)
	case "sweep":
		return http.NotFoundHandler(), nil
	}
	return p.Service.Handler(function)
}

// Build returns the HTTP handler of one function, building only what it needs.
func Build(ctx context.Context, function string, cfg Config, logger *slog.Logger, opts ...Option) (http.Handler, error) {
	if !slices.Contains(Functions, function) {
		return nil, fmt.Errorf("app: unknown function %q (want start, callback, result, sweep or all)", function)
	}
	p, err := New(ctx, cfg, logger, opts...)
	if err != nil {
		return nil, err
	}
	return p.Handler(function)
}

// withLocalMedia mounts the local store's signed media links beside the functions when
// the store serves them (the local stack); otherwise it returns routes as they are.
func withLocalMedia(routes http.Handler, built builtStore, cfg StoreConfig) (http.Handler, error) {
	if built.media == nil || cfg.MediaBaseURL == "" {
		return routes, nil
	}
	u, err := url.Parse(cfg.MediaBaseURL)
	if err != nil {
		return nil, fmt.Errorf("app: FACEGATE_MEDIA_BASE_URL: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(strings.TrimSuffix(u.Path, "/")+"/", built.media)
	mux.Handle("/", routes)
	return mux, nil
}

// builtStore is a session store and, for the local store, the handler of its signed
// media links.
type builtStore struct {
	store storage.Store
	media http.Handler
}

// storeMaker builds one kind of store. The build variant's file (stores_*.go) lists the
// makers the binary carries: the Lambda build only S3's, the SCF build only COS's.
type storeMaker func(ctx context.Context, cfg StoreConfig, tencent faceid.Credentials) (builtStore, error)

// NewStore builds the session store cfg selects. COS requests are signed with tencent,
// the credentials of the Tencent API.
func NewStore(ctx context.Context, cfg StoreConfig, tencent faceid.Credentials) (storage.Store, error) {
	b, err := newStore(ctx, cfg, tencent)
	return b.store, err
}

func newStore(ctx context.Context, cfg StoreConfig, tencent faceid.Credentials) (builtStore, error) {
	switch cfg.Kind {
	case StoreLocal, StoreS3, StoreCOS:
	default:
		return builtStore{}, fmt.Errorf("app: unknown store %q", cfg.Kind)
	}
	build, ok := stores[cfg.Kind]
	if !ok {
		return builtStore{}, fmt.Errorf("app: FACEGATE_STORE: %w", &platform.VariantError{Carries: "the " + storeNoun(), Want: cfg.Kind})
	}
	return build(ctx, cfg, tencent)
}

// storeNoun names the stores this build carries: "S3 store", "COS store".
func storeNoun() string {
	names := map[string]string{StoreLocal: "local", StoreS3: "S3", StoreCOS: "COS"}
	var out []string
	for _, k := range []string{StoreLocal, StoreS3, StoreCOS} {
		if _, ok := stores[k]; ok {
			out = append(out, names[k])
		}
	}
	if len(out) == 1 {
		return out[0] + " store"
	}
	return strings.Join(out, ", ") + " stores"
}
