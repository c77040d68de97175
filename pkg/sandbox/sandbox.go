// Package sandbox is a local stand-in for Tencent Cloud's eKYC web-verification service.
//
// It answers the faceid API (ApplyWebVerificationBizTokenIntl, GetWebVerificationResultIntl,
// CreateUploadUrl and the legacy ApplyWebVerificationToken / GetWebVerificationResult) with
// Tencent's envelopes and error codes, verifies real signatures as Tencent's SDKs make them
// (TC3-HMAC-SHA256 over either spelling of the host, and signature v1 with HmacSHA256 or
// HmacSHA1 as a form POST or a GET), and hosts the verification page a browser is sent to.
// Nothing of Tencent is reachable from a developer's machine before sign-up, so code that
// passes against the sandbox should work against Tencent: where the contract is unclear the
// sandbox takes the stricter reading and says so.
//
// Two handlers make one sandbox, each meant for its own origin (as Tencent's API host and its
// page host differ): [Sandbox.APIHandler] serves the signed API plus an unsigned test-control
// API under /_sandbox/, and [Sandbox.PageHandler] serves the hosted page, the upload target of
// CreateUploadUrl and the legacy media links.
//
// The sandbox never logs BizTokens, secrets, images or document data.
package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Documented test credentials. They are not real keys and are accepted only by the sandbox.
const (
	// TestSecretID is the SecretId of the sandbox's long-term test key.
	TestSecretID = "AKID-sandbox-local"
	// TestSecretKey is the SecretKey paired with TestSecretID.
	TestSecretKey = "sandbox-secret-key-not-for-production"
	// TestTempSecretID is the SecretId of a temporary credential: requests signed with it
	// must carry X-TC-Token equal to TestSessionToken, as SCF role keys do.
	TestTempSecretID = "AKID-sandbox-temp"
	// TestTempSecretKey is the SecretKey paired with TestTempSecretID.
	TestTempSecretKey = "sandbox-temp-secret-key-not-for-production"
	// TestSessionToken is the session token that TestTempSecretID requires in X-TC-Token.
	TestSessionToken = "sandbox-session-token-not-for-production"
)

// Service, Version and the hosted-page path, as Tencent spells them.
const (
	apiService = "faceid"
	apiVersion = "2018-03-01"
	reflectDir = "/reflect/"
)

// Default limits of the sandbox.
const (
	// DefaultStartWindow is how long after issue a BizToken's page may be opened.
	DefaultStartWindow = 10 * time.Minute
	// DefaultResultWindow is how long after issue a result can be read (Tencent: 259,200 s).
	DefaultResultWindow = 72 * time.Hour
	// DefaultLegacyTokenTTL is the lifetime of a legacy ApplyWebVerificationToken BizToken.
	DefaultLegacyTokenTTL = 7200 * time.Second
	// DefaultRateLimit is Tencent's limit: requests per second per action.
	DefaultRateLimit = 20
	// DefaultMaxTokens caps the BizTokens held in memory at once.
	DefaultMaxTokens = 100_000
	// DefaultPageURL is the page origin used when Options.PageURL is empty; it is where
	// cmd/sandbox serves the page by default.
	DefaultPageURL = "http://127.0.0.1:8091"
)

// Credential is a key the sandbox accepts. A non-empty Token makes it a temporary credential:
// every request signed with it must carry X-TC-Token equal to Token.
type Credential struct {
	SecretID  string
	SecretKey string
	Token     string
}

// DefaultCredentials returns the documented test credentials, the long-term and the
// temporary one, which New accepts when Options.Credentials is empty.
func DefaultCredentials() []Credential {
	return []Credential{
		{SecretID: TestSecretID, SecretKey: TestSecretKey},
		{SecretID: TestTempSecretID, SecretKey: TestTempSecretKey, Token: TestSessionToken},
	}
}

// Faults are failures injected into API requests (not into the control API or the page).
// Rates are probabilities from 0 to 1 drawn per request.
type Faults struct {
	Latency           time.Duration // added before answering
	InternalErrorRate float64       // answer InternalError
	ThrottleRate      float64       // answer ThrottleCode
	DropRate          float64       // close the connection without answering, before handling
	// DropAfterRate handles the request (an Apply stores its token, which the control
	// API and the result action then know) and closes the connection instead of
	// answering: the lost answer a client cannot tell from a lost request.
	DropAfterRate float64
	// ThrottleCode is the code of injected throttling: RequestLimitExceeded (the default,
	// which the SDKs retry) or FailedOperation.RequestLimitExceeded (which they do not).
	// Any other value is taken as RequestLimitExceeded.
	ThrottleCode string
}

// ThrottleCodes are the codes Tencent answers a throttled request with.
var ThrottleCodes = []string{codeRequestLimitExceeded, codeFailedRequestLimitExceeded}

// Options configure a Sandbox. The zero value is usable: every field has a default.
type Options struct {
	// Credentials the API accepts. Default: DefaultCredentials.
	Credentials []Credential
	// Now is the clock; default time.Now. Signatures are checked against it; the control
	// API's test-only offset is added to it for everything else (token windows, links,
	// the rate limiter).
	Now func() time.Time
	// StartWindow is how long after issue the page must be opened; default 10 minutes.
	// A token not opened in time reads as ErrorCode 15 (token expired).
	StartWindow time.Duration
	// ResultWindow is how long after issue results are readable; default 72 hours. After it
	// the result call answers InvalidParameterValue.BizTokenExpired.
	ResultWindow time.Duration
	// LegacyTokenTTL is the lifetime of legacy BizTokens (to open and to read); default 7200 s.
	LegacyTokenTTL time.Duration
	// PageURL is the origin of the hosted page, e.g. "http://127.0.0.1:8091". VerificationURL,
	// upload and media links are built on it. Default DefaultPageURL.
	PageURL string
	// RateLimit is requests per second per action (a token bucket); 0 means the default of
	// 20, a negative value disables the limiter.
	RateLimit int
	// RuleIDs lists the RuleIds that exist. Empty means any RuleId is accepted, since the
	// sandbox has no console in which business processes are configured.
	RuleIDs []string
	// Faults injected from the start; SetFaults and the control API change them later.
	Faults Faults
	// Logger receives one line per API call (action, error code, duration) and never
	// tokens, images or secrets. Nil discards.
	Logger *slog.Logger
	// Rand is the randomness for BizTokens, request ids and fault draws; default crypto/rand.
	Rand io.Reader
	// MaxTokens caps the BizTokens held at once; default 100,000. Beyond it apply calls
	// answer LimitExceeded until old tokens expire.
	MaxTokens int
	// AllowMissingCompareImage accepts CheckMode 2 (liveness + compare, the default) without
	// CompareImageBase64. Tencent's documents leave open whether the image is required
	// there; by default the sandbox requires it (the stricter reading).
	AllowMissingCompareImage bool
}

// Outcome is what a user did on the hosted page.
type Outcome struct {
	// Result is one of "pass", "liveness_fail", "compare_fail", "document", "user_exit",
	// "timeout", "retry_limit", "document_fail".
	Result string
	// Similarity is the face-compare score for pass (default 92.5, at least 70) and
	// compare_fail (default 41.3, below 70).
	Similarity float64
	// ErrorCode, when set, replaces the final ErrorCode of the result (any code), so the
	// interpretation of codes that no outcome produces can be tested.
	ErrorCode *int64
}

// Values of Outcome.Result.
const (
	// ResultPass passes every step: ErrorCode 0, one attempt with its Similarity, and the
	// document data in CheckMode 1 and 4.
	ResultPass = "pass"
	// ResultLivenessFail fails liveness: ErrorCode 1005 (1003 with silent liveness,
	// SecurityLevel 1).
	ResultLivenessFail = "liveness_fail"
	// ResultCompareFail passes liveness and fails the comparison: ErrorCode 2016 with a
	// similarity below 70. Only in the compare modes (CheckMode 1 and 2).
	ResultCompareFail = "compare_fail"
	// ResultDocument passes with the document data the page shows: ErrorCode 0 and an
	// OCRResult with IsPass true. Only in the document modes (CheckMode 1 and 4).
	ResultDocument = "document"
	// ResultUserExit is the user leaving the page: ErrorCode 1410, no attempts.
	ResultUserExit = "user_exit"
	// ResultTimeout is the flow timing out: ErrorCode 1409, no attempts.
	ResultTimeout = "timeout"
	// ResultRetryLimit is liveness failing LivenessRetryLimit times: ErrorCode 16 with one
	// failed attempt per try.
	ResultRetryLimit = "retry_limit"
	// ResultDocumentFail is the document check failing: an OCRResult with IsPass false and
	// a warning, ErrorCode -9102 (or the first of SelectedWarningCodes). Only in the
	// document modes.
	ResultDocumentFail = "document_fail"
)

// Errors of SetOutcome and the control API.
var (
	// ErrUnknownToken means the BizToken was never issued (or is malformed, or was swept).
	ErrUnknownToken = errors.New("sandbox: unknown BizToken")
	// ErrTokenExpired means the token can no longer be used on the page.
	ErrTokenExpired = errors.New("sandbox: BizToken expired")
	// ErrAlreadyFinished means an outcome was already recorded for the token.
	ErrAlreadyFinished = errors.New("sandbox: verification already finished")
	// ErrInvalidOutcome means the outcome does not fit the token's configuration.
	ErrInvalidOutcome = errors.New("sandbox: invalid outcome")
)

// Sandbox is the simulated service. It is safe for concurrent use.
type Sandbox struct {
	opts    Options
	creds   map[string]Credential
	rules   map[string]bool
	log     *slog.Logger
	pageURL string
	urlKey  []byte // signs upload and media links

	offset  atomic.Int64 // test-only clock offset in nanoseconds
	faults  atomic.Pointer[Faults]
	limiter *limiter

	randMu sync.Mutex
	rand   io.Reader

	mu        sync.Mutex
	tokens    map[string]*session
	uploads   map[string]*upload
	media     map[string]*session // legacy media id → session
	upBytes   int64
	lastSweep time.Time
	// issuedCount counts the BizTokens issued, numbering them in order.
	issuedCount uint64
}

// New returns a Sandbox with opts, defaults filled in.
func New(opts Options) *Sandbox {
	if len(opts.Credentials) == 0 {
		opts.Credentials = DefaultCredentials()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StartWindow <= 0 {
		opts.StartWindow = DefaultStartWindow
	}
	if opts.ResultWindow <= 0 {
		opts.ResultWindow = DefaultResultWindow
	}
	if opts.LegacyTokenTTL <= 0 {
		opts.LegacyTokenTTL = DefaultLegacyTokenTTL
	}
	if opts.PageURL == "" {
		opts.PageURL = DefaultPageURL
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.MaxTokens <= 0 {
		opts.MaxTokens = DefaultMaxTokens
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	s := &Sandbox{
		opts:    opts,
		creds:   make(map[string]Credential, len(opts.Credentials)),
		rules:   make(map[string]bool, len(opts.RuleIDs)),
		log:     opts.Logger,
		pageURL: strings.TrimRight(opts.PageURL, "/"),
		rand:    opts.Rand,
		tokens:  make(map[string]*session),
		uploads: make(map[string]*upload),
		media:   make(map[string]*session),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range opts.Credentials {
		s.creds[c.SecretID] = c
	}
	for _, id := range opts.RuleIDs {
		s.rules[id] = true
	}
	s.limiter = newLimiter(opts.RateLimit)
	s.SetFaults(opts.Faults)
	// The URL key only has to be unpredictable for this process; deriving it from the
	// injected randomness keeps seeded test runs reproducible.
	seed := make([]byte, 32)
	s.readRand(seed)
	mac := hmac.New(sha256.New, seed)
	mac.Write([]byte("sandbox url key"))
	s.urlKey = mac.Sum(nil)
	return s
}

// SetFaults replaces the injected faults. Rates are clamped to [0, 1].
func (s *Sandbox) SetFaults(f Faults) {
	f.InternalErrorRate = clampRate(f.InternalErrorRate)
	f.ThrottleRate = clampRate(f.ThrottleRate)
	f.DropRate = clampRate(f.DropRate)
	f.DropAfterRate = clampRate(f.DropAfterRate)
	if !slices.Contains(ThrottleCodes, f.ThrottleCode) {
		f.ThrottleCode = codeRequestLimitExceeded
	}
	if f.Latency < 0 {
		f.Latency = 0
	}
	s.faults.Store(&f)
}

func clampRate(r float64) float64 {
	if math.IsNaN(r) || r < 0 {
		return 0
	}
	return min(r, 1)
}

// now is the injected clock plus the test-only offset of the control API.
func (s *Sandbox) now() time.Time {
	return s.opts.Now().Add(time.Duration(s.offset.Load()))
}

// advanceClock moves the sandbox clock by d (test-only, through the control API).
func (s *Sandbox) advanceClock(d time.Duration) time.Time {
	s.offset.Add(int64(d))
	return s.now()
}

// readRand fills b from the injected randomness. A failing reader is a broken environment
// for a test tool, not a condition to recover from.
func (s *Sandbox) readRand(b []byte) {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	if _, err := io.ReadFull(s.rand, b); err != nil {
		panic("sandbox: reading randomness: " + err.Error())
	}
}

// randFloat returns a uniform float64 in [0, 1).
func (s *Sandbox) randFloat() float64 {
	var b [8]byte
	s.readRand(b[:])
	u := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	return float64(u>>11) / (1 << 53)
}

// newUUID returns a random version-4 UUID in upper case (BizTokens) or lower case (request ids).
func (s *Sandbox) newUUID(upper bool) string {
	var b [16]byte
	s.readRand(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	digits := "0123456789abcdef"
	if upper {
		digits = "0123456789ABCDEF"
	}
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, digits[c>>4], digits[c&0x0f])
	}
	return string(out)
}

// isBizToken reports whether t has the shape of a BizToken (an upper-case UUID).
func isBizToken(t string) bool {
	if len(t) != 36 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// securityHeaders are sent with every page and control response.
func securityHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}
