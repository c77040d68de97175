package s3store_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/storage"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facegate/facegate/pkg/s3store"
	"github.com/facegate/facegate/pkg/storetest"
)

// newStore returns a store on srv built as production wiring builds it, with cfg's
// encryption settings.
func newStore(t testing.TB, srv *storetest.S3Server, cfg s3store.Config) *s3store.Store {
	t.Helper()
	c := srv.Config()
	c.SSE, c.KMSKeyID = cfg.SSE, cfg.KMSKeyID
	s, err := s3store.NewFromConfig(c, srv.AWSConfig())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newFakeS3(t testing.TB, faults *storetest.Faults, cfg s3store.Config, outer ...func(http.Handler) http.Handler) (*s3store.Store, *storetest.S3Server) {
	t.Helper()
	srv := storetest.NewS3Server(t, faults, outer...)
	return newStore(t, srv, cfg), srv
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Store {
		s, _ := newFakeS3(t, nil, s3store.Config{})
		return s
	})
}

func TestContractRaw(t *testing.T) {
	storetest.RunRaw(t, func(t *testing.T) (storage.Store, storetest.PutRaw) {
		s, f := newFakeS3(t, nil, s3store.Config{})
		return s, f.PutRaw
	})
}

func TestMediaContract(t *testing.T) {
	storetest.RunMedia(t, func(t *testing.T) storetest.MediaFixture {
		s, f := newFakeS3(t, nil, s3store.Config{})
		return storetest.MediaFixture{Store: s, Client: f.Client, Advance: f.Advance}
	})
}

func TestFaults(t *testing.T) {
	storetest.RunFaults(t, func(t *testing.T, faults *storetest.Faults) storage.Store {
		s, _ := newFakeS3(t, faults, s3store.Config{})
		return s
	}, storetest.FaultOptions{MaxAttempts: 3, Secrets: []string{storetest.S3SecretKey, storetest.S3SessionToken}})
}

// TestWritesAreConditionalAndEncrypted checks the headers S3 sees: every record write is
// create-only and every write asks for server-side encryption.
func TestWritesAreConditionalAndEncrypted(t *testing.T) {
	for _, tc := range []struct {
		cfg     s3store.Config
		sse     string
		kmsKey  string
		comment string
	}{
		{s3store.Config{}, "AES256", "", "default SSE-S3"},
		{s3store.Config{SSE: s3store.SSEKMS, KMSKeyID: "alias/facegate"}, "aws:kms", "alias/facegate", "SSE-KMS with a key"},
		{s3store.Config{SSE: s3store.SSENone}, "", "", "no header"},
	} {
		t.Run(tc.comment, func(t *testing.T) {
			s, f := newFakeS3(t, nil, tc.cfg)
			if err := s.Create(t.Context(), "sessions/enc.json", []byte("{}")); err != nil {
				t.Fatal(err)
			}
			if err := s.PutMedia(t.Context(), "media/enc.jpg", strings.NewReader("jpeg"), 4, "image/jpeg"); err != nil {
				t.Fatal(err)
			}
			puts := f.PutHeaders()
			if len(puts) != 2 {
				t.Fatalf("saw %d PUTs, want 2", len(puts))
			}
			if got := puts[0].Get("If-None-Match"); got != "*" {
				t.Errorf("Create sent If-None-Match %q, want *", got)
			}
			if got := puts[1].Get("If-None-Match"); got != "" {
				t.Errorf("PutMedia sent If-None-Match %q; media may be replaced", got)
			}
			for i, h := range puts {
				if got := h.Get("X-Amz-Server-Side-Encryption"); got != tc.sse {
					t.Errorf("PUT %d: x-amz-server-side-encryption %q, want %q", i, got, tc.sse)
				}
				if got := h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"); got != tc.kmsKey {
					t.Errorf("PUT %d: KMS key %q, want %q", i, got, tc.kmsKey)
				}
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	client := s3.New(s3.Options{Region: "us-east-1"})
	for name, opts := range map[string]s3store.Options{
		"unknown SSE":       {SSE: "rot13"},
		"KMS key with S3":   {SSE: s3store.SSES3, KMSKeyID: "k"},
		"KMS key, no SSE":   {SSE: s3store.SSENone, KMSKeyID: "k"},
		"KMS key, default ": {KMSKeyID: "k"},
	} {
		if _, err := s3store.New(client, "b", opts); err == nil {
			t.Errorf("%s: New accepted %+v", name, opts)
		}
	}
	if _, err := s3store.New(client, "", s3store.Options{}); err == nil {
		t.Error("New accepted an empty bucket")
	}
	if _, err := s3store.NewFromConfig(s3store.Config{}, aws.Config{Region: "us-east-1"}); err == nil || !strings.Contains(err.Error(), "FACEGATE_S3_BUCKET") {
		t.Errorf("NewFromConfig without a bucket: err = %v, want one naming FACEGATE_S3_BUCKET", err)
	}
	if _, err := s3store.NewFromConfig(s3store.Config{Bucket: "b"}, aws.Config{}); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("NewFromConfig without a region: err = %v, want one naming AWS_REGION", err)
	}
}

// TestMissingBucketIsNotNotFound: a wrong bucket name must surface as an error, not
// as "no such session", or every verification would look unknown.
func TestMissingBucketIsNotNotFound(t *testing.T) {
	srv := storetest.NewS3Server(t, nil)
	cfg := srv.Config()
	cfg.Bucket = "no-such-bucket"
	s, err := s3store.NewFromConfig(cfg, srv.AWSConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(t.Context(), "sessions/x.json")
	if err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get from a missing bucket: err = %v, want an error other than ErrNotFound", err)
	}
	err = s.Create(t.Context(), "sessions/x.json", []byte("{}"))
	if err == nil || errors.Is(err, storage.ErrExists) {
		t.Fatalf("Create in a missing bucket: err = %v, want an error other than ErrExists", err)
	}
	// S3 answers 404 NoSuchBucket: a delete that "succeeded" there deleted nothing.
	if err := s.Delete(t.Context(), "sessions/x.json"); err == nil {
		t.Fatal("Delete in a missing bucket succeeded")
	}
	if keys, _, err := s.List(t.Context(), "sessions/", "", 10); err == nil {
		t.Fatalf("List of a missing bucket = %q, no error", keys)
	}
}

// conflicts answers S3's 409 ConditionalRequestConflict (another conditional write of
// the key in flight) to the first limit PUTs and counts them.
type conflicts struct {
	mu       sync.Mutex
	limit, n int
}

func (c *conflicts) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		conflict := r.Method == http.MethodPut && c.n < c.limit
		if conflict {
			c.n++
		}
		c.mu.Unlock()
		if !conflict {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprint(w, `<Error><Code>ConditionalRequestConflict</Code><Message>A conflicting conditional operation is currently in progress against this resource.</Message></Error>`)
	})
}

func (c *conflicts) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestConditionalConflictRetried: one conflict is retried and the write lands; a
// conflict that outlasts the attempt budget means another writer holds the key.
func TestConditionalConflictRetried(t *testing.T) {
	once := &conflicts{limit: 1}
	s, _ := newFakeS3(t, nil, s3store.Config{}, once.wrap)
	if err := s.Create(t.Context(), "results/conflict.json", []byte("mine")); err != nil {
		t.Fatalf("Create after one 409 conflict: %v", err)
	}
	if n := once.count(); n != 1 {
		t.Fatalf("the conflict was answered %d times, want 1", n)
	}
	got, err := s.Get(t.Context(), "results/conflict.json")
	if err != nil || string(got) != "mine" {
		t.Fatalf("Get = %q, %v", got, err)
	}

	always := &conflicts{limit: 1000}
	s, _ = newFakeS3(t, nil, s3store.Config{}, always.wrap)
	if err := s.Create(t.Context(), "results/conflict.json", []byte("mine")); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("Create against a lasting conflict: err = %v, want ErrExists", err)
	}
	if n := always.count(); n != 3 {
		t.Fatalf("Create sent %d PUTs against a lasting conflict, want 3 (the attempt budget)", n)
	}
}

// TestPresignedURL checks the link a merchant backend receives: the right bucket and
// key, the requested lifetime, signed with the store's credentials (the session token
// included), and nothing of the secret key.
func TestPresignedURL(t *testing.T) {
	s, f := newFakeS3(t, nil, s3store.Config{})
	link, err := s.MediaURL(t.Context(), "media/s/frame 1.jpg", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.URL + "/" + storetest.S3Bucket + "/media/s/frame%201.jpg"; !strings.HasPrefix(link, want+"?") {
		t.Errorf("link %q does not start with %q", link, want)
	}
	q := u.Query()
	if got := q.Get("X-Amz-Expires"); got != "900" {
		t.Errorf("X-Amz-Expires = %q, want 900", got)
	}
	if got := q.Get("X-Amz-Security-Token"); got != storetest.S3SessionToken {
		t.Errorf("X-Amz-Security-Token missing from the link")
	}
	if !strings.HasPrefix(q.Get("X-Amz-Credential"), storetest.S3AccessKey+"/") {
		t.Errorf("X-Amz-Credential = %q, want the store's access key", q.Get("X-Amz-Credential"))
	}
	if strings.Contains(link, storetest.S3SecretKey) {
		t.Fatal("the link contains the secret key")
	}
	for _, ttl := range []time.Duration{0, -time.Second, s3store.MaxMediaTTL + time.Second} {
		if _, err := s.MediaURL(t.Context(), "media/x", ttl); err == nil {
			t.Errorf("MediaURL accepted lifetime %v", ttl)
		}
	}
}

// TestGetCapWithoutContentLength: the size cap must hold even when the response does
// not announce its length (chunked), so a wrong or missing header cannot exhaust memory.
func TestGetCapWithoutContentLength(t *testing.T) {
	s, f := newFakeS3(t, nil, s3store.Config{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(chunked{w}, r)
		})
	})
	f.PutRaw(t, "big", make([]byte, storage.MaxObjectSize+1))
	if _, err := s.Get(t.Context(), "big"); !errors.Is(err, storage.ErrTooLarge) {
		t.Fatalf("Get of an oversized object sent chunked: err = %v, want ErrTooLarge", err)
	}
}

// chunked drops Content-Length so the server streams the body chunked.
type chunked struct{ http.ResponseWriter }

func (c chunked) WriteHeader(status int) {
	c.Header().Del("Content-Length")
	c.ResponseWriter.WriteHeader(status)
}

func (c chunked) Write(b []byte) (int, error) {
	c.Header().Del("Content-Length")
	return c.ResponseWriter.Write(b)
}

func TestCanceledBeforeSend(t *testing.T) {
	s, f := newFakeS3(t, nil, s3store.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	before := len(f.PutHeaders())
	if err := s.Create(ctx, "x", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(f.PutHeaders()) != before {
		t.Fatal("a canceled Create still reached the server")
	}
}

func BenchmarkCreateGet(b *testing.B) {
	s, _ := newFakeS3(b, nil, s3store.Config{})
	storetest.Bench(b, s)
}

func BenchmarkListDelete(b *testing.B) {
	s, _ := newFakeS3(b, nil, s3store.Config{})
	storetest.BenchListDelete(b, s)
}
