package stack

import (
	"bytes"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/envscan"
	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/sandbox"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLocalDefaults(t *testing.T) {
	if LocalDefaults["FACEGATE_SECRET_ID"] != sandbox.TestSecretID || LocalDefaults["FACEGATE_SECRET_KEY"] != sandbox.TestSecretKey {
		t.Fatal("LocalDefaults do not carry the sandbox's test credentials")
	}
	cfg, err := app.LoadConfig(LocalEnv(envMap(nil)))
	if err != nil {
		t.Fatalf("local defaults do not load: %v", err)
	}
	if cfg.FaceID.Endpoint != "127.0.0.1:8090" || cfg.FaceID.Scheme != "http" || cfg.Store.Kind != "local" || cfg.Store.LocalDir != "./data" ||
		cfg.Core.CallbackURL != "http://localhost:8080/callback" || cfg.Core.CookieSecure || len(cfg.Core.TicketSecrets) != 1 {
		t.Fatalf("local config %+v", cfg)
	}
	warned := strings.Join(cfg.Warnings, "\n")
	if !strings.Contains(warned, "FACEGATE_TICKET_SECRETS") || !strings.Contains(warned, "FACEGATE_COOKIE_SECURE") {
		t.Fatalf("warnings %q", warned)
	}
	// Two loads generate different secrets: nothing is baked in.
	again, _ := app.LoadConfig(LocalEnv(envMap(nil)))
	if bytes.Equal(again.Core.TicketSecrets[0], cfg.Core.TicketSecrets[0]) {
		t.Fatal("the generated ticket secret is a constant")
	}
	// The real environment wins, and real Tencent keys switch the sandbox off.
	realEnv := LocalEnv(envMap(map[string]string{"TENCENTCLOUD_SECRET_ID": "AKIDreal", "TENCENTCLOUD_SECRET_KEY": "real", "FACEGATE_RETURN_TO": "https://m.example.com/"}))
	if realEnv("FACEGATE_TENCENT_ENDPOINT") != "" || realEnv("FACEGATE_SECRET_ID") != "" || realEnv("FACEGATE_RETURN_TO") != "https://m.example.com/" || realEnv("FACEGATE_STORE") != "local" {
		t.Fatal("LocalEnv does not layer the real environment over the defaults")
	}
	cfg, err = app.LoadConfig(realEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cred, _ := cfg.FaceID.Credentials.Credential(); cred.GetSecretId() != "AKIDreal" {
		t.Fatalf("real credentials not used: %v", cred)
	}
	// The sandbox's own key (copied into a .env, say) keeps the sandbox on.
	copied := envMap(map[string]string{"FACEGATE_SECRET_ID": sandbox.TestSecretID, "FACEGATE_SECRET_KEY": sandbox.TestSecretKey})
	if HasTencentCredentials(copied) || LocalEnv(copied)("FACEGATE_TENCENT_ENDPOINT") != "127.0.0.1:8090" {
		t.Fatal("the sandbox's test key is taken for a real credential")
	}
}

// TestLocalDefaultsAreRead keeps LocalDefaults to variables the functions read.
func TestLocalDefaultsAreRead(t *testing.T) {
	read, err := envscan.Scan(".", true, "github.com/facegate/facegate/pkg/app")
	if err != nil {
		t.Fatal(err)
	}
	for k := range LocalDefaults {
		if _, ok := read[k]; !ok {
			t.Errorf("LocalDefaults sets %s, which nothing reads", k)
		}
	}
}
