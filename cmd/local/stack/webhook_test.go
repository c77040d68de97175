package stack

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/demo"
	"github.com/facegate/facegate/pkg/webhook"
)

// deliver posts a signed event to url as facegate's sender will, and returns the status.
func deliver(t *testing.T, url, id string, secrets []string) int {
	t.Helper()
	body, _ := json.Marshal(webhook.Event{
		ID: id, Type: webhook.TypePassed, Created: time.Now().Unix(),
		Data: webhook.EventData{Session: strings.Repeat("ab", 32), Status: "passed", Reference: "order-7", CompletedAt: time.Now().UTC()},
	})
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(body, secrets, time.Now()))
	req.Header.Set(webhook.AttemptHeader, "1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// listedEvents returns the ids the demo's receiver lists, and its refusal count.
func listedEvents(t *testing.T, gateway string) ([]string, int) {
	t.Helper()
	res, err := http.Get(gateway + "/demo/webhook/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var feed struct {
		Events []struct {
			ID       string `json:"id"`
			Verified bool   `json:"verified"`
		} `json:"events"`
		Refused int `json:"refused"`
	}
	if err := json.NewDecoder(res.Body).Decode(&feed); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range feed.Events {
		if !e.Verified {
			t.Errorf("event %s listed as not verified", e.ID)
		}
		ids = append(ids, e.ID)
	}
	return ids, feed.Refused
}

// The stack points the functions' webhook settings at the demo's receiver, with a secret
// of its own for this run, and the receiver on the gateway accepts what that secret signs.
func TestStackServesTheWebhookReceiver(t *testing.T) {
	st, _ := startTestStack(t, nil)
	url := st.Env("FACEGATE_WEBHOOK_URL")
	if url != st.Gateway+"/demo/webhook" {
		t.Fatalf("FACEGATE_WEBHOOK_URL = %q, want the gateway's /demo/webhook", url)
	}
	secret := st.Env("FACEGATE_WEBHOOK_SECRETS")
	if err := webhook.CheckSecrets([]string{secret}); err != nil || strings.Contains(secret, ",") {
		t.Fatalf("FACEGATE_WEBHOOK_SECRETS is not one usable secret: %v", err)
	}
	if other := newSecret("whsec_local_"); other == secret {
		t.Fatal("the webhook secret is a constant")
	}

	if got := deliver(t, url, "evt_signed", []string{secret}); got != http.StatusNoContent {
		t.Fatalf("signed delivery: %d, want 204", got)
	}
	if got := deliver(t, url, "evt_forged", []string{"a-secret-the-stack-never-generated!!"}); got != http.StatusBadRequest {
		t.Fatalf("forged delivery: %d, want 400", got)
	}
	if ids, refused := listedEvents(t, st.Gateway); len(ids) != 1 || ids[0] != "evt_signed" || refused != 1 {
		t.Fatalf("listed %v with %d refused, want evt_signed alone and 1 refused", ids, refused)
	}

	// The merchant's page is served from the demo folder, under the demo's CSP.
	for _, path := range []string{"/demo/events.html", "/demo/events.js"} {
		res, err := http.Get(st.Gateway + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Security-Policy") != demo.ContentSecurityPolicy {
			t.Errorf("GET %s: %d, CSP %q", path, res.StatusCode, res.Header.Get("Content-Security-Policy"))
		}
	}
}

// Webhook settings the user gave win: the functions get them, and the demo's receiver
// verifies with the user's secrets.
func TestStackKeepsTheUsersWebhookSettings(t *testing.T) {
	const userSecret = "a-merchant-chosen-webhook-secret-0123456789"
	st, _ := startTestStack(t, map[string]string{
		"FACEGATE_WEBHOOK_URL":     "https://shop.example.com/hooks/facegate",
		"FACEGATE_WEBHOOK_SECRETS": "another-secret-still-being-rotated-in-00, " + userSecret,
	})
	if got := st.Env("FACEGATE_WEBHOOK_URL"); got != "https://shop.example.com/hooks/facegate" {
		t.Errorf("FACEGATE_WEBHOOK_URL = %q, want the user's", got)
	}
	if got := st.Env("FACEGATE_WEBHOOK_SECRETS"); !strings.HasSuffix(got, userSecret) {
		t.Errorf("FACEGATE_WEBHOOK_SECRETS = %q, want the user's", got)
	}
	if got := deliver(t, st.Gateway+"/demo/webhook", "evt_user", []string{userSecret}); got != http.StatusNoContent {
		t.Fatalf("delivery signed with the user's secret: %d, want 204", got)
	}
}

func TestStackRefusesAShortWebhookSecret(t *testing.T) {
	_, err := Start(t.Context(), Options{
		GatewayAddr: "127.0.0.1:0", SandboxAddr: "127.0.0.1:0", PageAddr: "127.0.0.1:0",
		Getenv: mapEnv(map[string]string{"FACEGATE_LOCAL_DIR": t.TempDir(), "FACEGATE_WEBHOOK_SECRETS": "too-short"}),
	})
	if err == nil || !strings.Contains(err.Error(), "FACEGATE_WEBHOOK_SECRETS") || strings.Contains(err.Error(), "too-short") {
		t.Fatalf("error %v, want one naming FACEGATE_WEBHOOK_SECRETS without its value", err)
	}
}
