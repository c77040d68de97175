package app

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestDeferredHandlerWaitsForConfiguration plays an SCF event function whose variables
// arrive only with the first Invoke: it answers 500 (and logs what is missing) until the
// configuration is complete, then builds once and serves.
func TestDeferredHandlerWaitsForConfiguration(t *testing.T) {
	var mu sync.Mutex
	env := map[string]string{}
	getenv := func(k string) string { mu.Lock(); defer mu.Unlock(); return env[k] }
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	builds := 0
	d := &deferred{function: "result", logger: logger, build: func() (*Parts, error) {
		cfg, err := LoadConfig(getenv)
		if err != nil {
			return nil, err
		}
		builds++
		return New(t.Context(), cfg, logger)
	}}

	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/result?token=ABC", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"code":"internal"`) {
		t.Fatalf("without configuration: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "FACEGATE_CALLBACK_URL") {
		t.Fatalf("the log does not name the missing variable: %s", logs.String())
	}

	mu.Lock()
	for k, v := range map[string]string{
		"FACEGATE_CALLBACK_URL":   "https://api.example.com/callback",
		"FACEGATE_RETURN_TO":      "https://shop.example.com/verify/",
		"FACEGATE_TICKET_SECRETS": "a-ticket-secret-of-at-least-32-characters",
		"FACEGATE_TOKEN_KEYS":     "a-token-key-of-at-least-32-characters-long",
		"FACEGATE_SECRET_ID":      "AKIDexample",
		"FACEGATE_SECRET_KEY":     "example-secret-key",
		"FACEGATE_STORE":          "local",
		"FACEGATE_LOCAL_DIR":      t.TempDir(),
	} {
		env[k] = v
	}
	mu.Unlock()
	for range 2 {
		rec = httptest.NewRecorder()
		d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/result?token=ABC", nil))
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("with configuration: %d %s", rec.Code, rec.Body)
		}
	}
	if builds != 1 {
		t.Fatalf("built %d times, want once", builds)
	}
	if strings.Contains(logs.String(), "example-secret-key") {
		t.Fatal("a secret reached the log")
	}
}
