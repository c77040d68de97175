package storetest

import (
	"bytes"
	"crypto/hmac"
	"fmt"
	"hash"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/tencentyun/cos-go-sdk-v5"

	"github.com/facegate/facegate/pkg/cosstore"
)

// The bucket of COSServer and test credentials it accepts by default.
const (
	COSBucket = "facegate-1250000000"
	COSRegion = "ap-guangzhou"
	// COSHost is the bucket's production host name; requests carry it in Host.
	COSHost = COSBucket + ".cos." + COSRegion + ".myqcloud.com"
)

// COSKey is a test key pair with a session token, as an SCF role has.
var COSKey = cosstore.Credentials{
	SecretID:     "AKID-facegate-role-0001",
	SecretKey:    "cos-role-secret-that-must-never-be-printed",
	SessionToken: "cos-session-token-that-must-never-be-printed",
}

// COSServer is a COS endpoint for one bucket on a loopback HTTP server, for tests that
// use the real cos-go-sdk-v5. Objects live in gofakes3 (an S3 server: COS's object API is
// S3-shaped); in front of it this layer plays the parts of COS that gofakes3 does not
// know and the store depends on:
//
//   - authentication: each request's COS signature (Authorization header or presigned
//     query) is recomputed with the SDK's own signing code from the secret registered
//     for its SecretId, its session token compared and its validity window checked;
//     anything else gets COS's 403 (InvalidAccessKeyId, SignatureDoesNotMatch,
//     InvalidToken, AccessDenied "Request has expired");
//   - create-only writes: COS's x-cos-forbid-overwrite: true becomes the equivalent
//     If-None-Match: * that gofakes3 enforces atomically, and gofakes3's 412 for it
//     becomes COS's answer, 409 FileAlreadyExists (as COS documents for this header);
//   - integrity: x-cos-hash-crc64ecma (CRC-64/ECMA of the object) on successful PUT and
//     GET answers for objects (not on a bucket listing), as COS sends it and as the SDK
//     verifies uploads against it;
//   - deletes and listings pass through with their signatures checked like every
//     request: DELETE answers 204 whether or not the key held an object, as COS does,
//     and GET Bucket (ListObjects: prefix, marker, max-keys) gets gofakes3's S3
//     ListObjects answer, which has COS's shape; gofakes3 calls a full page truncated
//     when any key of the bucket follows it, matching the prefix or not;
//   - addressing: the host names the bucket; requests for the server's own address
//     (presigned links, which carry the URL's host) are for the test bucket, as if
//     that address were the bucket's own domain.
//
// It also records what it saw, for tests of the headers the store sends.
type COSServer struct {
	// URL is the server's address, for cosstore.Config.BaseURL.
	URL string
	// Client reaches the server, like a merchant backend following a presigned link.
	Client *http.Client

	close      func()
	mu         sync.Mutex
	offset     time.Duration // the server clock runs this far ahead of the real one
	keys       map[string]cosstore.Credentials
	seen       []COSRequest
	corruptPut bool
	corruptGet bool
	requestID  int
}

// COSRequest is what COSServer saw of one request.
type COSRequest struct {
	Method string
	// Host is the Host header as received.
	Host string
	// SecretID is the key that signed the request ("" if unsigned).
	SecretID string
	Header   http.Header
}

// NewCOSServer starts a COSServer that closes with t and accepts requests signed with
// keys (COSKey when none are given). faults, when not nil, stands in front of it.
func NewCOSServer(t testing.TB, faults *Faults, keys ...cosstore.Credentials) *COSServer {
	t.Helper()
	f, err := StartCOSServer(faults, keys...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// StartCOSServer is NewCOSServer for a program (cmd/coldstart, cmd/emulate): the caller
// closes it.
func StartCOSServer(faults *Faults, keys ...cosstore.Credentials) (*COSServer, error) {
	if len(keys) == 0 {
		keys = []cosstore.Credentials{COSKey}
	}
	backend := s3mem.New()
	if err := backend.CreateBucket(COSBucket); err != nil {
		return nil, err
	}
	f := &COSServer{keys: map[string]cosstore.Credentials{}}
	for _, c := range keys {
		f.keys[c.SecretID] = c
	}
	var h http.Handler = f.wrap(gofakes3.New(backend, gofakes3.WithHostBucket(true)).Server())
	if faults != nil {
		h = faults.Wrap(h)
	}
	srv := httptest.NewServer(h)
	f.close = srv.Close
	f.URL, f.Client = srv.URL, srv.Client()
	return f, nil
}

// Close stops the server.
func (f *COSServer) Close() { f.close() }

// Config returns a cosstore.Config for the bucket: BaseURL is this server and Host the
// production host name, so requests look as they will in production; three attempts
// per call.
func (f *COSServer) Config() cosstore.Config {
	return cosstore.Config{Bucket: COSBucket, Region: COSRegion, BaseURL: f.URL, Host: COSHost, MaxAttempts: 3}
}

func (f *COSServer) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Now().Add(f.offset)
}

// Advance moves the server's clock, which decides whether signatures have expired.
func (f *COSServer) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offset += d
}

// Revoke makes the server refuse requests signed with secretID.
func (f *COSServer) Revoke(secretID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.keys, secretID)
}

// Corrupt makes the server send a wrong x-cos-hash-crc64ecma on successful PUTs, GETs
// or both, to prove the checks of it are live.
func (f *COSServer) Corrupt(put, get bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.corruptPut, f.corruptGet = put, get
}

// Requests returns what the server saw of each request, in order.
func (f *COSServer) Requests() []COSRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]COSRequest(nil), f.seen...)
}

func (f *COSServer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requestID++
		id := fmt.Sprintf("fakecos-%d", f.requestID)
		f.mu.Unlock()
		w.Header().Set("x-cos-request-id", id)

		secretID, code, msg := f.authenticate(r)
		f.mu.Lock()
		f.seen = append(f.seen, COSRequest{Method: r.Method, Host: r.Host, SecretID: secretID, Header: r.Header.Clone()})
		f.mu.Unlock()
		if code != "" {
			writeCOSError(w, http.StatusForbidden, code, msg, r, id)
			return
		}

		if !strings.HasSuffix(r.Host, ".myqcloud.com") {
			r.Host = COSHost
		}
		forbidOverwrite := r.Method == http.MethodPut && strings.EqualFold(r.Header.Get("x-cos-forbid-overwrite"), "true")
		if forbidOverwrite {
			r.Header.Set("If-None-Match", "*")
		}
		var upload hash.Hash64
		if r.Method == http.MethodPut {
			upload = crc64.New(crc64.MakeTable(crc64.ECMA))
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(r.Body, upload), r.Body}
		}

		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)

		if forbidOverwrite && rec.Code == http.StatusPreconditionFailed {
			writeCOSError(w, http.StatusConflict, "FileAlreadyExists", "The object already exists and x-cos-forbid-overwrite is true.", r, id)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		if rec.Code == http.StatusOK {
			f.mu.Lock()
			corruptPut, corruptGet := f.corruptPut, f.corruptGet
			f.mu.Unlock()
			switch r.Method {
			case http.MethodPut:
				w.Header().Set("x-cos-hash-crc64ecma", crcHeader(upload.Sum64(), corruptPut))
			case http.MethodGet:
				if r.URL.Path == "/" {
					break
				}
				w.Header().Set("x-cos-hash-crc64ecma", crcHeader(crc64.Checksum(rec.Body.Bytes(), crc64.MakeTable(crc64.ECMA)), corruptGet))
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// PutRaw writes an object through a plain SDK client with the SDK's own fixed-key
// transport and COSKey, like another writer of the bucket; it is a PutRaw for RunRaw.
func (f *COSServer) PutRaw(t *testing.T, key string, data []byte) {
	t.Helper()
	u, err := url.Parse(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := cos.NewClient(&cos.BaseURL{BucketURL: u}, &http.Client{Transport: &cos.AuthorizationTransport{
		SecretID: COSKey.SecretID, SecretKey: COSKey.SecretKey, SessionToken: COSKey.SessionToken,
		Transport: f.Client.Transport,
	}})
	c.Host = COSHost
	if _, err := c.Object.Put(t.Context(), key, bytes.NewReader(data), nil); err != nil {
		t.Fatalf("raw put %q: %v", key, err)
	}
}

func crcHeader(sum uint64, corrupt bool) string {
	if corrupt {
		sum ^= 1
	}
	return strconv.FormatUint(sum, 10)
}

// authenticate checks a request's COS signature. It returns the SecretId that signed
// it, and a COS error code and message when it must be refused.
func (f *COSServer) authenticate(r *http.Request) (secretID, code, msg string) {
	query := r.URL.Query()
	presigned := query.Has("q-signature")
	var auth map[string]string
	if presigned {
		auth = map[string]string{}
		for k := range query {
			if strings.HasPrefix(k, "q-") {
				auth[k] = query.Get(k)
				query.Del(k)
			}
		}
	} else {
		header := r.Header.Get("Authorization")
		if header == "" {
			return "", "AccessDenied", "Access Denied."
		}
		auth = parseAuthorization(header)
	}
	secretID = auth["q-ak"]
	f.mu.Lock()
	cred, known := f.keys[secretID]
	f.mu.Unlock()
	if !known {
		return secretID, "InvalidAccessKeyId", "The access key Id format you provided is invalid."
	}
	signStart, signEnd, ok1 := parseWindow(auth["q-sign-time"])
	keyStart, keyEnd, ok2 := parseWindow(auth["q-key-time"])
	if !ok1 || !ok2 {
		return secretID, "AccessDenied", "Invalid q-sign-time or q-key-time."
	}
	if now := f.now(); now.After(signEnd) || now.After(keyEnd) {
		return secretID, "AccessDenied", "Request has expired"
	}
	token := r.Header.Get("x-cos-security-token")
	if presigned {
		token = query.Get("x-cos-security-token")
	}
	if token != cred.SessionToken {
		return secretID, "InvalidToken", "The provided token is malformed or otherwise invalid."
	}

	// Re-sign what the client signed (the listed headers, the URL without the
	// signature) with the registered secret, using the SDK's own signing code.
	u := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: query.Encode()}
	again := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}}
	for name := range strings.SplitSeq(auth["q-header-list"], ";") {
		if name != "" && name != "host" {
			again.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	cos.AddAuthorizationHeader(secretID, cred.SecretKey, "", again, &cos.AuthTime{
		SignStartTime: signStart, SignEndTime: signEnd, KeyStartTime: keyStart, KeyEndTime: keyEnd,
	})
	want := parseAuthorization(again.Header.Get("Authorization"))["q-signature"]
	if !hmac.Equal([]byte(want), []byte(auth["q-signature"])) {
		return secretID, "SignatureDoesNotMatch", "The Signature you specified does not match."
	}
	return secretID, "", ""
}

func parseAuthorization(s string) map[string]string {
	m := map[string]string{}
	for kv := range strings.SplitSeq(s, "&") {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func parseWindow(s string) (start, end time.Time, ok bool) {
	a, b, found := strings.Cut(s, ";")
	from, err1 := strconv.ParseInt(a, 10, 64)
	to, err2 := strconv.ParseInt(b, 10, 64)
	if !found || err1 != nil || err2 != nil || to < from {
		return time.Time{}, time.Time{}, false
	}
	return time.Unix(from, 0), time.Unix(to, 0), true
}

// writeCOSError answers with COS's XML error document.
func writeCOSError(w http.ResponseWriter, status int, code, msg string, r *http.Request, id string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>%s</Code>\n\t<Message>%s</Message>\n\t<Resource>%s%s</Resource>\n\t<RequestId>%s</RequestId>\n\t<TraceId>%s</TraceId>\n</Error>",
		code, msg, COSHost, r.URL.EscapedPath(), id, id)
}
