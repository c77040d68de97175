package storetest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/facegate/facegate/pkg/s3store"
)

// The bucket and test credentials of S3Server.
const (
	S3Bucket       = "facegate-sessions"
	S3Region       = "ap-southeast-1"
	S3AccessKey    = "AKIAFACEGATETEST0001"
	S3SecretKey    = "s3-secret-key-that-must-never-be-printed"
	S3SessionToken = "s3-session-token-that-must-never-be-printed"
)

// S3Server is an S3 endpoint on a loopback HTTP server, path-style, holding one empty
// bucket, for tests that use the real aws-sdk-go-v2. Objects live in gofakes3, which
// enforces If-None-Match: * atomically. In front of it this layer records the headers
// of every PUT and plays the one S3 check gofakes3 lacks that stores rely on: a presigned
// URL past X-Amz-Date + X-Amz-Expires gets S3's 403 AccessDenied "Request has expired".
// gofakes3 checks no signatures. It answers DeleteObject with 204 whether or not the key
// held an object, as S3 does, and ListObjectsV2 honouring prefix, start-after, max-keys
// and its continuation tokens, but it calls a full page truncated when any key of the
// bucket follows it, matching the prefix or not.
type S3Server struct {
	// URL is the endpoint, for s3store.Config.Endpoint.
	URL string
	// Client reaches the server, like a merchant backend following a presigned link.
	Client *http.Client

	raw    *s3.Client
	close  func()
	mu     sync.Mutex
	offset time.Duration
	puts   []http.Header
}

// NewS3Server starts an S3Server that closes with t. faults, when not nil, stands in
// front of everything; outer wraps the handler further (outermost last).
func NewS3Server(t testing.TB, faults *Faults, outer ...func(http.Handler) http.Handler) *S3Server {
	t.Helper()
	s, err := StartS3Server(faults, outer...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartS3Server is NewS3Server for a program (cmd/coldstart, cmd/emulate): the caller
// closes it.
func StartS3Server(faults *Faults, outer ...func(http.Handler) http.Handler) (*S3Server, error) {
	backend := s3mem.New()
	if err := backend.CreateBucket(S3Bucket); err != nil {
		return nil, err
	}
	s := &S3Server{}
	var h http.Handler = s.wrap(gofakes3.New(backend).Server())
	if faults != nil {
		h = faults.Wrap(h)
	}
	for _, o := range outer {
		h = o(h)
	}
	srv := httptest.NewServer(h)
	s.close = srv.Close
	s.URL, s.Client = srv.URL, srv.Client()
	s.raw = s3.NewFromConfig(s.AWSConfig(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
	})
	return s, nil
}

// Close stops the server.
func (s *S3Server) Close() { s.close() }

// AWSConfig returns an aws.Config with the test credentials and region, and an HTTP
// client for this server.
func (s *S3Server) AWSConfig() aws.Config {
	return aws.Config{
		Region:      S3Region,
		Credentials: credentials.NewStaticCredentialsProvider(S3AccessKey, S3SecretKey, S3SessionToken),
		HTTPClient:  s.Client,
	}
}

// Config returns an s3store.Config for the bucket on this server, with up to three
// attempts per call and no wait between them, so fault tests stay fast.
func (s *S3Server) Config() s3store.Config {
	return s3store.Config{
		Bucket:       S3Bucket,
		Endpoint:     s.URL,
		UsePathStyle: true,
		MaxAttempts:  3,
		MaxBackoff:   time.Millisecond,
	}
}

// Advance moves the clock that decides whether a presigned URL has expired.
func (s *S3Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// PutHeaders returns the headers of every PUT the server received, in order.
func (s *S3Server) PutHeaders() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.puts...)
}

// PutRaw writes an object with a plain SDK client, bypassing any store; it is a PutRaw
// for RunRaw.
func (s *S3Server) PutRaw(t *testing.T, key string, data []byte) {
	t.Helper()
	_, err := s.raw.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(S3Bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("raw put %q: %v", key, err)
	}
}

func (s *S3Server) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Has("X-Amz-Signature") && s.presignExpired(q) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>`)
			return
		}
		if r.Method == http.MethodPut {
			s.mu.Lock()
			s.puts = append(s.puts, r.Header.Clone())
			s.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (s *S3Server) presignExpired(q url.Values) bool {
	signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return true
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 1 || secs > 604800 {
		return true
	}
	s.mu.Lock()
	now := time.Now().Add(s.offset)
	s.mu.Unlock()
	return now.After(signed.Add(time.Duration(secs) * time.Second))
}
