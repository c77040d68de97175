package stack

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/webhook"
)

// LocalDefaults are the settings of the local stack: the sandbox on 127.0.0.1:8090 with its
// test credentials as Tencent, files in ./data as the store, the demo page as the only
// returnTo, cookies without Secure (plain http://localhost), and a ticket secret generated
// at start-up. The stack layers them under the real environment with LocalEnv; deployed
// functions never see them (nothing outside the local stack imports this package) and
// fail on missing configuration instead.
var LocalDefaults = map[string]string{
	"FACEGATE_TENCENT_ENDPOINT":       "127.0.0.1:8090",
	"FACEGATE_TENCENT_SCHEME":         "http",
	"FACEGATE_SECRET_ID":              "AKID-sandbox-local",
	"FACEGATE_SECRET_KEY":             "sandbox-secret-key-not-for-production",
	"FACEGATE_STORE":                  app.StoreLocal,
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
	"FACEGATE_HOME_URL":               "http://localhost:8080/demo/",
	"FACEGATE_MERCHANT_NAME":          "Demo shop",
	// Browsers start only with a start token, as in a deployment: the demo shop's backend
	// (pkg/demo's Merchant) signs one with the secret the stack makes for each run.
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
	realTencent := HasTencentCredentials(getenv)
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if realTencent && slices.Contains(sandboxDefaults, name) {
			return ""
		}
		return LocalDefaults[name]
	}
}

// The settings the stack makes for each run and gives the functions: the demo receiver's
// webhook URL (it names the gateway's port, known only once it listens), and the webhook
// and start-token secrets, generated afresh for every run rather than kept in
// LocalDefaults, where everyone could read them; on a LAN address also the home URL (see
// Stack.Local). The stack sets them in layeredEnv's layer between the user's configuration
// and LocalDefaults.
const (
	webhookURLVar     = "FACEGATE_WEBHOOK_URL"
	webhookSecretsVar = "FACEGATE_WEBHOOK_SECRETS"
	startSecretsVar   = "FACEGATE_START_TOKEN_SECRETS"
	homeURLVar        = "FACEGATE_HOME_URL"
)

// runEnv is that layer: webhooks to the demo receiver on webhookOrigin, signed with
// webhookSecret, and start tokens signed with startSecret (by the demo shop's backend). A
// value the user set for any of them still wins.
func runEnv(webhookOrigin, webhookSecret, startSecret string) map[string]string {
	return map[string]string{
		webhookURLVar:     webhookOrigin + "/demo/webhook",
		webhookSecretsVar: webhookSecret,
		startSecretsVar:   startSecret,
	}
}

// newSecret returns a random secret for one run of the stack, named by prefix.
func newSecret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b) // never fails: crypto/rand crashes the program rather than return an error
	return prefix + hex.EncodeToString(b)
}

// webhookSecrets reads the comma-separated secrets the demo's receiver accepts from env:
// the user's FACEGATE_WEBHOOK_SECRETS when set, else the one the stack generated.
func webhookSecrets(env func(string) string) ([]string, error) {
	var secrets []string
	for s := range strings.SplitSeq(env(webhookSecretsVar), ",") {
		if s = strings.TrimSpace(s); s != "" {
			secrets = append(secrets, s)
		}
	}
	if err := webhook.CheckSecrets(secrets); err != nil {
		return nil, fmt.Errorf("%s: %w", webhookSecretsVar, err)
	}
	return secrets, nil
}

// startTokenSecret is the secret the demo shop's backend signs start tokens with: the
// first of the functions' FACEGATE_START_TOKEN_SECRETS (the user's when set, else the
// stack's), which the functions verify with.
func startTokenSecret(env func(string) string) ([]byte, error) {
	for s := range strings.SplitSeq(env(startSecretsVar), ",") {
		if s = strings.TrimSpace(s); s != "" {
			return []byte(s), nil
		}
	}
	return nil, fmt.Errorf("%s is empty", startSecretsVar)
}
