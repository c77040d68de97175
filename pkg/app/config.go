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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/cosstore"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/s3store"
)

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

// COSConfig is a Tencent COS bucket. Its credentials are the Tencent ones (FaceID's),
// read per request because SCF role keys rotate.
type COSConfig struct {
	cosstore.Config
}

// S3Config is an Amazon S3 (or compatible) bucket. Credentials come from the AWS SDK's
// default chain (on Lambda, the function's role) unless AWS_ACCESS_KEY_ID is set.
type S3Config struct {
	s3store.Config
	// AccessKeyID, SecretAccessKey and SessionToken are static keys from the environment;
	// empty means the SDK's default chain.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// LocalDefaults are the settings of the local stack: the sandbox on 127.0.0.1:8090 with its
// test credentials as Tencent, files in ./data as the store, the demo page as the only
// returnTo, cookies without Secure (plain http://localhost), and a ticket secret generated
// at start-up. The local stack layers them under the real environment with LocalEnv;
// deployed functions never see them and fail on missing configuration instead.
var LocalDefaults = map[string]string{
	"FACEGATE_TENCENT_ENDPOINT":       "127.0.0.1:8090",
	"FACEGATE_TENCENT_SCHEME":         "http",
	"FACEGATE_SECRET_ID":              "AKID-sandbox-local",
	"FACEGATE_SECRET_KEY":             "sandbox-secret-key-not-for-production",
	"FACEGATE_STORE":                  StoreLocal,
	"FACEGATE_LOCAL_DIR":              "./data",
	"FACEGATE_CALLBACK_URL":           "http://localhost:8080/callback",
	"FACEGATE_RETURN_TO":              "http://localhost:8080/demo/",
	"FACEGATE_COOKIE_SECURE":          "false",
	"FACEGATE_DEV_SECRETS":            "true",
	"FACEGATE_MODES":                  "1,2,3,4",
	"FACEGATE_DOCUMENT_TYPES":         strings.Join(faceid.IDCardTypes(), ","),
	"FACEGATE_MERCHANT_KEYS":          "local-merchant-key-not-for-production",
	"FACEGATE_COMPARE_IMAGE_PREFIXES": "uploads/",
	"FACEGATE_MEDIA_BASE_URL":         "http://localhost:8080/media",
}

// sandboxDefaults are the LocalDefaults that point at the sandbox; real Tencent
// credentials in the environment switch them off.
var sandboxDefaults = []string{"FACEGATE_TENCENT_ENDPOINT", "FACEGATE_TENCENT_SCHEME", "FACEGATE_SECRET_ID", "FACEGATE_SECRET_KEY"}

// HasTencentCredentials reports whether getenv holds real Tencent credentials (long-term
// keys or an SCF role's), in which case the local stack talks to Tencent, not the sandbox.
// The sandbox's own test key (say, copied into a .env file) is not a real credential.
func HasTencentCredentials(getenv func(string) string) bool {
	for _, name := range []string{"FACEGATE_SECRET_ID", "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRETID"} {
		if id := getenv(name); id != "" && id != LocalDefaults["FACEGATE_SECRET_ID"] {
			return true
		}
	}
	return false
}

// LocalEnv layers LocalDefaults under getenv: a variable set (non-empty) in getenv wins.
// When getenv holds real Tencent credentials, the sandbox endpoint and test keys are not
// applied, so the local stack uses Tencent itself.
func LocalEnv(getenv func(string) string) func(string) string {
	real := HasTencentCredentials(getenv)
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if real && slices.Contains(sandboxDefaults, name) {
			return ""
		}
		return LocalDefaults[name]
	}
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

// getenvSecrets reads a comma-separated list of secrets of at least MinSecretLength bytes.
func (e *envReader) getenvSecrets(name string) [][]byte {
	var out [][]byte
	for _, s := range e.getenvList(name) {
		if len(s) < core.MinSecretLength {
			e.fail(name, "each secret must be at least %d characters (use: openssl rand -base64 32)", core.MinSecretLength)
			return nil
		}
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
	if len(e.errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %w", errors.Join(e.errs...))
	}
	return cfg, nil
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
	}
	if len(c.ReturnTo) == 0 {
		e.fail("FACEGATE_RETURN_TO", "required: the allowed returnTo prefixes, comma-separated scheme://host[:port][/path]")
	} else if _, err := core.NewAllowlist(c.ReturnTo); err != nil {
		e.fail("FACEGATE_RETURN_TO", "%v", err)
	}
	switch c.Flow {
	case "", core.FlowIntl, core.FlowLegacy:
	default:
		e.fail("FACEGATE_FLOW", "want intl or legacy, got %q", c.Flow)
	}
	if len(c.TicketSecrets) == 0 {
		if e.getenvBool("FACEGATE_DEV_SECRETS", false) {
			c.TicketSecrets = [][]byte{generatedSecret()}
			cfg.Warnings = append(cfg.Warnings, "FACEGATE_TICKET_SECRETS is not set: using a secret generated for this process only. "+
				"Tickets die on restart and differ between processes. Never run like this in production.")
		} else {
			e.fail("FACEGATE_TICKET_SECRETS", "required: at least one secret of %d+ characters to sign tickets (comma-separated; the first signs)", core.MinSecretLength)
		}
	}
	if !c.CookieSecure {
		cfg.Warnings = append(cfg.Warnings, "FACEGATE_COOKIE_SECURE=false: the binding cookie is sent over plain HTTP. Local development only.")
	}
	for _, k := range c.MerchantKeys {
		if len(k) < 16 {
			e.fail("FACEGATE_MERCHANT_KEYS", "each key must be at least 16 characters")
			break
		}
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
	for _, m := range append(slices.Clone(c.Policy.Modes), c.Policy.DefaultMode) {
		if m < 1 || m > 4 {
			e.fail("FACEGATE_MODES", "check modes are 1-4, got %d (also FACEGATE_CHECK_MODE)", m)
			break
		}
	}
	for _, l := range c.Policy.Languages {
		if !slices.Contains(faceid.Languages(), l) {
			e.fail("FACEGATE_LANGUAGES", "%q is not one of %s", l, strings.Join(faceid.Languages(), ", "))
		}
	}
	for _, d := range c.Policy.DocumentTypes {
		if !slices.Contains(faceid.IDCardTypes(), d) {
			e.fail("FACEGATE_DOCUMENT_TYPES", "%q is not one of %s", d, strings.Join(faceid.IDCardTypes(), ", "))
		}
	}
	if raw := e.getenv("FACEGATE_VERIFICATION_CONFIG"); raw != "" {
		c.Verification = e.verificationConfig(raw)
	}
	return c
}

// verificationConfig parses the base WebVerificationConfigIntl (JSON with Tencent's keys).
// The options callers choose have their own variables, so they are refused here.
func (e *envReader) verificationConfig(raw string) *faceid.WebVerificationConfigIntl {
	const name = "FACEGATE_VERIFICATION_CONFIG"
	var v faceid.WebVerificationConfigIntl
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		e.fail(name, "want a JSON object with Tencent's WebVerificationConfigIntl keys: %v", err)
		return nil
	}
	if v.CheckMode != nil || v.Language != nil || v.IDCardType != nil {
		e.fail(name, "set CheckMode, Language and IDCardType with FACEGATE_CHECK_MODE, FACEGATE_LANGUAGES and FACEGATE_DOCUMENT_TYPES instead")
		return nil
	}
	// A fixed RedirectURL, so that only the Config can fail here (FACEGATE_CALLBACK_URL
	// reports its own problems).
	probe := faceid.ApplyWebVerificationBizTokenIntlRequest{RedirectURL: "https://example.com/callback", Config: &v}
	if err := probe.Validate(); err != nil {
		e.fail(name, "%v", err)
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
	switch c.Scheme {
	case "", "https", "http":
	default:
		e.fail("FACEGATE_TENCENT_SCHEME", "want https or http, got %q", c.Scheme)
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
		s.COS = COSConfig{Config: cosstore.Config{
			Bucket:  e.getenvRequired("FACEGATE_COS_BUCKET", "the COS bucket, <name>-<appid>"),
			Region:  e.getenv("FACEGATE_COS_REGION"),
			BaseURL: e.getenv("FACEGATE_COS_ENDPOINT"),
			SSE:     e.getenv("FACEGATE_COS_SSE"),
		}}
		if s.COS.Region == "" {
			s.COS.Region = e.getenv("TENCENTCLOUD_REGION") // set by SCF for the function's region
		}
		if s.COS.Region == "" && s.COS.BaseURL == "" {
			e.fail("FACEGATE_COS_REGION", "required: the bucket's region, e.g. ap-singapore")
		}
	case StoreS3:
		s.S3 = S3Config{
			Config: s3store.Config{
				Bucket:       e.getenvRequired("FACEGATE_S3_BUCKET", "the S3 bucket name"),
				Region:       e.getenv("FACEGATE_S3_REGION"),
				Endpoint:     e.getenv("FACEGATE_S3_ENDPOINT"),
				UsePathStyle: e.getenvBool("FACEGATE_S3_PATH_STYLE", false),
				SSE:          e.getenv("FACEGATE_S3_SSE"),
				KMSKeyID:     e.getenv("FACEGATE_S3_KMS_KEY_ID"),
			},
			AccessKeyID:     e.getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: e.getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    e.getenv("AWS_SESSION_TOKEN"),
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
