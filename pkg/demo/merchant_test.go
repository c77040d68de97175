package demo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/errbody"
	"github.com/facegate/facegate/pkg/core"
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
	return postChoices(h, "/api/start", contentType, body)
}

func postChoices(h http.Handler, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
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
	return tokenClaims(t, u.Query().Get("startToken"))
}

// tokenClaims checks a start token's signature and returns its payload.
func tokenClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
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

// badChoices are requests both /api/start and /api/handoff refuse, with their answers.
var badChoices = []struct {
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
	// Over the 4 KiB cap, a field the backend knows is refused unread, not as an option.
	{"application/json", `{"lang":"en","mode":1,"documentType":"` + strings.Repeat("x", 5000) + `"}`, 400, "invalid_request"},
	{"text/plain", `{"lang":"en","mode":3}`, 415, "unsupported_media_type"},
	{"application/x-www-form-urlencoded", `lang=en&mode=3`, 415, "unsupported_media_type"},
}

// checkRefusals checks that m refuses every one of badChoices at path, and a GET.
func checkRefusals(t *testing.T, m *Merchant, path string) {
	t.Helper()
	for _, c := range badChoices {
		rec := postChoices(m, path, c.contentType, c.body)
		var e struct{ Error struct{ Code string } }
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != c.status || e.Error.Code != c.code {
			t.Errorf("%s %s %.60s: %d %s, want %d %s", path, c.contentType, c.body, rec.Code, e.Error.Code, c.status, c.code)
		}
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != http.MethodPost {
		t.Errorf("GET %s: %d Allow %q", path, rec.Code, rec.Header().Get("Allow"))
	}
}

func TestMerchantRefusals(t *testing.T) {
	m, _ := newTestMerchant(t, nil)
	checkRefusals(t, m, "/api/start")
	rec := httptest.NewRecorder()
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

// fakeFacegate stands in for facegate's POST /start: it answers every call with answer
// and keeps the bodies it was sent.
type fakeFacegate struct {
	t      *testing.T
	answer func(w http.ResponseWriter)
	mu     sync.Mutex
	bodies []string
}

func (f *fakeFacegate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/start" || r.Header.Get("Content-Type") != "application/json" {
		f.t.Errorf("facegate called with %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	f.answer(w)
}

func (f *fakeFacegate) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bodies)
}

// newHandoffMerchant is a backend whose gateway is a fake facegate answering with answer.
func newHandoffMerchant(t *testing.T, answer func(w http.ResponseWriter)) (*Merchant, *fakeFacegate, *httptest.Server) {
	t.Helper()
	fake := &fakeFacegate{t: t, answer: answer}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	m, err := NewMerchant(MerchantOptions{StartTokenSecret: startSecret, Gateway: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return m, fake, srv
}

// sampleHandoff is what facegate answers a handoff with, QR code shortened.
var sampleHandoff = core.HandoffResponse{
	Handoff: strings.Repeat("ab", 32), URL: "http://localhost:8080/start?handoff=ab&k=phone-secret",
	QRCode: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"></svg>`, StatusURL: "http://localhost:8080/result?handoff=ab&watch=w",
	ExpiresAt: time.Date(2026, 12, 1, 8, 10, 0, 0, time.UTC),
}

// The backend spends a start token for the user's choices on facegate's POST /start with
// "handoff": true, and gives the page facegate's answer; the token stays on the server.
func TestMerchantHandsOff(t *testing.T) {
	m, fake, srv := newHandoffMerchant(t, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(sampleHandoff)
	})
	rec := postChoices(m, "/api/handoff", "application/json", `{"lang":"th","mode":4,"documentType":"ThailandIDCard"}`)
	if rec.Code != http.StatusCreated || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var got core.HandoffResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got != sampleHandoff {
		t.Fatalf("the page got %+v (%v), facegate answered %+v", got, err, sampleHandoff)
	}
	calls := fake.calls()
	if len(calls) != 1 {
		t.Fatalf("%d calls to facegate", len(calls))
	}
	var sent map[string]any
	dec := json.NewDecoder(strings.NewReader(calls[0]))
	if err := dec.Decode(&sent); err != nil || len(sent) != 2 || sent["handoff"] != true {
		// The names only: the test's output never shows a token.
		t.Fatalf("facegate was sent %v (%v), want startToken and handoff: true only", slices.Sorted(maps.Keys(sent)), err)
	}
	token, _ := sent["startToken"].(string)
	claims := tokenClaims(t, token)
	for k, v := range map[string]any{"lang": "th", "mode": 4.0, "documentType": "ThailandIDCard", "returnTo": srv.URL + "/demo/return.html?lang=th"} {
		if claims[k] != v {
			t.Errorf("token %s = %v, want %v", k, claims[k], v)
		}
	}
	if strings.Contains(rec.Body.String(), token) {
		t.Error("the start token reached the page")
	}
}

func TestMerchantHandoffRefusals(t *testing.T) {
	m, fake, _ := newHandoffMerchant(t, func(w http.ResponseWriter) { t.Error("facegate called for a bad request") })
	checkRefusals(t, m, "/api/handoff")
	if n := len(fake.calls()); n != 0 {
		t.Errorf("%d calls to facegate for refused requests", n)
	}
}

// What facegate answers, other than a handoff, reaches the page as one of its codes:
// facegate's own refusals as they are, everything else as upstream_unavailable; no
// detail of the failure, and no redirect followed with the token.
func TestMerchantHandoffWhenFacegateFails(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the backend followed facegate's redirect")
	}))
	defer elsewhere.Close()
	refuse := func(status int, code, retryAfter string) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(errbody.JSON(code, "Facegate's words."))
		}
	}
	for _, c := range []struct {
		name       string
		answer     func(w http.ResponseWriter)
		status     int
		code       string
		retryAfter string
	}{
		{"token used", refuse(http.StatusConflict, "start_token_used", ""), http.StatusConflict, "start_token_used", ""},
		{"store away", refuse(http.StatusServiceUnavailable, "storage_unavailable", "5"), http.StatusServiceUnavailable, "storage_unavailable", "5"},
		{"not JSON", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>proxy error")
		}, http.StatusBadGateway, "upstream_unavailable", "2"},
		{"201 without a handoff", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"verificationUrl":"x"}`)
		}, http.StatusBadGateway, "upstream_unavailable", "2"},
		{"over the cap", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"qrCode":"`+strings.Repeat("x", maxHandoffAnswer)+`"}`)
		}, http.StatusBadGateway, "upstream_unavailable", "2"},
		{"redirect", func(w http.ResponseWriter) {
			w.Header().Set("Location", elsewhere.URL+"/start")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}, http.StatusBadGateway, "upstream_unavailable", "2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, _, _ := newHandoffMerchant(t, c.answer)
			rec := postChoices(m, "/api/handoff", "application/json", `{"lang":"en","mode":3}`)
			var e errbody.Body
			_ = json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != c.status || e.Error.Code != c.code || rec.Header().Get("Retry-After") != c.retryAfter {
				t.Fatalf("%d %s Retry-After %q, want %d %s %q", rec.Code, e.Error.Code, rec.Header().Get("Retry-After"), c.status, c.code, c.retryAfter)
			}
			if strings.Contains(rec.Body.String(), "proxy") || strings.Contains(rec.Body.String(), "verificationUrl") {
				t.Errorf("facegate's answer reached the page: %s", rec.Body)
			}
		})
	}

	// Nobody answers at all.
	m, _, srv := newHandoffMerchant(t, func(http.ResponseWriter) {})
	srv.Close()
	rec := postChoices(m, "/api/handoff", "application/json", `{"lang":"en","mode":3}`)
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), `"upstream_unavailable"`) || strings.Contains(rec.Body.String(), "127.0.0.1") {
		t.Fatalf("facegate away: %d %s", rec.Code, rec.Body)
	}
}
