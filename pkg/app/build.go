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

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/filestore"
	"github.com/facegate/facegate/pkg/s3store"
)

// Functions are the names Build accepts: one per deployed function, and "all" for the
// local stack, which mounts the three HTTP functions on their paths. "sweep" is the
// scheduled function: it answers no HTTP request and runs Sweep on each timer event.
var Functions = []string{"start", "callback", "result", "sweep", "all"}

// Parts are what the functions are made of: the core service and its session store.
type Parts struct {
	Service *core.Service
	Store   storage.Store
	cfg     StoreConfig
}

// New builds the Tencent client, the store and the core service. It makes no network
// calls, so a cold start costs only this process's own set-up. Warnings in cfg are
// logged here, loudly.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*Parts, error) {
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
	store, err := NewStore(ctx, cfg.Store, cfg.FaceID.Credentials)
	if err != nil {
		return nil, err
	}
	svc, err := core.New(cfg.Core, core.Deps{FaceID: client, Store: store, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return &Parts{Service: svc, Store: store, cfg: cfg.Store}, nil
}

// Handler returns the HTTP handler of one function ("start", "callback", "result", or
// "all"). The sweep function's handler answers every request 404: it is run by its
// timer, never by a request.
func (p *Parts) Handler(function string) (http.Handler, error) {
	switch function {
	case "all":
		return withLocalMedia(p.Service.Routes(), p.Store, p.cfg)
	case "sweep":
		return http.NotFoundHandler(), nil
	}
	return p.Service.Handler(function)
}

// Build returns the HTTP handler of one function, building only what it needs.
func Build(ctx context.Context, function string, cfg Config, logger *slog.Logger) (http.Handler, error) {
	if !slices.Contains(Functions, function) {
		return nil, fmt.Errorf("app: unknown function %q (want start, callback, result, sweep or all)", function)
	}
	p, err := New(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	return p.Handler(function)
}

// withLocalMedia mounts the local store's signed media links beside the functions when
// media is stored locally (the local stack); otherwise it returns routes as they are.
func withLocalMedia(routes http.Handler, store storage.Store, cfg StoreConfig) (http.Handler, error) {
	fs, ok := store.(*filestore.Store)
	if !ok || cfg.MediaBaseURL == "" {
		return routes, nil
	}
	u, err := url.Parse(cfg.MediaBaseURL)
	if err != nil {
		return nil, fmt.Errorf("app: FACEGATE_MEDIA_BASE_URL: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(strings.TrimSuffix(u.Path, "/")+"/", fs.MediaHandler())
	mux.Handle("/", routes)
	return mux, nil
}

// NewStore builds the session store cfg selects. COS requests are signed with tencent,
// the credentials of the Tencent API.
func NewStore(ctx context.Context, cfg StoreConfig, tencent faceid.Credentials) (storage.Store, error) {
	switch cfg.Kind {
	case StoreLocal:
		s, err := filestore.New(cfg.LocalDir, filestore.Options{MediaBaseURL: cfg.MediaBaseURL, MediaSecret: cfg.MediaSecret})
		if err != nil {
			return nil, fmt.Errorf("app: local store: %w", err)
		}
		return s, nil
	case StoreS3:
		return newS3Store(ctx, cfg.S3)
	case StoreCOS:
		return newCOSStore(cfg.COS, tencent)
	}
	return nil, fmt.Errorf("app: unknown store %q", cfg.Kind)
}

func newS3Store(ctx context.Context, c S3Config) (storage.Store, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.Region)}
	if c.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	// The default chain only reads the environment and files here; credentials are fetched
	// (from the Lambda role's variables, or IMDS elsewhere) on first use, not at start-up.
	awscfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("app: AWS configuration: %w", err)
	}
	s, err := s3store.NewFromConfig(c.Config, awscfg)
	if err != nil {
		return nil, fmt.Errorf("app: S3 store: %w", err)
	}
	return s, nil
}
