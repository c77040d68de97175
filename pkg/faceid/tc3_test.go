package faceid_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/sandbox"
)

// This file holds an independent TC3-HMAC-SHA256 implementation, written from the
// algorithm in faceid-api.md, used to check what the SDK sends.

// tc3Input is everything the signature covers.
type tc3Input struct {
	Host        string
	ContentType string
	Timestamp   string
	Body        []byte
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tc3Authorization computes the Authorization header for in.
func tc3Authorization(in tc3Input, secretID, secretKey string) (string, error) {
	ts, err := strconv.ParseInt(in.Timestamp, 10, 64)
	if err != nil {
		return "", fmt.Errorf("timestamp %q: %w", in.Timestamp, err)
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	canonical := "POST\n/\n\n" +
		"content-type:" + in.ContentType + "\nhost:" + in.Host + "\n" + "\n" +
		"content-type;host\n" + sha256Hex(in.Body)
	scope := date + "/faceid/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + in.Timestamp + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	kDate := hmacSHA256([]byte("TC3"+secretKey), date)
	kService := hmacSHA256(kDate, "faceid")
	kSigning := hmacSHA256(kService, "tc3_request")
	sig := hex.EncodeToString(hmacSHA256(kSigning, toSign))
	return "TC3-HMAC-SHA256 Credential=" + secretID + "/" + scope + ", SignedHeaders=content-type;host, Signature=" + sig, nil
}

// errBadSignature is any verification failure.
var errBadSignature = errors.New("tc3: signature does not verify")

// verifyTC3 checks authorization against in, the keys in keys (SecretId -> SecretKey) and
// the clock: at most five minutes of skew, as Tencent allows.
func verifyTC3(in tc3Input, authorization string, keys map[string]string, now time.Time) error {
	const prefix = "TC3-HMAC-SHA256 Credential="
	if !strings.HasPrefix(authorization, prefix) {
		return fmt.Errorf("%w: algorithm", errBadSignature)
	}
	cred, rest, ok := strings.Cut(authorization[len(prefix):], ", SignedHeaders=")
	if !ok {
		return fmt.Errorf("%w: no SignedHeaders", errBadSignature)
	}
	if signed, _, _ := strings.Cut(rest, ", Signature="); signed != "content-type;host" {
		return fmt.Errorf("%w: signed headers %q", errBadSignature, signed)
	}
	secretID, _, _ := strings.Cut(cred, "/")
	key, known := keys[secretID]
	if !known {
		return fmt.Errorf("%w: unknown SecretId", errBadSignature)
	}
	ts, err := strconv.ParseInt(in.Timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp", errBadSignature)
	}
	if skew := now.Sub(time.Unix(ts, 0)); skew > 5*time.Minute || skew < -5*time.Minute {
		return fmt.Errorf("%w: clock skew %v", errBadSignature, skew)
	}
	want, err := tc3Authorization(in, secretID, key)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(want), []byte(authorization)) {
		return fmt.Errorf("%w: mismatch", errBadSignature)
	}
	return nil
}

// captured is one request as it left the client.
type captured struct {
	Header http.Header
	Host   string
	Body   []byte
}

func (c captured) tc3() tc3Input {
	return tc3Input{Host: c.Host, ContentType: c.Header.Get("Content-Type"), Timestamp: c.Header.Get("X-TC-Timestamp"), Body: c.Body}
}

// recordingTransport answers every request in memory with body and records it, so the
// signature of a fixed host can be checked without a network.
type recordingTransport struct {
	mu   sync.Mutex
	reqs []captured
	body string
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, captured{Header: r.Header.Clone(), Host: r.Host, Body: body})
	rt.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(rt.body)),
		Request:    r,
	}, nil
}

func (rt *recordingTransport) last(t testing.TB) captured {
	t.Helper()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.reqs) == 0 {
		t.Fatal("no request was sent")
	}
	return rt.reqs[len(rt.reqs)-1]
}

// The fixed vector: keys, clock and request are constants, so the Authorization header
// is too. goldenAuthorization was computed outside Go (Python hmac/hashlib) and is kept literally so
// that a change in either the SDK or the verifier shows up.
var (
	vectorTime = time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	vectorID   = "AKIDvector0000000000000000000000000"
	vectorKey  = "vectorSecretKey000000000000000000"
)

const goldenAuthorization = "TC3-HMAC-SHA256 Credential=AKIDvector0000000000000000000000000/2026-03-01/faceid/tc3_request, SignedHeaders=content-type;host, Signature=19624d87ca39f37b33b25a432396be1a0624c0cc4febcd22a7baa9fd1eba4edf"

func signVector(t testing.TB) captured {
	t.Helper()
	rt := &recordingTransport{body: `{"Response":{"BizToken":"B","VerificationURL":"https://intl.faceid.qq.com/reflect/?token=B","RequestId":"r"}}`}
	c, err := faceid.New(faceid.Config{
		Credentials: faceid.StaticCredentials(vectorID, vectorKey, ""),
		HTTPClient:  &http.Client{Transport: rt},
		Now:         func() time.Time { return vectorTime },
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ApplyWebVerificationBizTokenIntl(context.Background(), &faceid.ApplyWebVerificationBizTokenIntlRequest{
		RedirectURL: "https://merchant.example/callback?shop=1",
		Extra:       "order-42",
	})
	if err != nil {
		t.Fatal(err)
	}
	return rt.last(t)
}

func TestSignatureVector(t *testing.T) {
	req := signVector(t)
	if req.Host != faceid.DefaultEndpoint {
		t.Fatalf("Host = %q", req.Host)
	}
	if got, want := string(req.Body), `{"RedirectURL":"https://merchant.example/callback?shop=1","Extra":"order-42"}`; got != want {
		t.Fatalf("body = %s, want %s", got, want)
	}
	if got := req.Header.Get("X-TC-Timestamp"); got != strconv.FormatInt(vectorTime.Unix(), 10) {
		t.Fatalf("X-TC-Timestamp = %q", got)
	}
	for h, want := range map[string]string{
		"X-TC-Action":  faceid.ActionApplyWebVerificationBizTokenIntl,
		"X-TC-Version": "2018-03-01",
		"X-TC-Region":  faceid.DefaultRegion,
		"Content-Type": "application/json",
	} {
		if got := req.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if _, ok := req.Header["X-Tc-Token"]; ok {
		t.Error("long-term keys sent an X-TC-Token")
	}
	auth := req.Header.Get("Authorization")
	want, err := tc3Authorization(req.tc3(), vectorID, vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	if auth != want {
		t.Fatalf("SDK Authorization\n %s\nindependent\n %s", auth, want)
	}
	if auth != goldenAuthorization {
		t.Fatalf("Authorization\n %s\nchanged from the recorded vector\n %s", auth, goldenAuthorization)
	}
	keys := map[string]string{vectorID: vectorKey}
	if err := verifyTC3(req.tc3(), auth, keys, vectorTime); err != nil {
		t.Fatalf("vector does not verify: %v", err)
	}
}

func TestSignatureAnyChangeFails(t *testing.T) {
	req := signVector(t)
	auth := req.Header.Get("Authorization")
	keys := map[string]string{vectorID: vectorKey}
	base := req.tc3()

	type mutation struct {
		name string
		in   tc3Input
		auth string
		keys map[string]string
		now  time.Time
	}
	var muts []mutation
	// Every single byte of the body, flipped in turn.
	for i := range base.Body {
		in := base
		in.Body = bytes.Clone(base.Body)
		in.Body[i] ^= 0x01
		muts = append(muts, mutation{name: fmt.Sprintf("body byte %d", i), in: in})
	}
	in := base
	in.Body = append(bytes.Clone(base.Body), ' ')
	muts = append(muts, mutation{name: "body appended", in: in})
	in = base
	in.Host = "faceid.tencentcloudapi.com"
	muts = append(muts, mutation{name: "host", in: in})
	in = base
	in.ContentType = "application/json; charset=utf-8"
	muts = append(muts, mutation{name: "content type", in: in})
	for _, d := range []int64{-1, 1, 86400} {
		in = base
		ts, _ := strconv.ParseInt(base.Timestamp, 10, 64)
		in.Timestamp = strconv.FormatInt(ts+d, 10)
		muts = append(muts, mutation{name: fmt.Sprintf("timestamp %+d s", d), in: in})
	}
	for i := range len(auth) {
		b := []byte(auth)
		b[i] ^= 0x01
		muts = append(muts, mutation{name: fmt.Sprintf("authorization byte %d", i), in: base, auth: string(b)})
	}
	muts = append(muts,
		mutation{name: "other secret key", in: base, keys: map[string]string{vectorID: vectorKey + "x"}},
		mutation{name: "unknown secret id", in: base, keys: map[string]string{"AKIDother": vectorKey}},
		mutation{name: "clock 6 minutes later", in: base, now: vectorTime.Add(6 * time.Minute)},
		mutation{name: "clock 6 minutes earlier", in: base, now: vectorTime.Add(-6 * time.Minute)},
	)
	for _, m := range muts {
		a, k, now := auth, keys, vectorTime
		if m.auth != "" {
			a = m.auth
		}
		if m.keys != nil {
			k = m.keys
		}
		if !m.now.IsZero() {
			now = m.now
		}
		if err := verifyTC3(m.in, a, k, now); !errors.Is(err, errBadSignature) {
			t.Errorf("%s: verified (err %v)", m.name, err)
		}
	}
	// And the unchanged request within the allowed skew still verifies.
	if err := verifyTC3(base, auth, keys, vectorTime.Add(4*time.Minute)); err != nil {
		t.Errorf("4 minutes of skew: %v", err)
	}
}

// TestSignatureVectorAgainstSandbox replays the fixed vector, as the SDK signed it, to the
// sandbox over HTTP. Unchanged it is accepted; one flipped bit in any byte of the body,
// the Authorization header, or a signed header (Host, Content-Type), or any change of
// X-TC-Timestamp, is refused with an AuthFailure code before the request is acted on.
// X-TC-Action, -Version and -Region are not covered by Tencent's signature (SignedHeaders
// is content-type;host), so they are left out.
func TestSignatureVectorAgainstSandbox(t *testing.T) {
	vec := signVector(t)
	if vec.Header.Get("Authorization") != goldenAuthorization {
		t.Fatal("the SDK no longer produces the recorded vector")
	}
	sb := sandbox.New(sandbox.Options{
		Credentials: []sandbox.Credential{{SecretID: vectorID, SecretKey: vectorKey}},
		Now:         func() time.Time { return vectorTime },
		RateLimit:   -1,
		// The vector carries no compare image; the signature, not the image rule, is
		// under test.
		AllowMissingCompareImage: true,
	})
	api := httptest.NewServer(sb.APIHandler())
	t.Cleanup(api.Close)

	send := func(host string, header http.Header, body []byte) (code string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, api.URL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		req.Host = host
		resp, err := api.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env struct {
			Response struct {
				Error     *struct{ Code string }
				BizToken  string
				RequestId string
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Response.RequestId == "" {
			t.Fatalf("not an envelope: %v", err)
		}
		if env.Response.Error != nil {
			return env.Response.Error.Code
		}
		if env.Response.BizToken == "" {
			t.Fatal("accepted without a BizToken")
		}
		return ""
	}
	refused := func(name, code string) {
		t.Helper()
		if !strings.HasPrefix(code, "AuthFailure.") {
			t.Errorf("%s: answered %q, want an AuthFailure code", name, code)
		}
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 0x01
		return string(b)
	}
	withHeader := func(k, v string) http.Header {
		h := vec.Header.Clone()
		h.Set(k, v)
		return h
	}

	if code := send(vec.Host, vec.Header.Clone(), vec.Body); code != "" {
		t.Fatalf("the vector itself: %s", code)
	}
	for i := range vec.Body {
		b := bytes.Clone(vec.Body)
		b[i] ^= 0x01
		refused(fmt.Sprintf("body byte %d", i), send(vec.Host, vec.Header.Clone(), b))
	}
	auth := vec.Header.Get("Authorization")
	for i := range len(auth) {
		refused(fmt.Sprintf("Authorization byte %d", i), send(vec.Host, withHeader("Authorization", flip(auth, i)), vec.Body))
	}
	for i := range len(vec.Host) {
		refused(fmt.Sprintf("Host byte %d", i), send(flip(vec.Host, i), vec.Header.Clone(), vec.Body))
	}
	ct := vec.Header.Get("Content-Type")
	for i := range len(ct) {
		refused(fmt.Sprintf("Content-Type byte %d", i), send(vec.Host, withHeader("Content-Type", flip(ct, i)), vec.Body))
	}
	ts := vec.Header.Get("X-TC-Timestamp")
	for i := range len(ts) {
		refused(fmt.Sprintf("X-TC-Timestamp byte %d", i), send(vec.Host, withHeader("X-TC-Timestamp", flip(ts, i)), vec.Body))
	}
	for _, d := range []int64{-301, -1, 1, 301} {
		n, _ := strconv.ParseInt(ts, 10, 64)
		refused(fmt.Sprintf("timestamp %+d s", d), send(vec.Host, withHeader("X-TC-Timestamp", strconv.FormatInt(n+d, 10)), vec.Body))
	}
	refused("X-TC-Token added", send(vec.Host, withHeader("X-TC-Token", "token"), vec.Body))
	h := vec.Header.Clone()
	h.Del("Authorization")
	refused("no Authorization", send(vec.Host, h, vec.Body))
}

// TestOtherPublicHostByConfiguration: the default is faceid.intl.tencentcloudapi.com;
// faceid.tencentcloudapi.com (the Go intl SDK's default) and region hosts stay reachable
// through Config.Endpoint, and the request is sent to and signed for that host.
func TestOtherPublicHostByConfiguration(t *testing.T) {
	if faceid.DefaultEndpoint != "faceid.intl.tencentcloudapi.com" {
		t.Fatalf("DefaultEndpoint = %q", faceid.DefaultEndpoint)
	}
	for _, host := range []string{"faceid.tencentcloudapi.com", "faceid.ap-singapore.tencentcloudapi.com"} {
		rt := &recordingTransport{body: `{"Response":{"ErrorCode":null,"RequestId":"r"}}`}
		c, err := faceid.New(faceid.Config{
			Endpoint:    host,
			Credentials: faceid.StaticCredentials(vectorID, vectorKey, ""),
			HTTPClient:  &http.Client{Transport: rt},
			Now:         func() time.Time { return vectorTime },
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetWebVerificationResultIntl(context.Background(), "TOKEN-1"); err != nil {
			t.Fatal(err)
		}
		req := rt.last(t)
		if req.Host != host {
			t.Fatalf("sent to %q, want %q", req.Host, host)
		}
		if err := verifyTC3(req.tc3(), req.Header.Get("Authorization"), map[string]string{vectorID: vectorKey}, vectorTime); err != nil {
			t.Fatalf("%s: %v", host, err)
		}
	}
}
