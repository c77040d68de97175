package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/sandbox/sandboxtest"
	"github.com/facegate/facegate/pkg/storage"
)

// The bucket permissions in template.yaml and deploy/cam are checked against what the
// code does, not against a list written next to them: each function's core runs whole
// verifications (both flows, a pass with media, a result that turns terminal at
// /result, a reload of the callback) over a store that records which object prefixes
// each function reads and writes. A read of a key that may be missing also needs
// bucket listing, or S3 and COS answer 403 instead of 404.

// grantSet is what one function did to the bucket, as "GetObject sessions/" and the like.
type grantSet map[string]bool

// memObjects is the bucket the three functions share in these runs.
type memObjects struct {
	mu      sync.Mutex
	objects map[string][]byte
}

// recordingStore is one function's view of the bucket; every call is recorded as the
// permission it needs.
type recordingStore struct {
	bucket *memObjects
	grants grantSet
	mu     *sync.Mutex
}

func (s *recordingStore) record(action, key string) {
	prefix, _, ok := strings.Cut(key, "/")
	if !ok {
		prefix = key
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants[action+" "+prefix+"/"] = true
	if action == "GetObject" {
		s.grants["List bucket"] = true
	}
}

func (s *recordingStore) Create(_ context.Context, key string, data []byte) error {
	s.record("PutObject", key)
	s.bucket.mu.Lock()
	defer s.bucket.mu.Unlock()
	if _, ok := s.bucket.objects[key]; ok {
		return storage.ErrExists
	}
	s.bucket.objects[key] = bytes.Clone(data)
	return nil
}

func (s *recordingStore) Get(_ context.Context, key string) ([]byte, error) {
	s.record("GetObject", key)
	s.bucket.mu.Lock()
	defer s.bucket.mu.Unlock()
	b, ok := s.bucket.objects[key]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return bytes.Clone(b), nil
}

func (s *recordingStore) Delete(_ context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	s.record("DeleteObject", key)
	s.bucket.mu.Lock()
	defer s.bucket.mu.Unlock()
	delete(s.bucket.objects, key)
	return nil
}

// List needs the bucket-wide listing grant, whatever the prefix.
func (s *recordingStore) List(_ context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := storage.CheckList(prefix, limit); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	s.grants["List bucket"] = true
	s.mu.Unlock()
	s.bucket.mu.Lock()
	var keys []string
	for k := range s.bucket.objects {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	s.bucket.mu.Unlock()
	slices.Sort(keys)
	if len(keys) > limit {
		return keys[:limit], true, nil
	}
	return keys, false, nil
}

func (s *recordingStore) PutMedia(_ context.Context, key string, body io.Reader, _ int64, _ string) error {
	s.record("PutObject", key)
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	s.bucket.mu.Lock()
	defer s.bucket.mu.Unlock()
	s.bucket.objects[key] = b
	return nil
}

// MediaURL needs read access: a presigned GET is authorised as the role that signed it.
func (s *recordingStore) MediaURL(_ context.Context, key string, _ time.Duration) (string, error) {
	s.record("GetObject", key)
	return "https://bucket.example.com/" + key + "?signed", nil
}

// observedGrants runs verifications through the three functions' handlers and returns
// what each did to the bucket, with media storage on or off.
func observedGrants(t *testing.T, media bool) map[string][]string {
	t.Helper()
	const merchantKey = "merchant-key-for-grant-tests"
	sb := sandboxtest.New(t, sandbox.Options{})
	client, err := faceid.New(faceid.Config{Endpoint: sb.Endpoint(), Scheme: "http",
		Credentials: faceid.StaticCredentials(sandbox.TestSecretID, sandbox.TestSecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	bucket := &memObjects{objects: map[string][]byte{}}
	bucket.objects["uploads/photo.jpg"] = compareJPEG(t)
	var mu sync.Mutex
	grants := map[string]grantSet{}
	handlers := map[string]http.Handler{}

	for _, flow := range []core.Flow{core.FlowIntl, core.FlowLegacy} {
		for _, fn := range functionNames {
			if grants[fn] == nil {
				grants[fn] = grantSet{}
			}
			svc, err := core.New(core.Config{
				CallbackURL:          flowCallbackURL,
				ReturnTo:             []string{flowReturnTo},
				TicketSecrets:        [][]byte{[]byte("grant-test-ticket-secret-0123456789abcdef")},
				MerchantKeys:         []string{merchantKey},
				CompareImagePrefixes: []string{"uploads/"},
				Flow:                 flow,
				Policy:               core.Policy{Modes: []int64{2, 3}, DefaultMode: 3},
				CookieSecure:         true,
				StoreMedia:           media,
			}, core.Deps{FaceID: client, Store: &recordingStore{bucket: bucket, grants: grants[fn], mu: &mu}})
			if err != nil {
				t.Fatal(err)
			}
			if handlers[fn], err = svc.Handler(fn); err != nil {
				t.Fatal(err)
			}
		}
		do := func(fn, method, target string, body any, auth bool) *httptest.ResponseRecorder {
			t.Helper()
			var r io.Reader
			if body != nil {
				b, _ := json.Marshal(body)
				r = bytes.NewReader(b)
			}
			req := httptest.NewRequest(method, "https://"+flowHost+target, r)
			req.Header.Set("Accept", "application/json")
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			if auth {
				req.Header.Set("Authorization", "Bearer "+merchantKey)
			}
			w := httptest.NewRecorder()
			handlers[fn].ServeHTTP(w, req)
			return w
		}
		start := func(body map[string]any) string {
			t.Helper()
			w := do("start", http.MethodPost, "/start", body, true)
			var out struct{ Token string }
			if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &out) != nil || out.Token == "" {
				t.Fatalf("%s start: %d %s", flow, w.Code, w.Body)
			}
			return out.Token
		}
		q := url.QueryEscape

		// A pass, reported at /callback, the callback URL reloaded, then read by the merchant.
		passed := start(map[string]any{"returnTo": flowReturnTo, "compareImageKey": "uploads/photo.jpg"})
		if err := sb.SetOutcome(passed, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if w := do("callback", http.MethodGet, "/callback?token="+q(passed), nil, false); w.Code != http.StatusFound {
				t.Fatalf("%s callback: %d %s", flow, w.Code, w.Body)
			}
		}
		if w := do("result", http.MethodGet, "/result?token="+q(passed), nil, true); w.Code != http.StatusOK {
			t.Fatalf("%s result: %d %s", flow, w.Code, w.Body)
		}

		// Still pending at /callback; finished by the time the merchant asks /result.
		late := start(map[string]any{"returnTo": flowReturnTo, "compareImageKey": "uploads/photo.jpg"})
		if w := do("callback", http.MethodGet, "/callback?token="+q(late), nil, false); w.Code != http.StatusFound {
			t.Fatalf("%s pending callback: %d %s", flow, w.Code, w.Body)
		}
		if err := sb.SetOutcome(late, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
			t.Fatal(err)
		}
		w := do("result", http.MethodGet, "/result?token="+q(late), nil, true)
		var res struct{ Status string }
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &res) != nil || res.Status != "passed" {
			t.Fatalf("%s late result: %d %s", flow, w.Code, w.Body)
		}
	}

	out := map[string][]string{}
	for fn, g := range grants {
		out[fn] = sortedNames(g)
	}
	// The runs must have done what every deployment needs, or they proved nothing.
	for fn, must := range map[string]string{"start": "PutObject sessions/", "callback": "PutObject results/", "result": "PutObject results/"} {
		if !slices.Contains(out[fn], must) {
			t.Fatalf("%s never did %s: %v", fn, must, out[fn])
		}
	}
	if media && !slices.Contains(out["result"], "GetObject media/") {
		t.Fatalf("with media on, result handed out no media link: %v", out["result"])
	}
	return out
}

// compareJPEG is a small real JPEG, the kind of photo a merchant uploads for comparison.
func compareJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
