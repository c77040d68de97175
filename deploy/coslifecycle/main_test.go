package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
)

// lifecycleXML is COS's lifecycle document as the server receives it.
type lifecycleXML struct {
	Rules []struct {
		ID         string
		Status     string
		Filter     *struct{ Prefix string }
		Expiration struct{ Days int }
	} `xml:"Rule"`
}

func TestPutsExpiryRule(t *testing.T) {
	var got lifecycleXML
	var host, auth, query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, auth, query = r.Host, r.Header.Get("Authorization"), r.URL.RawQuery
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPut || xml.Unmarshal(body, &got) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
	}))
	defer srv.Close()

	env := map[string]string{"TENCENT_SECRET_ID": "AKIDdeploy", "TENCENT_SECRET_KEY": "deploy-key"}
	var out bytes.Buffer
	err := run(context.Background(), []string{"-env-file", filepath.Join(t.TempDir(), "none.env"),
		"-bucket", "facegate-sessions-1250000000", "-region", "ap-singapore", "-endpoint", srv.URL},
		func(k string) string { return env[k] }, &out)
	if err != nil {
		t.Fatal(err)
	}
	if host != "facegate-sessions-1250000000.cos.ap-singapore.myqcloud.com" || query != "lifecycle" {
		t.Errorf("request went to host %q query %q", host, query)
	}
	if !strings.Contains(auth, "q-ak=AKIDdeploy") {
		t.Errorf("request not signed with the deploy key: %q", auth)
	}
	if len(got.Rules) != 1 || got.Rules[0].Status != "Enabled" || got.Rules[0].Filter == nil || got.Rules[0].Filter.Prefix != "" {
		t.Fatalf("rules = %+v", got.Rules)
	}
	// Every object expires when its session can no longer be used, not later.
	if want := int((core.DefaultSessionTTL + 24*time.Hour - 1) / (24 * time.Hour)); got.Rules[0].Expiration.Days != want {
		t.Errorf("expires after %d days, sessions live %v (%d days)", got.Rules[0].Expiration.Days, core.DefaultSessionTTL, want)
	}
}

// TestReadsTheDotEnvOfTheSCFCLI: README's deploy guide keeps the settings in .env,
// which make does not export; after `scf login` the key there is temporary.
func TestReadsTheDotEnvOfTheSCFCLI(t *testing.T) {
	var host, token, auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, token, auth = r.Host, r.Header.Get("x-cos-security-token"), r.Header.Get("Authorization")
	}))
	defer srv.Close()
	envFile := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(envFile, []byte("# written by scf login\nTENCENT_SECRET_ID=AKIDfromfile\nTENCENT_SECRET_KEY=file-key\nTENCENT_TOKEN=file-token\n"+
		"FACEGATE_COS_BUCKET=facegate-sessions-1250000000\nFACEGATE_SCF_REGION=ap-singapore\n"), 0o600)
	// The process environment wins over the file.
	env := map[string]string{"FACEGATE_SCF_REGION": "ap-hongkong"}
	if err := run(context.Background(), []string{"-env-file", envFile, "-endpoint", srv.URL}, func(k string) string { return env[k] }, io.Discard); err != nil {
		t.Fatal(err)
	}
	if host != "facegate-sessions-1250000000.cos.ap-hongkong.myqcloud.com" || token != "file-token" || !strings.Contains(auth, "q-ak=AKIDfromfile") {
		t.Errorf("host %q token %q auth %q", host, token, auth)
	}
}

func TestNeedsBucketRegionAndCredentials(t *testing.T) {
	none := func(string) string { return "" }
	noFile := filepath.Join(t.TempDir(), "none.env")
	if err := run(context.Background(), []string{"-env-file", noFile, "-region", "ap-singapore"}, none, io.Discard); err == nil {
		t.Error("no bucket accepted")
	}
	if err := run(context.Background(), []string{"-env-file", noFile, "-bucket", "b-1250000000", "-region", "ap-singapore"}, none, io.Discard); err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("missing credentials: %v", err)
	}
}
