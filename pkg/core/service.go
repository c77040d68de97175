package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
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

// Flow selects which Tencent actions start and read a verification.
type Flow string

// The flows.
const (
	// FlowIntl is ApplyWebVerificationBizTokenIntl + GetWebVerificationResultIntl (current).
	FlowIntl Flow = "intl"
	// FlowLegacy is CreateUploadUrl + upload + ApplyWebVerificationToken +
	// GetWebVerificationResult, the upload-URL flow of older accounts.
	FlowLegacy Flow = "legacy"
)

// Defaults for zero Config durations.
const (
	DefaultTicketTTL       = 15 * time.Minute
	DefaultSessionTTL      = 72 * time.Hour
	DefaultStartWindow     = 10 * time.Minute
	DefaultLegacyWindow    = 2 * time.Hour
	DefaultCallbackTimeout = 3 * time.Second
	DefaultMediaURLTTL     = 5 * time.Minute
	// BindingFinishTime is how long the binding cookie outlives the start window: the time a
	// user may take on Tencent's page after starting. The cookie lives StartWindow plus
	// this (30 minutes for the intl flow, 2h20m for the legacy flow's 2-hour tokens).
	BindingFinishTime = 20 * time.Minute
)

// Config is the deployment's policy. It is built by the wiring code from the environment;
// New checks it.
type Config struct {
	// CallbackURL is this deployment's /callback address, sent to Tencent as RedirectURL.
	// It never comes from a request.
	CallbackURL string
	// ReturnTo lists the allowed returnTo prefixes: scheme://host[:port][/path-prefix].
	ReturnTo []string
	// TicketSecrets sign and verify tickets; the first signs, all verify (rotation).
	TicketSecrets [][]byte
	// TicketTTL is how long a ticket is accepted; default 15 minutes.
	TicketTTL time.Duration
	// MerchantKeys are the bearer keys of merchant backends (full results; start without binding).
	MerchantKeys []string
	// StartTokenSecrets, when set, make /start require a merchant-signed start token
	// (or a merchant key). The first signs, all verify.
	StartTokenSecrets [][]byte
	// CORSOrigins are the exact origins (scheme://host[:port]) allowed to call /start and
	// /result from a browser.
	CORSOrigins []string
	// Flow is FlowIntl (default) or FlowLegacy.
	Flow Flow
	// Policy is what callers may choose.
	Policy Policy
	// Verification is the base Config sent to Tencent (theme, security level, ...). Callers'
	// lang, mode and documentType override its Language, CheckMode and IDCardType.
	Verification *faceid.WebVerificationConfigIntl
	// CompareImagePrefixes are the object-key prefixes under which compareImageKey may
	// point; empty disables compareImageKey.
	CompareImagePrefixes []string
	// SessionTTL is how long a session can be read (Tencent keeps results 3 days); default 72h.
	SessionTTL time.Duration
	// StartWindow is how long a new BizToken may wait before the user starts; default 10
	// minutes (2 hours for the legacy flow).
	StartWindow time.Duration
	// CallbackTimeout bounds the one result read at /callback; default 3s.
	CallbackTimeout time.Duration
	// CookieSecure marks the binding cookie Secure; only local development turns it off.
	CookieSecure bool
	// StoreMedia keeps best frames, videos and document images in the store (when it is a
	// storage.MediaStore) and hands merchants short-lived links to them.
	StoreMedia bool
	// MediaURLTTL is the lifetime of those links; default 5 minutes.
	MediaURLTTL time.Duration
}

// Policy is what callers of /start may choose. A value outside it is refused with
// invalid_option; an empty list allows nothing for that option.
type Policy struct {
	// Languages callers may pick for Tencent's page.
	Languages []string
	// Modes are the CheckMode values (1-4) callers may pick.
	Modes []int64
	// DefaultMode is the CheckMode when the caller picks none (0 leaves Tencent's default).
	// A request with a compare image and no mode uses mode 2.
	DefaultMode int64
	// DocumentTypes are the IDCardType values callers may pick; the first is used when a
	// document mode (1 or 4) is chosen without one.
	DocumentTypes []string
	// RuleIDs are the console business processes callers may pick.
	RuleIDs []string
	// DefaultRuleID is sent when the caller picks none.
	DefaultRuleID string
}

// Deps are the Service's collaborators.
type Deps struct {
	FaceID FaceID
	Store  storage.Store
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives request logs; default discards. Nothing secret is ever logged.
	Logger *slog.Logger
	// Rand is the source of binding nonces; default crypto/rand.
	Rand io.Reader
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
}

// New checks cfg and returns a Service. It makes no network calls.
func New(cfg Config, deps Deps) (*Service, error) {
	if deps.FaceID == nil {
		return nil, errors.New("core: Deps.FaceID is required")
	}
	if deps.Store == nil {
		return nil, errors.New("core: Deps.Store is required")
	}
	s := &Service{cfg: cfg, faceID: deps.FaceID, store: deps.Store, now: deps.Now, log: deps.Logger, rand: deps.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if err := s.applyDefaults(); err != nil {
		return nil, fmt.Errorf("core: %w", err)
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

func (s *Service) applyDefaults() error {
	c := &s.cfg
	cb, err := url.Parse(c.CallbackURL)
	if err != nil || (cb.Scheme != "https" && cb.Scheme != "http") || cb.Host == "" || cb.User != nil || cb.Fragment != "" {
		return errors.New("CallbackURL must be an absolute http(s) URL")
	}
	if s.allow, err = NewAllowlist(c.ReturnTo); err != nil {
		return err
	}
	if len(c.TicketSecrets) == 0 {
		return errors.New("at least one ticket secret is required")
	}
	for _, list := range [][][]byte{c.TicketSecrets, c.StartTokenSecrets} {
		for _, sec := range list {
			if len(sec) < MinSecretLength {
				return fmt.Errorf("secrets must be at least %d bytes", MinSecretLength)
			}
		}
	}
	for _, k := range c.MerchantKeys {
		if len(k) < 16 {
			return errors.New("merchant keys must be at least 16 characters")
		}
		sum := sha256.Sum256([]byte(k))
		s.merchants = append(s.merchants, sum[:])
	}
	for _, o := range c.CORSOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Scheme+"://"+u.Host != o {
			return fmt.Errorf("CORS origin %q must be scheme://host[:port]", o)
		}
	}
	for _, p := range c.CompareImagePrefixes {
		if !strings.HasSuffix(p, "/") || !validObjectKey(strings.TrimSuffix(p, "/")) || reservedPrefix(p) {
			return fmt.Errorf("compare image prefix %q must be a folder such as uploads/ outside sessions/, results/ and media/", p)
		}
	}
	switch c.Flow {
	case "":
		c.Flow = FlowIntl
	case FlowIntl, FlowLegacy:
	default:
		return fmt.Errorf("unknown flow %q", c.Flow)
	}
	if err := c.Policy.check(); err != nil {
		return err
	}
	if c.Verification != nil {
		probe := faceid.ApplyWebVerificationBizTokenIntlRequest{RedirectURL: c.CallbackURL, Config: c.Verification}
		if err := probe.Validate(); err != nil {
			return fmt.Errorf("verification config: %w", err)
		}
	}
	c.TicketTTL = orDefault(c.TicketTTL, DefaultTicketTTL)
	c.SessionTTL = orDefault(c.SessionTTL, DefaultSessionTTL)
	c.CallbackTimeout = orDefault(c.CallbackTimeout, DefaultCallbackTimeout)
	c.MediaURLTTL = orDefault(c.MediaURLTTL, DefaultMediaURLTTL)
	if c.Flow == FlowLegacy {
		c.StartWindow = orDefault(c.StartWindow, DefaultLegacyWindow)
	} else {
		c.StartWindow = orDefault(c.StartWindow, DefaultStartWindow)
	}
	s.cookie = newCookieSpec(cb.Path, c.CookieSecure, c.StartWindow+BindingFinishTime)
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (p *Policy) check() error {
	for _, m := range p.Modes {
		if m < 1 || m > 4 {
			return fmt.Errorf("check mode %d is not 1-4", m)
		}
	}
	if p.DefaultMode < 0 || p.DefaultMode > 4 {
		return fmt.Errorf("default check mode %d is not 1-4", p.DefaultMode)
	}
	for _, l := range p.Languages {
		if !slices.Contains(faceid.Languages(), l) {
			return fmt.Errorf("language %q is not one Tencent offers", l)
		}
	}
	for _, d := range p.DocumentTypes {
		if !slices.Contains(faceid.IDCardTypes(), d) {
			return fmt.Errorf("document type %q is not one Tencent offers", d)
		}
	}
	return nil
}

// Route is one method and path of the HTTP API and the function that serves it.
type Route struct {
	Function string // "start", "callback" or "result"
	Method   string
	Path     string
}

// RouteTable lists every route of the API, in one place. OPTIONS routes are CORS
// preflights.
func RouteTable() []Route {
	return []Route{
		{"start", http.MethodGet, "/start"},
		{"start", http.MethodPost, "/start"},
		{"start", http.MethodOptions, "/start"},
		{"callback", http.MethodGet, "/callback"},
		{"result", http.MethodGet, "/result"},
		{"result", http.MethodOptions, "/result"},
	}
}

// Handler returns the handler of one function by name ("start", "callback", "result").
func (s *Service) Handler(function string) (http.Handler, error) {
	switch function {
	case "start":
		return s.Start(), nil
	case "callback":
		return s.Callback(), nil
	case "result":
		return s.Result(), nil
	}
	return nil, fmt.Errorf("core: unknown function %q", function)
}

// Routes mounts every function on its path, for local runs and tests. Deployed
// functions get their own handler from Start, Callback or Result.
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	seen := map[string]bool{}
	for _, rt := range RouteTable() {
		if seen[rt.Path] {
			continue
		}
		seen[rt.Path] = true
		h, err := s.Handler(rt.Function)
		if err != nil {
			panic(err) // the route table names only known functions
		}
		mux.Handle(rt.Path, h)
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		s.writeError(w, r, errorf(CodeNotFound, "There is nothing at this address."), wantsHTML(r))
	}))
	return mux
}

// methodsOf returns the non-OPTIONS methods the route table gives a function.
func methodsOf(function string) []string {
	var out []string
	for _, rt := range RouteTable() {
		if rt.Function == function && rt.Method != http.MethodOptions {
			out = append(out, rt.Method)
		}
	}
	return out
}
