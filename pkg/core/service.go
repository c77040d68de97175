package core

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/storage"
)

// FaceID is what the core needs from Tencent: the subset of *faceid.Client it calls.
type FaceID interface {
	ApplyWebVerificationBizTokenIntl(ctx context.Context, req *faceid.ApplyWebVerificationBizTokenIntlRequest) (*faceid.ApplyWebVerificationBizTokenIntlResponse, error)
	GetWebVerificationResultIntl(ctx context.Context, bizToken string) (*faceid.GetWebVerificationResultIntlResponse, error)
	CreateUploadUrl(ctx context.Context, targetAction string) (*faceid.CreateUploadUrlResponse, error)
	Upload(ctx context.Context, uploadURL string, image []byte) (string, error)
	ApplyWebVerificationToken(ctx context.Context, req *faceid.ApplyWebVerificationTokenRequest) (*faceid.ApplyWebVerificationTokenResponse, error)
	GetWebVerificationResult(ctx context.Context, bizToken string) (*faceid.GetWebVerificationResultResponse, error)
}

// Deps are the Service's collaborators.
type Deps struct {
	FaceID FaceID
	Store  storage.Store
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives request logs; default discards. Nothing secret is ever logged.
	Logger *slog.Logger
	// Rand is the source of binding nonces and token-sealing nonces; default crypto/rand.
	Rand io.Reader
	// HTTPClient delivers webhooks; default a client of its own (timeouts come from
	// Config.Webhook.Timeout).
	HTTPClient *http.Client
	// QRCode draws the QR code of a handoff link as SVG (pkg/qrcode). Only the start
	// function makes handoffs; without it they fail as an internal error. It is a
	// dependency rather than an import so that the other functions do not link the QR
	// encoder, whose initialisation costs every process start.
	QRCode func(text string) (svg string, err error)
}

// Service is the verification core: it starts sessions, takes Tencent's callback and
// answers results. It is safe for concurrent use.
type Service struct {
	cfg       Config
	faceID    FaceID
	store     storage.Store
	media     storage.MediaStore // nil unless media is stored
	now       func() time.Time
	log       *slog.Logger
	rand      io.Reader
	allow     *Allowlist
	cookie    cookieSpec
	merchants [][]byte // SHA-256 of each merchant key
	flows     map[Flow]flow
	tokens    *tokenSealer
	http      *http.Client
	qrCode    func(string) (string, error)
}

// New checks cfg and returns a Service. It makes no network calls.
func New(cfg Config, deps Deps) (*Service, error) {
	if deps.FaceID == nil {
		return nil, errors.New("core: Deps.FaceID is required")
	}
	if deps.Store == nil {
		return nil, errors.New("core: Deps.Store is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Service{
		cfg: cfg, faceID: deps.FaceID, store: deps.Store, now: deps.Now, log: deps.Logger, rand: deps.Rand,
		merchants: merchantKeyHashes(cfg.MerchantKeys), qrCode: deps.QRCode,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.http = deps.HTTPClient; s.http == nil {
		s.http = &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			// A merchant's redirect is not followed: the event goes to the configured URL only.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	var err error
	if s.tokens, err = newTokenSealer(cfg.TokenKeys); err != nil {
		return nil, fmt.Errorf("core: %w", err)
	}
	if s.allow, err = NewAllowlist(cfg.ReturnTo); err != nil {
		return nil, fmt.Errorf("core: %w", err) // Validate has checked it; kept for safety
	}
	cb, _ := url.Parse(cfg.CallbackURL) // Validate has checked it
	s.cookie = newCookieSpec(cb.Path, cfg.CookieSecure, cfg.StartWindow+BindingFinishTime)
	s.flows = map[Flow]flow{
		FlowIntl:   intlFlow{s},
		FlowLegacy: legacyFlow{s},
	}
	if cfg.StoreMedia {
		ms, ok := deps.Store.(storage.MediaStore)
		if !ok {
			return nil, errors.New("core: StoreMedia needs a store that implements storage.MediaStore")
		}
		s.media = ms
	}
	return s, nil
}

// flow returns the flow that starts new sessions; sessionFlow the one that reads a
// session's result, which is the flow it was started with.
func (s *Service) startFlow() flow { return s.flows[s.cfg.Flow] }

func (s *Service) sessionFlow(sess *sessionRecord) flow {
	if f, ok := s.flows[sess.Flow]; ok {
		return f
	}
	return s.flows[FlowIntl]
}
