package cosstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/cosstore"
	"github.com/facegate/facegate/pkg/storage"
	"github.com/facegate/facegate/pkg/storetest"
)

const maxAttempts = 3

var (
	roleKey = storetest.COSKey
	nextKey = cosstore.Credentials{
		SecretID:     "AKID-facegate-role-0002",
		SecretKey:    "cos-rotated-secret-that-must-never-be-printed",
		SessionToken: "cos-rotated-token-that-must-never-be-printed",
	}
)

func static(c cosstore.Credentials) cosstore.CredentialFunc {
	return cosstore.StaticCredentials(c.SecretID, c.SecretKey, c.SessionToken)
}

// newStore returns a store built as production wiring builds it (NewFromConfig with
// the production bucket host), except that BaseURL points at the server on loopback.
func newStore(t testing.TB, f *storetest.COSServer, creds cosstore.CredentialFunc, sse string) *cosstore.Store {
	t.Helper()
	cfg := f.Config()
	cfg.SSE = sse
	s, err := cosstore.NewFromConfig(cfg, creds, f.Client.Transport)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newDefault(t testing.TB, faults *storetest.Faults) (*cosstore.Store, *storetest.COSServer) {
	f := storetest.NewCOSServer(t, faults)
	return newStore(t, f, static(roleKey), ""), f
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Store {
		s, _ := newDefault(t, nil)
		return s
	})
}

func TestContractRaw(t *testing.T) {
	storetest.RunRaw(t, func(t *testing.T) (storage.Store, storetest.PutRaw) {
		s, f := newDefault(t, nil)
		return s, f.PutRaw
	})
}

func TestMediaContract(t *testing.T) {
	storetest.RunMedia(t, func(t *testing.T) storetest.MediaFixture {
		s, f := newDefault(t, nil)
		return storetest.MediaFixture{Store: s, Client: f.Client, Advance: f.Advance}
	})
}

func TestFaults(t *testing.T) {
	storetest.RunFaults(t, func(t *testing.T, faults *storetest.Faults) storage.Store {
		s, _ := newDefault(t, faults)
		return s
	}, storetest.FaultOptions{MaxAttempts: maxAttempts, Secrets: []string{roleKey.SecretKey, roleKey.SessionToken}})
}

// TestRequestHeaders checks what COS sees: the production bucket host, create-only
// record writes, replaceable media writes, and server-side encryption on both.
func TestRequestHeaders(t *testing.T) {
	for _, tc := range []struct {
		sse  string
		want string
	}{{"", "AES256"}, {cosstore.SSECOS, "AES256"}, {cosstore.SSENone, ""}} {
		f := storetest.NewCOSServer(t, nil)
		s := newStore(t, f, static(roleKey), tc.sse)
		if err := s.Create(t.Context(), "sessions/h.json", []byte("{}")); err != nil {
			t.Fatal(err)
		}
		if err := s.PutMedia(t.Context(), "media/h.jpg", strings.NewReader("jpeg"), 4, "image/jpeg"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(t.Context(), "sessions/h.json"); err != nil {
			t.Fatal(err)
		}
		seen := f.Requests()
		if len(seen) != 3 {
			t.Fatalf("SSE %q: the server saw %d requests, want 3", tc.sse, len(seen))
		}
		for _, r := range seen {
			if r.Host != storetest.COSHost {
				t.Errorf("%s request Host %q, want %q", r.Method, r.Host, storetest.COSHost)
			}
			if r.SecretID != roleKey.SecretID {
				t.Errorf("%s request signed by %q", r.Method, r.SecretID)
			}
		}
		create, media := seen[0].Header, seen[1].Header
		if got := create.Get("x-cos-forbid-overwrite"); got != "true" {
			t.Errorf("Create sent x-cos-forbid-overwrite %q, want true", got)
		}
		if got := media.Get("x-cos-forbid-overwrite"); got != "" {
			t.Errorf("PutMedia sent x-cos-forbid-overwrite %q; media may be replaced", got)
		}
		for _, h := range []http.Header{create, media} {
			if got := h.Get("x-cos-server-side-encryption"); got != tc.want {
				t.Errorf("SSE %q: x-cos-server-side-encryption %q, want %q", tc.sse, got, tc.want)
			}
		}
		if got := media.Get("Content-Type"); got != "image/jpeg" {
			t.Errorf("PutMedia Content-Type %q", got)
		}
	}
}

// TestDeleteAndListRequests checks what COS sees of a Delete and a List: requests for
// the production bucket host, signed with the store's key (the server verified the
// signature, the listing's query included).
func TestDeleteAndListRequests(t *testing.T) {
	s, f := newDefault(t, nil)
	if err := s.Create(t.Context(), "sessions/a.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if keys, more, err := s.List(t.Context(), "sessions/", "sessions/", 10); err != nil || more || len(keys) != 1 {
		t.Fatalf("List = %q, %v, %v", keys, more, err)
	}
	if err := s.Delete(t.Context(), "sessions/a.json"); err != nil {
		t.Fatal(err)
	}
	seen := f.Requests()
	if len(seen) != 3 {
		t.Fatalf("the server saw %d requests, want 3", len(seen))
	}
	for i, want := range []string{http.MethodPut, http.MethodGet, http.MethodDelete} {
		r := seen[i]
		if r.Method != want || r.Host != storetest.COSHost || r.SecretID != roleKey.SecretID {
			t.Errorf("request %d: %s to %q signed by %q; want %s to %q signed by %q", i, r.Method, r.Host, r.SecretID, want, storetest.COSHost, roleKey.SecretID)
		}
	}
}

// TestCRCChecked proves the integrity checks are live on both paths: a wrong
// x-cos-hash-crc64ecma fails an upload (the SDK's check) and a download (the store's).
func TestCRCChecked(t *testing.T) {
	s, f := newDefault(t, nil)
	if err := s.Create(t.Context(), "results/ok.json", []byte(`{"ok":true}`)); err != nil {
		t.Fatalf("Create with a correct CRC: %v", err)
	}
	f.Corrupt(true, false)
	err := s.Create(t.Context(), "results/bad.json", []byte(`{"ok":false}`))
	if err == nil || errors.Is(err, storage.ErrExists) {
		t.Fatalf("Create answered with a wrong CRC: err = %v, want a plain error", err)
	}
	f.Corrupt(false, true)
	if _, err := s.Get(t.Context(), "results/ok.json"); err == nil || !strings.Contains(err.Error(), "CRC64") {
		t.Fatalf("Get answered with a wrong CRC: err = %v, want a CRC error", err)
	}
	f.Corrupt(false, false)
	if got, err := s.Get(t.Context(), "results/ok.json"); err != nil || string(got) != `{"ok":true}` {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

// TestCredentialsRotate plays an SCF instance whose role keys change between
// invocations: the old key is revoked at COS, and the store must sign every request
// with the key current at that moment.
func TestCredentialsRotate(t *testing.T) {
	var mu sync.Mutex
	current := roleKey
	creds := func() (cosstore.Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		return current, nil
	}
	f := storetest.NewCOSServer(t, nil, roleKey, nextKey)
	s := newStore(t, f, creds, "")
	if err := s.Create(t.Context(), "sessions/1.json", []byte("one")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	current = nextKey
	mu.Unlock()
	f.Revoke(roleKey.SecretID)
	if err := s.Create(t.Context(), "sessions/2.json", []byte("two")); err != nil {
		t.Fatalf("Create after rotation: %v", err)
	}
	if got, err := s.Get(t.Context(), "sessions/1.json"); err != nil || string(got) != "one" {
		t.Fatalf("Get after rotation = %q, %v", got, err)
	}
	seen := f.Requests()
	if seen[0].SecretID != roleKey.SecretID || seen[len(seen)-1].SecretID != nextKey.SecretID {
		t.Errorf("requests signed by %q first and %q last, want the old key then the new one", seen[0].SecretID, seen[len(seen)-1].SecretID)
	}
	link, err := s.MediaURL(t.Context(), "sessions/1.json", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.Parse(link)
	if !strings.Contains(q.RawQuery, "q-ak="+nextKey.SecretID) || q.Query().Get("x-cos-security-token") != nextKey.SessionToken {
		t.Errorf("presigned link %q is not signed with the current key and token", link)
	}
	if strings.Contains(link, nextKey.SecretKey) {
		t.Fatal("the link contains the secret key")
	}

	// Back to the revoked key: COS refuses, and the store must not mistake that for an answer.
	mu.Lock()
	current = roleKey
	mu.Unlock()
	_, err = s.Get(t.Context(), "sessions/1.json")
	if err == nil || errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), "InvalidAccessKeyId") {
		t.Fatalf("Get with a revoked key: err = %v, want COS's InvalidAccessKeyId", err)
	}
	assertNoSecret(t, err)
}

func TestWrongSecretRefused(t *testing.T) {
	f := storetest.NewCOSServer(t, nil)
	wrong := roleKey
	wrong.SecretKey = "not-the-registered-secret"
	s := newStore(t, f, static(wrong), "")
	err := s.Create(t.Context(), "sessions/x.json", []byte("x"))
	if err == nil || errors.Is(err, storage.ErrExists) || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("Create with a wrong secret: err = %v, want SignatureDoesNotMatch", err)
	}
	if strings.Contains(err.Error(), wrong.SecretKey) {
		t.Fatal("the error contains the secret key")
	}
	// A refused delete must not pass for "nothing to delete".
	if err := s.Delete(t.Context(), "sessions/x.json"); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("Delete with a wrong secret: err = %v, want SignatureDoesNotMatch", err)
	}
	if keys, _, err := s.List(t.Context(), "sessions/", "", 10); err == nil || keys != nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("List with a wrong secret = %q, %v; want no keys and SignatureDoesNotMatch", keys, err)
	}
}

// TestNoUnsignedRequests: missing credentials fail before anything is sent.
func TestNoUnsignedRequests(t *testing.T) {
	f := storetest.NewCOSServer(t, nil)
	for name, creds := range map[string]cosstore.CredentialFunc{
		"no credentials": cosstore.StaticCredentials("", "", ""),
		"no secret key":  cosstore.StaticCredentials("AKIDonly", "", ""),
		"padded":         cosstore.StaticCredentials(" AKIDpadded", "k", ""),
		"provider error": func() (cosstore.Credentials, error) {
			return cosstore.Credentials{}, errors.New("metadata service down")
		},
	} {
		s := newStore(t, f, creds, "")
		if err := s.Create(t.Context(), "x", []byte("x")); err == nil || errors.Is(err, storage.ErrExists) {
			t.Errorf("%s: Create err = %v, want a credential error", name, err)
		}
		if _, err := s.Get(t.Context(), "x"); err == nil || errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s: Get err = %v, want a credential error", name, err)
		}
		if _, err := s.MediaURL(t.Context(), "x", time.Minute); err == nil {
			t.Errorf("%s: MediaURL signed a link without credentials", name)
		}
		if err := s.Delete(t.Context(), "x"); err == nil {
			t.Errorf("%s: Delete err = nil, want a credential error", name)
		}
		if _, _, err := s.List(t.Context(), "", "", 10); err == nil {
			t.Errorf("%s: List err = nil, want a credential error", name)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Fatalf("the server saw %d requests", n)
	}
}

// TestMissingBucketIsNotNotFound: a wrong bucket must surface as an error, not as "no
// such session" (COS answers 404 NoSuchBucket).
func TestMissingBucketIsNotNotFound(t *testing.T) {
	f := storetest.NewCOSServer(t, nil)
	cfg := f.Config()
	cfg.Bucket = "other-1250000000"
	cfg.Host = cfg.Bucket + ".cos." + storetest.COSRegion + ".myqcloud.com"
	s, err := cosstore.NewFromConfig(cfg, static(roleKey), f.Client.Transport)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(t.Context(), "sessions/x.json"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get from a missing bucket: err = %v, want an error other than ErrNotFound", err)
	}
	if err := s.Create(t.Context(), "sessions/x.json", []byte("{}")); err == nil || errors.Is(err, storage.ErrExists) {
		t.Fatalf("Create in a missing bucket: err = %v, want an error other than ErrExists", err)
	}
	// COS answers 404 NoSuchBucket: a delete that "succeeded" there deleted nothing.
	if err := s.Delete(t.Context(), "sessions/x.json"); err == nil {
		t.Fatal("Delete in a missing bucket succeeded")
	}
	if keys, _, err := s.List(t.Context(), "sessions/", "", 10); err == nil {
		t.Fatalf("List of a missing bucket = %q, no error", keys)
	}
}

func TestConfigErrors(t *testing.T) {
	creds := static(roleKey)
	for name, cfg := range map[string]cosstore.Config{
		"no bucket":       {Region: storetest.COSRegion},
		"no appid":        {Bucket: "facegate", Region: storetest.COSRegion},
		"upper case":      {Bucket: "Facegate-125", Region: storetest.COSRegion},
		"no region":       {Bucket: storetest.COSBucket},
		"bad region":      {Bucket: storetest.COSBucket, Region: "ap guangzhou"},
		"base with path":  {Bucket: storetest.COSBucket, BaseURL: "http://127.0.0.1:1/bucket"},
		"base not http":   {Bucket: storetest.COSBucket, BaseURL: "ftp://127.0.0.1:1"},
		"unknown SSE":     {Bucket: storetest.COSBucket, Region: storetest.COSRegion, SSE: "SM4"},
		"base unparsable": {Bucket: storetest.COSBucket, BaseURL: "http://[::1"},
	} {
		if _, err := cosstore.NewFromConfig(cfg, creds, nil); err == nil {
			t.Errorf("%s: NewFromConfig accepted %+v", name, cfg)
		}
	}
	if _, err := cosstore.NewFromConfig(cosstore.Config{Bucket: storetest.COSBucket, Region: storetest.COSRegion}, nil, nil); err == nil {
		t.Error("NewFromConfig accepted nil credentials")
	}
	s, err := cosstore.NewFromConfig(cosstore.Config{Bucket: storetest.COSBucket, Region: storetest.COSRegion}, creds, nil)
	if err != nil {
		t.Fatalf("production config: %v", err)
	}
	link, err := s.MediaURL(t.Context(), "media/a.jpg", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://"+storetest.COSHost+"/media/a.jpg?") {
		t.Errorf("production link %q is not on https://%s", link, storetest.COSHost)
	}
}

func TestCanceledBeforeSend(t *testing.T) {
	s, f := newDefault(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Create(ctx, "x", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Fatalf("a canceled Create reached the server (%d requests)", n)
	}
}

func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	for _, c := range []cosstore.Credentials{roleKey, nextKey} {
		if strings.Contains(err.Error(), c.SecretKey) || strings.Contains(err.Error(), c.SessionToken) {
			t.Fatalf("error text contains a credential: %v", err)
		}
	}
}

func BenchmarkCreateGet(b *testing.B) {
	s, _ := newDefault(b, nil)
	storetest.Bench(b, s)
}

func BenchmarkListDelete(b *testing.B) {
	s, _ := newDefault(b, nil)
	storetest.BenchListDelete(b, s)
}
