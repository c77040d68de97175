package faceid_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/faceid"
)

// verifyingTransport checks each request's signature with the independent verifier and
// answers in memory, so the benchmark measures signing and verification, not a socket.
type verifyingTransport struct {
	keys map[string]string
	now  time.Time
	tb   testing.TB
}

func (v verifyingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	in := tc3Input{Host: r.Host, ContentType: r.Header.Get("Content-Type"), Timestamp: r.Header.Get("X-TC-Timestamp"), Body: body}
	if err := verifyTC3(in, r.Header.Get("Authorization"), v.keys, v.now); err != nil {
		v.tb.Fatal(err)
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(applyOK)),
		Request:    r,
	}, nil
}

func BenchmarkSignAndVerify(b *testing.B) {
	c, err := faceid.New(faceid.Config{
		Credentials: faceid.StaticCredentials(vectorID, vectorKey, ""),
		HTTPClient:  &http.Client{Transport: verifyingTransport{keys: map[string]string{vectorID: vectorKey}, now: vectorTime, tb: b}},
		Now:         func() time.Time { return vectorTime },
	})
	if err != nil {
		b.Fatal(err)
	}
	req := validApply()
	req.Extra = "order-42"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ApplyWebVerificationBizTokenIntl(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
