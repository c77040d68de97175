// Package app wires the product together: it reads the configuration from environment
// variables, builds what one function needs (the Tencent client, the session store, the
// core) and returns that function's http.Handler. The functions' main packages and the
// local stack call it; nothing else reads the environment.
package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
)

// DefaultSweepInterval is how often the local stack sweeps (FACEGATE_SWEEP_INTERVAL).
const DefaultSweepInterval = time.Minute

// Store kinds for FACEGATE_STORE.
const (
	StoreLocal = "local"
	StoreCOS   = "cos"
	StoreS3    = "s3"
)

// Config is everything the functions need, read from the environment by LoadConfig.
type Config struct {
	// Core is the verification policy.
	Core core.Config
	// FaceID configures the Tencent client (Credentials included).
	FaceID faceid.Config
	// Store says where session records live.
	Store StoreConfig
	// SweepInterval is how often the local stack runs the sweeper (deployments run it on
	// their platform's schedule); default 1 minute.
	SweepInterval time.Duration
	// Warnings are problems that do not stop a local run but must be seen (a generated
	// secret, insecure cookies). Build logs them.
	Warnings []string
}

// StoreConfig selects and configures the session store.
type StoreConfig struct {
	// Kind is StoreLocal, StoreCOS or StoreS3.
	Kind string
	// LocalDir is the directory of the local store.
	LocalDir string
	// MediaBaseURL is where the local stack serves the local store's media links
	// (FACEGATE_MEDIA_BASE_URL); set only when media is stored locally.
	MediaBaseURL string
	// MediaSecret signs the local store's media links. It is derived from the first
	// ticket secret, so local media needs no secret of its own.
	MediaSecret []byte
	// COS configures the COS bucket.
	COS COSConfig
	// S3 configures the S3 bucket.
	S3 S3Config
}

// COSConfig is a Tencent COS bucket (cosstore.Config, field for field: the
// configuration does not import the store, so a build without COS does not link its
// SDK). Its credentials are the Tencent ones (FaceID's), read per request because SCF
// role keys rotate.
type COSConfig struct {
	Bucket  string // FACEGATE_COS_BUCKET, "<name>-<appid>"
	Region  string // FACEGATE_COS_REGION, or TENCENTCLOUD_REGION
	BaseURL string // FACEGATE_COS_ENDPOINT
	Host    string // the Host header to send; tests only
	SSE     string // FACEGATE_COS_SSE
}

// S3Config is an Amazon S3 (or compatible) bucket (s3store.Config, field for field, as
// for COSConfig). The local binary takes credentials from the AWS SDK's default chain
// unless AWS_ACCESS_KEY_ID is set; the Lambda build from the role's keys only (see
// s3store.RoleCredentials).
type S3Config struct {
	Bucket       string // FACEGATE_S3_BUCKET
	Region       string // FACEGATE_S3_REGION, AWS_REGION or AWS_DEFAULT_REGION
	Endpoint     string // FACEGATE_S3_ENDPOINT
	UsePathStyle bool   // FACEGATE_S3_PATH_STYLE
	SSE          string // FACEGATE_S3_SSE
	KMSKeyID     string // FACEGATE_S3_KMS_KEY_ID
	// AccessKeyID, SecretAccessKey and SessionToken are static keys from the environment
	// (on Lambda, the function role's).
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// The container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
	// _FULL_URI) and its token (AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE).
	ContainerRelativeURI   string
	ContainerFullURI       string
	ContainerAuthToken     string
	ContainerAuthTokenFile string
}

// envReader reads and parses variables, collecting every problem so that one start-up
// reports all of them, each naming its variable.
type envReader struct {
	get  func(string) string
	errs []error
}

func (e *envReader) fail(name, format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (e *envReader) getenv(name string) string { return strings.TrimSpace(e.get(name)) }

func (e *envReader) getenvRequired(name, what string) string {
	v := e.getenv(name)
	if v == "" {
		e.fail(name, "required: %s", what)
	}
	return v
}

// getenvList reads a comma-separated list, dropping empty items.
func (e *envReader) getenvList(name string) []string {
	var out []string
	for _, item := range strings.Split(e.getenv(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (e *envReader) getenvBool(name string, def bool) bool {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, "want true or false, got %q", v)
	}
	return b
}

func (e *envReader) getenvDuration(name string, def time.Duration) time.Duration {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.fail(name, "want a positive duration such as 15m or 3s, got %q", v)
	}
	return d
}

func (e *envReader) getenvInt(name string, def int) int {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.fail(name, "want an integer, got %q", v)
	}
	return n
}

func (e *envReader) getenvFloat(name string, def float64) float64 {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		e.fail(name, "want a number, got %q", v)
	}
	return f
}

func (e *envReader) getenvInts(name string) []int64 {
	var out []int64
	for _, item := range e.getenvList(name) {
		n, err := strconv.ParseInt(item, 10, 64)
		if err != nil {
			e.fail(name, "want integers, got %q", item)
			continue
		}
		out = append(out, n)
	}
	return out
}

// getenvSecrets reads a comma-separated list of secrets.
func (e *envReader) getenvSecrets(name string) [][]byte {
	var out [][]byte
	for _, s := range e.getenvList(name) {
		out = append(out, []byte(s))
	}
	return out
}

// LoadConfig reads the whole configuration through getenv (os.Getenv in the functions).
// Missing required values and malformed ones fail with an error naming each variable.
// It makes no network calls.
func LoadConfig(getenv func(string) string) (Config, error) {
	e := &envReader{get: getenv}
	var cfg Config
	cfg.Core = e.coreConfig(&cfg)
	cfg.FaceID = e.faceIDConfig()
	cfg.Store = e.storeConfig()
	cfg.SweepInterval = e.getenvDuration("FACEGATE_SWEEP_INTERVAL", DefaultSweepInterval)
	if cfg.Core.StoreMedia && cfg.Store.Kind == StoreLocal {
		// Local files have no address of their own: the local stack serves signed links.
		cfg.Store.MediaBaseURL = e.getenvRequired("FACEGATE_MEDIA_BASE_URL",
			"with FACEGATE_STORE_MEDIA and the local store, the URL under which the local stack serves media links")
		if len(cfg.Core.TicketSecrets) > 0 {
			mac := hmac.New(sha256.New, cfg.Core.TicketSecrets[0])
			mac.Write([]byte("facegate local media links"))
			cfg.Store.MediaSecret = mac.Sum(nil)
		}
	}
	e.named(cfg.Core.Validate(), coreVariables)
	e.named(cfg.FaceID.Validate(), faceIDVariables)
	if len(e.errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %w", errors.Join(e.errs...))
	}
	return cfg, nil
}

// coreVariables and faceIDVariables name the variable behind each configuration field
// the core and the Tencent client check: their rules live there, the names here.
var (
	coreVariables = map[string]string{
		"CallbackURL":          "FACEGATE_CALLBACK_URL",
		"ReturnTo":             "FACEGATE_RETURN_TO",
		"TicketSecrets":        "FACEGATE_TICKET_SECRETS",
		"TicketTTL":            "FACEGATE_TICKET_TTL",
		"MerchantKeys":         "FACEGATE_MERCHANT_KEYS",
		"StartTokenSecrets":    "FACEGATE_START_TOKEN_SECRETS",
		"CORSOrigins":          "FACEGATE_CORS_ORIGINS",
		"Flow":                 "FACEGATE_FLOW",
		"Policy.Languages":     "FACEGATE_LANGUAGES",
		"Policy.Modes":         "FACEGATE_MODES",
		"Policy.DefaultMode":   "FACEGATE_CHECK_MODE",
		"Policy.DocumentTypes": "FACEGATE_DOCUMENT_TYPES",
		"Verification":         "FACEGATE_VERIFICATION_CONFIG",
		"CompareImagePrefixes": "FACEGATE_COMPARE_IMAGE_PREFIXES",
		"SessionTTL":           "FACEGATE_SESSION_TTL",
		"CallbackTimeout":      "FACEGATE_CALLBACK_TIMEOUT",
		"MediaURLTTL":          "FACEGATE_MEDIA_URL_TTL",
		"TokenKeys":            "FACEGATE_TOKEN_KEYS",
		"Webhook.URL":          "FACEGATE_WEBHOOK_URL",
		"Webhook.Secrets":      "FACEGATE_WEBHOOK_SECRETS",
		"Webhook.Timeout":      "FACEGATE_WEBHOOK_TIMEOUT",
		"Retention":            "FACEGATE_RETENTION",
		"SweepRate":            "FACEGATE_SWEEP_RATE",
		"Brand.Name":           "FACEGATE_MERCHANT_NAME",
		"Brand.Color":          "FACEGATE_BRAND_COLOR",
		"Brand.HomeURL":        "FACEGATE_HOME_URL",
	}
	faceIDVariables = map[string]string{
		"Credentials": "FACEGATE_SECRET_ID",
		"Scheme":      "FACEGATE_TENCENT_SCHEME",
		"Endpoint":    "FACEGATE_TENCENT_ENDPOINT",
		"Timeout":     "FACEGATE_TENCENT_TIMEOUT",
	}
)

// named reports each configuration error of err under the variable that set its field,
// unless that variable already has a problem of its own (a value that did not parse, a
// missing required value), which says more.
func (e *envReader) named(err error, variables map[string]string) {
	if err == nil {
		return
	}
	var list []error
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		list = joined.Unwrap()
	} else {
		list = []error{err}
	}
	for _, err := range list {
		field, reason := "", err.Error()
		var ce *core.ConfigError
		var fe *faceid.ConfigError
		switch {
		case errors.As(err, &ce):
			field, reason = ce.Field, ce.Reason
			if len(ce.Instead) > 0 {
				var names []string
				for _, f := range ce.Instead {
					names = append(names, variables[f])
				}
				reason += "; set them with " + strings.Join(names, ", ") + " instead"
			}
		case errors.As(err, &fe):
			field, reason = fe.Field, fe.Reason
		}
		name := variables[field]
		if name == "" {
			name = "configuration"
		}
		if e.failed(name) {
			continue
		}
		e.fail(name, "%s", reason)
	}
}

func (e *envReader) failed(name string) bool {
	for _, err := range e.errs {
		if strings.HasPrefix(err.Error(), name+": ") {
			return true
		}
	}
	return false
}

func (e *envReader) coreConfig(cfg *Config) core.Config {
	c := core.Config{
		CallbackURL:          e.getenvRequired("FACEGATE_CALLBACK_URL", "the public URL of the callback function, sent to Tencent as RedirectURL"),
		ReturnTo:             e.getenvList("FACEGATE_RETURN_TO"),
		TicketSecrets:        e.getenvSecrets("FACEGATE_TICKET_SECRETS"),
		TicketTTL:            e.getenvDuration("FACEGATE_TICKET_TTL", core.DefaultTicketTTL),
		MerchantKeys:         e.getenvList("FACEGATE_MERCHANT_KEYS"),
		StartTokenSecrets:    e.getenvSecrets("FACEGATE_START_TOKEN_SECRETS"),
		CORSOrigins:          e.getenvList("FACEGATE_CORS_ORIGINS"),
		Flow:                 core.Flow(e.getenv("FACEGATE_FLOW")),
		CompareImagePrefixes: e.getenvList("FACEGATE_COMPARE_IMAGE_PREFIXES"),
		SessionTTL:           e.getenvDuration("FACEGATE_SESSION_TTL", core.DefaultSessionTTL),
		CallbackTimeout:      e.getenvDuration("FACEGATE_CALLBACK_TIMEOUT", core.DefaultCallbackTimeout),
		CookieSecure:         e.getenvBool("FACEGATE_COOKIE_SECURE", true),
		StoreMedia:           e.getenvBool("FACEGATE_STORE_MEDIA", false),
		MediaURLTTL:          e.getenvDuration("FACEGATE_MEDIA_URL_TTL", core.DefaultMediaURLTTL),
		TokenKeys:            e.getenvSecrets("FACEGATE_TOKEN_KEYS"),
		Webhook: core.Webhook{
			URL:     e.getenv("FACEGATE_WEBHOOK_URL"),
			Secrets: e.getenvList("FACEGATE_WEBHOOK_SECRETS"),
			Timeout: e.getenvDuration("FACEGATE_WEBHOOK_TIMEOUT", core.DefaultWebhookTimeout),
		},
		Retention:       e.getenvDuration("FACEGATE_RETENTION", core.DefaultRetention),
		SweepRate:       e.getenvFloat("FACEGATE_SWEEP_RATE", core.DefaultSweepRate),
		AnonymousStarts: e.getenvBool("FACEGATE_ANONYMOUS_STARTS", false),
		Brand: core.Brand{
			Name:    e.getenv("FACEGATE_MERCHANT_NAME"),
			Color:   e.getenv("FACEGATE_BRAND_COLOR"),
			HomeURL: e.getenv("FACEGATE_HOME_URL"),
		},
	}
	if e.getenvBool("FACEGATE_DEV_SECRETS", false) {
		if len(c.TicketSecrets) == 0 {
			c.TicketSecrets = [][]byte{generatedSecret()}
			cfg.Warnings = append(cfg.Warnings, "FACEGATE_TICKET_SECRETS is not set: using a secret generated for this process only. "+
				"Tickets die on restart and differ between processes. Never run like this in production.")
		}
		if len(c.TokenKeys) == 0 {
			c.TokenKeys = [][]byte{generatedSecret()}
			cfg.Warnings = append(cfg.Warnings, "FACEGATE_TOKEN_KEYS is not set: using a key generated for this process only. "+
				"Sessions started before a restart cannot be finished by the sweeper. Never run like this in production.")
		}
	}
	if !c.CookieSecure {
		cfg.Warnings = append(cfg.Warnings, "FACEGATE_COOKIE_SECURE=false: the binding cookie is sent over plain HTTP. Local development only.")
	}
	c.Policy = core.Policy{
		Languages:     e.getenvList("FACEGATE_LANGUAGES"),
		Modes:         e.getenvInts("FACEGATE_MODES"),
		DefaultMode:   int64(e.getenvInt("FACEGATE_CHECK_MODE", 3)),
		DocumentTypes: e.getenvList("FACEGATE_DOCUMENT_TYPES"),
		RuleIDs:       e.getenvList("FACEGATE_RULE_IDS"),
		DefaultRuleID: e.getenv("FACEGATE_RULE_ID"),
	}
	if e.getenv("FACEGATE_LANGUAGES") == "" {
		c.Policy.Languages = faceid.Languages()
	}
	if e.getenv("FACEGATE_MODES") == "" {
		c.Policy.Modes = []int64{2, 3}
	}
	if raw := e.getenv("FACEGATE_VERIFICATION_CONFIG"); raw != "" {
		c.Verification = e.verificationConfig(raw)
	}
	return c
}

// verificationConfig parses the base WebVerificationConfigIntl (JSON with Tencent's keys);
// the core checks what it says.
func (e *envReader) verificationConfig(raw string) *faceid.WebVerificationConfigIntl {
	const name = "FACEGATE_VERIFICATION_CONFIG"
	var v faceid.WebVerificationConfigIntl
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		e.fail(name, "want a JSON object with Tencent's WebVerificationConfigIntl keys: %v", err)
		return nil
	}
	return &v
}

func (e *envReader) faceIDConfig() faceid.Config {
	c := faceid.Config{
		Region:           e.getenv("FACEGATE_REGION"),
		Endpoint:         e.getenv("FACEGATE_TENCENT_ENDPOINT"),
		Scheme:           e.getenv("FACEGATE_TENCENT_SCHEME"),
		Timeout:          e.getenvDuration("FACEGATE_TENCENT_TIMEOUT", faceid.DefaultTimeout),
		RateLimitRetries: e.getenvInt("FACEGATE_RATE_LIMIT_RETRIES", faceid.DefaultRateLimitRetries),
	}
	if c.RateLimitRetries == 0 {
		c.RateLimitRetries = -1 // 0 means "default" to the client; the variable's 0 means none
	}
	id, key := e.getenv("FACEGATE_SECRET_ID"), e.getenv("FACEGATE_SECRET_KEY")
	switch {
	case id != "" && key != "":
		c.Credentials = faceid.StaticCredentials(id, key, e.getenv("FACEGATE_SESSION_TOKEN"))
	case id != "":
		e.fail("FACEGATE_SECRET_KEY", "required with FACEGATE_SECRET_ID")
	case key != "":
		e.fail("FACEGATE_SECRET_ID", "required with FACEGATE_SECRET_KEY")
	case e.getenv("TENCENTCLOUD_SECRETID") != "" && e.getenv("TENCENTCLOUD_SECRETKEY") != "",
		e.getenv("TENCENTCLOUD_SECRET_ID") != "" && e.getenv("TENCENTCLOUD_SECRET_KEY") != "":
		// Read on every call: an SCF role's keys rotate while the instance stays warm.
		c.Credentials = faceid.EnvCredentials(e.get)
	default:
		e.fail("FACEGATE_SECRET_ID", "Tencent credentials are missing: set FACEGATE_SECRET_ID and FACEGATE_SECRET_KEY "+
			"(or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY), or give the SCF function an execution role "+
			"(TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY, TENCENTCLOUD_SESSIONTOKEN)")
	}
	return c
}

func (e *envReader) storeConfig() StoreConfig {
	s := StoreConfig{Kind: e.getenvRequired("FACEGATE_STORE", "where sessions are kept: cos, s3 or local")}
	switch s.Kind {
	case StoreLocal:
		s.LocalDir = e.getenvRequired("FACEGATE_LOCAL_DIR", "the directory of the local store")
	case StoreCOS:
		s.COS = COSConfig{
			Bucket:  e.getenvRequired("FACEGATE_COS_BUCKET", "the COS bucket, <name>-<appid>"),
			Region:  e.getenv("FACEGATE_COS_REGION"),
			BaseURL: e.getenv("FACEGATE_COS_ENDPOINT"),
			SSE:     e.getenv("FACEGATE_COS_SSE"),
		}
		if s.COS.Region == "" {
			s.COS.Region = e.getenv("TENCENTCLOUD_REGION") // set by SCF for the function's region
		}
		if s.COS.Region == "" && s.COS.BaseURL == "" {
			e.fail("FACEGATE_COS_REGION", "required: the bucket's region, e.g. ap-singapore")
		}
	case StoreS3:
		s.S3 = S3Config{
			Bucket:                 e.getenvRequired("FACEGATE_S3_BUCKET", "the S3 bucket name"),
			Region:                 e.getenv("FACEGATE_S3_REGION"),
			Endpoint:               e.getenv("FACEGATE_S3_ENDPOINT"),
			UsePathStyle:           e.getenvBool("FACEGATE_S3_PATH_STYLE", false),
			SSE:                    e.getenv("FACEGATE_S3_SSE"),
			KMSKeyID:               e.getenv("FACEGATE_S3_KMS_KEY_ID"),
			AccessKeyID:            e.getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey:        e.getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:           e.getenv("AWS_SESSION_TOKEN"),
			ContainerRelativeURI:   e.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
			ContainerFullURI:       e.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
			ContainerAuthToken:     e.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
			ContainerAuthTokenFile: e.getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
		}
		if s.S3.Region == "" {
			s.S3.Region = e.getenv("AWS_REGION") // set by Lambda
		}
		if s.S3.Region == "" {
			s.S3.Region = e.getenv("AWS_DEFAULT_REGION")
		}
		if s.S3.Region == "" {
			e.fail("FACEGATE_S3_REGION", "required (or AWS_REGION): the bucket's region")
		}
		if (s.S3.AccessKeyID == "") != (s.S3.SecretAccessKey == "") {
			e.fail("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together")
		}
	case "":
	default:
		e.fail("FACEGATE_STORE", "want cos, s3 or local, got %q", s.Kind)
	}
	return s
}

// generatedSecret is a random ticket secret for local runs only.
func generatedSecret() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return []byte(base64.RawURLEncoding.EncodeToString(b))
}
