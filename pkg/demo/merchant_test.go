package demo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/filestore"
	"github.com/facegate/facegate/pkg/storage"
)

var startSecret = []byte("start-token-secret-for-the-demo-tests-0123456789")

func newTestMerchant(t *testing.T, store storage.Store) (*Merchant, time.Time) {
	t.Helper()
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	m, err := NewMerchant(MerchantOptions{
		StartTokenSecret: startSecret, Gateway: "http://localhost:8080",
		Store: store, CompareFolder: "uploads/", Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, now
}

func postStart(h http.Handler, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/start", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// tokenPayload checks a start token's signature as facegate does (the format of
// core.SignStartToken) and returns its payload.
func tokenPayload(t *testing.T, startURL string) map[string]any {
	t.Helper()
	u, err := url.Parse(startURL)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != "http://localhost:8080/start" || len(u.Query()) != 1 {
		t.Fatalf("start URL %q, want http://localhost:8080/start?startToken=…", startURL)
	}
	parts := strings.Split(u.Query().Get("startToken"), ".")
	if len(parts) != 3 || parts[0] != "v1" {
		t.Fatalf("start token %v", parts)
	}
	mac := hmac.New(sha256.New, startSecret)
	mac.Write([]byte("facegate-start/v1\n" + parts[1]))
	if base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) != parts[2] {
		t.Fatal("the start token is not signed with the secret")
	}
	data, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMerchantSignsStartTokens(t *testing.T) {
	dir := t.TempDir()
	store, err := filestore.New(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, now := newTestMerchant(t, store)
	for _, c := range []struct {
		body string
		want map[string]any
	}{
		{`{"lang":"th","mode":3}`, map[string]any{"lang": "th", "mode": 3.0, "returnTo": "http://localhost:8080/demo/return.html?lang=th"}},
		{`{"lang":"id","mode":1,"documentType":"IndonesiaIDCard"}`, map[string]any{"lang": "id", "mode": 1.0, "documentType": "IndonesiaIDCard"}},
		{`{"lang":"zh-tc","mode":4}`, map[string]any{"lang": "zh-tc", "mode": 4.0, "returnTo": "http://localhost:8080/demo/return.html?lang=zh-tc"}},
		{`{"lang":"zh-cn","mode":2}`, map[string]any{"lang": "zh-cn", "mode": 2.0, "compareImageKey": "uploads/" + SampleCompareImageName}},
	} {
		rec := postStart(m, "application/json; charset=utf-8", c.body)
		if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: %d %s", c.body, rec.Code, rec.Body)
		}
		var res StartResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		p := tokenPayload(t, res.StartURL)
		for k, v := range c.want {
			if p[k] != v {
				t.Errorf("%s: token %s = %v, want %v", c.body, k, p[k], v)
			}
		}
		if exp := int64(p["exp"].(float64)); exp != now.Add(StartTokenLifetime).Unix() {
			t.Errorf("%s: expires at %d, want 5 minutes from now", c.body, exp)
		}
		if ref, _ := p["reference"].(string); !strings.HasPrefix(ref, "demo-") || p["nonce"] == "" {
			t.Errorf("%s: reference %q nonce %v", c.body, ref, p["nonce"])
		}
		if _, has := p["compareImageKey"]; has != (c.want["mode"] == 2.0) {
			t.Errorf("%s: compareImageKey %v", c.body, p["compareImageKey"])
		}
	}
	// The photo on file is in the store, once, and is a JPEG.
	photo, err := store.Get(t.Context(), "uploads/"+SampleCompareImageName)
	if err != nil || !bytes.HasPrefix(photo, []byte{0xff, 0xd8, 0xff}) || !bytes.Equal(photo, SampleCompareImage()) {
		t.Fatalf("sample photo: %v (%d bytes)", err, len(photo))
	}
	// A later run finds it there and uses it as it is.
	again, _ := newTestMerchant(t, store)
	if rec := postStart(again, "application/json", `{"lang":"en","mode":2}`); rec.Code != http.StatusOK {
		t.Fatalf("second run: %d %s", rec.Code, rec.Body)
	}
}

func TestMerchantRefusals(t *testing.T) {
	m, _ := newTestMerchant(t, nil)
	for _, c := range []struct {
		contentType, body string
		status            int
		code              string
	}{
		{"application/json", `{"lang":"fr","mode":3}`, 400, "invalid_option"},
		{"application/json", `{"lang":"en","mode":5}`, 400, "invalid_option"},
		{"application/json", `{"lang":"en"}`, 400, "invalid_option"},
		{"application/json", `{"lang":"en","mode":3,"documentType":"HKIDCard"}`, 400, "invalid_option"},
		{"application/json", `{"lang":"en","mode":1,"documentType":"LibraryCard"}`, 400, "invalid_option"},
		// Face compare needs a store for the photo on file.
		{"application/json", `{"lang":"en","mode":2}`, 400, "invalid_option"},
		{"application/json", `{"lang":"en","mode":3,"returnTo":"https://evil.test/"}`, 400, "invalid_request"},
		{"application/json", `{"lang":"en","mode":3} {}`, 400, "invalid_request"},
		{"application/json", `{"lang":"en","mode":3,"pad":"` + strings.Repeat("x", 5000) + `"}`, 400, "invalid_request"},
		{"text/plain", `{"lang":"en","mode":3}`, 415, "unsupported_media_type"},
		{"application/x-www-form-urlencoded", `lang=en&mode=3`, 415, "unsupported_media_type"},
	} {
		rec := postStart(m, c.contentType, c.body)
		var e struct{ Error struct{ Code string } }
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != c.status || e.Error.Code != c.code {
			t.Errorf("%s %.60s: %d %s, want %d %s", c.contentType, c.body, rec.Code, e.Error.Code, c.status, c.code)
		}
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/start", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != http.MethodPost {
		t.Errorf("GET: %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	rec = httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/other", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("other path: %d", rec.Code)
	}
}

// failingStore refuses every write, as a store in an outage does.
type failingStore struct{ storage.Store }

func (failingStore) Create(ctx context.Context, key string, data []byte) error {
	return errors.New("disk full")
}

func TestMerchantStoreOutage(t *testing.T) {
	m, _ := newTestMerchant(t, failingStore{})
	rec := postStart(m, "application/json", `{"lang":"en","mode":2}`)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"storage_unavailable"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "disk full") {
		t.Error("the store's error reached the page")
	}
	// Other modes need no photo and still start.
	if rec := postStart(m, "application/json", `{"lang":"en","mode":3}`); rec.Code != http.StatusOK {
		t.Errorf("mode 3 during the outage: %d", rec.Code)
	}
}

func TestNewMerchantChecksOptions(t *testing.T) {
	for _, o := range []MerchantOptions{
		{StartTokenSecret: []byte("short"), Gateway: "http://localhost:8080"},
		{StartTokenSecret: startSecret, Gateway: "http://localhost:8080/demo"},
		{StartTokenSecret: startSecret, Gateway: "localhost:8080"},
		{StartTokenSecret: startSecret, Gateway: "http://localhost:8080", CompareFolder: "uploads"},
	} {
		if _, err := NewMerchant(o); err == nil {
			t.Errorf("%+v: accepted", o)
		}
	}
}

func TestSampleCompareImageIsAStableJPEG(t *testing.T) {
	a, b := SampleCompareImage(), SampleCompareImage()
	if !bytes.Equal(a, b) || !bytes.HasPrefix(a, []byte{0xff, 0xd8, 0xff}) || len(a) > 8<<10 {
		t.Fatalf("sample image: %d bytes, prefix % x", len(a), a[:3])
	}
	a[0] = 0
	if SampleCompareImage()[0] != 0xff {
		t.Error("the sample image can be changed through a returned slice")
	}
}
