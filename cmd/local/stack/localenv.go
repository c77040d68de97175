package stack

import (
	"slices"
	"strings"

	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/faceid"
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
