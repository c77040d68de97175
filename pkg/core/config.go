package core

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/facegate/facegate/pkg/faceid"
)

// Defaults for zero Config durations.
const (
	DefaultTicketTTL       = 15 * time.Minute
	DefaultSessionTTL      = 72 * time.Hour
	DefaultStartWindow     = 10 * time.Minute
	DefaultLegacyWindow    = 2 * time.Hour
	DefaultCallbackTimeout = 3 * time.Second
	DefaultMediaURLTTL     = 5 * time.Minute
	// DefaultRetention, also the longest retention: Tencent keeps a result 72 hours, and
	// nothing of a verification is kept longer than Tencent keeps it.
	DefaultRetention = 72 * time.Hour
	// DefaultSweepRate is how many Tencent calls per second a sweep makes at most: half of
	// Tencent's 20 per second per action, leaving the rest to users at the callback.
	DefaultSweepRate = 10
	// Unpaced is the SweepRate of a sweeper that does not pace its Tencent calls: only for
	// benchmarks against the sandbox, never against Tencent.
	Unpaced = -1
	// DefaultWebhookTimeout bounds one webhook delivery.
	DefaultWebhookTimeout = 10 * time.Second
	// BindingFinishTime is how long the binding cookie outlives the start window: the time a
	// user may take on Tencent's page after starting. The cookie lives StartWindow plus
	// this (30 minutes for the intl flow, 2h20m for the legacy flow's 2-hour tokens).
	BindingFinishTime = 20 * time.Minute
)

// Rules on secrets and keys.
const (
	// MinSecretLength is the shortest ticket or start-token secret accepted (bytes).
	MinSecretLength = 32
	// MinMerchantKeyLength is the shortest merchant bearer key accepted (characters).
	MinMerchantKeyLength = 16
)

// Config is the deployment's policy. It is built by the wiring code from the environment;
// Validate (and New) check it.
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
	// StartTokenSecrets verify merchant-signed start tokens, which a browser needs to
	// start a verification (a backend sends the merchant key). The first signs, all verify.
	StartTokenSecrets [][]byte
	// AnonymousStarts lets a browser start a verification with neither: every such start
	// can be billed by Tencent, so it is off unless the merchant switches it on.
	AnonymousStarts bool
	// CORSOrigins are the exact origins (scheme://host[:port]) allowed to call /start and
	// /result from a browser.
	CORSOrigins []string
	// Flow is FlowIntl (default) or FlowLegacy.
	Flow Flow
	// Policy is what callers may choose.
	Policy Policy
	// Verification is the base Config sent to Tencent (theme, security level, ...). The
	// options callers choose (Language, CheckMode, IDCardType) belong to Policy and may
	// not be set here.
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
	// TokenKeys encrypt the BizToken kept in each session record (AES-256-GCM), so the
	// sweeper can ask Tencent for results of users who never came back. The first
	// encrypts, all decrypt (rotation). Required: a session without its token can only
	// be finished by its user.
	TokenKeys [][]byte
	// Webhook is where the sweeper delivers signed events; an empty URL sends none.
	Webhook Webhook
	// Retention is how long anything of a verification is kept: the sweeper deletes a
	// session, its result, media and index entries once it is older than this and
	// finished. Default and maximum 72 hours.
	Retention time.Duration
	// Brand is how facegate's own pages show the merchant.
	Brand Brand
	// SweepRate caps the sweeper's Tencent calls per second; default 10, at most 20.
	// Unpaced turns the cap off, for benchmarks against the sandbox.
	SweepRate float64
}

// Policy is what callers of /start may choose. A value outside it is refused with
// invalid_option; an empty list allows nothing for that option.
type Policy struct {
	// Languages callers may pick for Tencent's page.
	Languages []string
	// Modes are the CheckMode values (1-4) callers may pick.
	Modes []int64
	// DefaultMode is the CheckMode when the caller picks none: 1-4, or 0 to leave
	// Tencent's default. A request with a compare image and no mode uses mode 2.
	DefaultMode int64
	// DocumentTypes are the IDCardType values callers may pick; the first is used when a
	// document mode (1 or 4) is chosen without one.
	DocumentTypes []string
	// RuleIDs are the console business processes callers may pick.
	RuleIDs []string
	// DefaultRuleID is sent when the caller picks none.
	DefaultRuleID string
}

// ConfigError is one configuration value the core refuses. Field is the Config field's
// path ("Policy.Modes"); the wiring names its own variable for it.
type ConfigError struct {
	Field  string
	Reason string
	// Instead lists the fields where what Field tried to set belongs, if any.
	Instead []string
}

// Error names the field and what is wrong with it.
func (e *ConfigError) Error() string {
	msg := "core: " + e.Field + ": " + e.Reason
	if len(e.Instead) > 0 {
		msg += " (use " + strings.Join(e.Instead, ", ") + ")"
	}
	return msg
}

// Validate checks every rule of the configuration and reports each broken one as a
// *ConfigError (joined with errors.Join), so one start-up names every problem.
func (c *Config) Validate() error {
	var errs []error
	fail := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if err := faceid.ValidateRedirectURL(c.CallbackURL); err != nil {
		fail("CallbackURL", "must be an absolute http(s) URL without user information or fragment")
	}
	if len(c.ReturnTo) == 0 {
		fail("ReturnTo", "required: the allowed returnTo prefixes, comma-separated scheme://host[:port][/path]")
	} else if _, err := NewAllowlist(c.ReturnTo); err != nil {
		fail("ReturnTo", "%v", err)
	}
	if len(c.TicketSecrets) == 0 {
		fail("TicketSecrets", "required: at least one secret of %d+ characters to sign tickets (comma-separated; the first signs)", MinSecretLength)
	}
	for field, list := range map[string][][]byte{"TicketSecrets": c.TicketSecrets, "StartTokenSecrets": c.StartTokenSecrets} {
		for _, sec := range list {
			if len(sec) < MinSecretLength {
				fail(field, "each secret must be at least %d characters (use: openssl rand -base64 32)", MinSecretLength)
				break
			}
		}
	}
	if len(c.TokenKeys) == 0 {
		fail("TokenKeys", "required: at least one key of %d+ characters to encrypt the BizTokens the sweeper reads (comma-separated; the first encrypts)", MinSecretLength)
	}
	for _, k := range c.TokenKeys {
		if len(k) < MinSecretLength {
			fail("TokenKeys", "each key must be at least %d characters (use: openssl rand -base64 32)", MinSecretLength)
			break
		}
	}
	c.Webhook.validate(fail)
	c.Brand.validate(fail)
	if c.Retention > DefaultRetention {
		fail("Retention", "at most %s: Tencent keeps results 72 hours, and so does this product", DefaultRetention)
	}
	if (c.SweepRate < 0 && c.SweepRate != Unpaced) || c.SweepRate > 20 {
		fail("SweepRate", "want 0 (the default, %d) to 20 Tencent calls per second: Tencent allows 20 per second per action for the whole account", DefaultSweepRate)
	}
	for _, k := range c.MerchantKeys {
		if len(k) < MinMerchantKeyLength {
			fail("MerchantKeys", "each key must be at least %d characters", MinMerchantKeyLength)
			break
		}
	}
	for _, o := range c.CORSOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Scheme+"://"+u.Host != o {
			fail("CORSOrigins", "%q must be scheme://host[:port]", o)
		}
	}
	for _, p := range c.CompareImagePrefixes {
		if !strings.HasSuffix(p, "/") || !validObjectKey(strings.TrimSuffix(p, "/")) || reservedPrefix(p) {
			fail("CompareImagePrefixes", "%q must be a folder such as uploads/ outside sessions/, results/ and media/", p)
		}
	}
	switch c.Flow {
	case "", FlowIntl, FlowLegacy:
	default:
		fail("Flow", "want intl or legacy, got %q", c.Flow)
	}
	c.Policy.validate(fail)
	if v := c.Verification; v != nil {
		if v.CheckMode != nil || v.Language != nil || v.IDCardType != nil {
			errs = append(errs, &ConfigError{
				Field:   "Verification",
				Reason:  "CheckMode, Language and IDCardType are chosen by the policy, not the base configuration",
				Instead: []string{"Policy.DefaultMode", "Policy.Languages", "Policy.DocumentTypes"},
			})
		} else if err := v.Validate(); err != nil {
			fail("Verification", "%v", err)
		}
	}
	for field, d := range map[string]time.Duration{
		"TicketTTL": c.TicketTTL, "SessionTTL": c.SessionTTL, "StartWindow": c.StartWindow,
		"CallbackTimeout": c.CallbackTimeout, "MediaURLTTL": c.MediaURLTTL,
		"Retention": c.Retention, "Webhook.Timeout": c.Webhook.Timeout,
	} {
		if d < 0 {
			fail(field, "must be positive (zero means the default)")
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

func (p *Policy) validate(fail func(field, format string, args ...any)) {
	for _, m := range p.Modes {
		if m < 1 || m > 4 {
			fail("Policy.Modes", "check modes are 1-4, got %d", m)
			break
		}
	}
	if p.DefaultMode < 0 || p.DefaultMode > 4 {
		fail("Policy.DefaultMode", "want 1-4, or 0 for Tencent's default, got %d", p.DefaultMode)
	}
	for _, l := range p.Languages {
		if !slices.Contains(faceid.Languages(), l) {
			fail("Policy.Languages", "%q is not one of %s", l, strings.Join(faceid.Languages(), ", "))
		}
	}
	for _, d := range p.DocumentTypes {
		if !slices.Contains(faceid.IDCardTypes(), d) {
			fail("Policy.DocumentTypes", "%q is not one of %s", d, strings.Join(faceid.IDCardTypes(), ", "))
		}
	}
}

// withDefaults returns the validated configuration with every zero duration and the
// flow filled in.
func (c Config) withDefaults() Config {
	if c.Flow == "" {
		c.Flow = FlowIntl
	}
	c.TicketTTL = orDefault(c.TicketTTL, DefaultTicketTTL)
	c.SessionTTL = orDefault(c.SessionTTL, DefaultSessionTTL)
	c.CallbackTimeout = orDefault(c.CallbackTimeout, DefaultCallbackTimeout)
	c.MediaURLTTL = orDefault(c.MediaURLTTL, DefaultMediaURLTTL)
	c.Retention = orDefault(c.Retention, DefaultRetention)
	c.Webhook.Timeout = orDefault(c.Webhook.Timeout, DefaultWebhookTimeout)
	if c.SweepRate == 0 {
		c.SweepRate = DefaultSweepRate
	}
	if c.Flow == FlowLegacy {
		c.StartWindow = orDefault(c.StartWindow, DefaultLegacyWindow)
	} else {
		c.StartWindow = orDefault(c.StartWindow, DefaultStartWindow)
	}
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
