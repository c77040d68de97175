// The adapters of every runtime, as the build without a platform tag carries them.

//go:build !lambda && !scf

package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestIsText(t *testing.T) {
	tests := []struct {
		contentType string
		body        string
		want        bool
	}{
		{"application/json", `{"a":1}`, true},
		{"application/json; charset=utf-8", `{}`, true},
		{"text/html; charset=utf-8", "<p>é</p>", true},
		{"application/problem+json", `{}`, true},
		{"image/svg+xml", "<svg/>", true},
		{"application/x-www-form-urlencoded", "a=1", true},
		{"image/png", "\x89PNG", false},
		{"application/octet-stream", "plain", false},
		{"text/plain", "\xff\xfe", false},
		{"", "plain", true},
		{"", "\xff", false},
		{"not a type", "x", false},
	}
	for _, tt := range tests {
		if got := isText(tt.contentType, []byte(tt.body)); got != tt.want {
			t.Errorf("isText(%q, %q) = %v, want %v", tt.contentType, tt.body, got, tt.want)
		}
	}
}

func TestSCFQuery(t *testing.T) {
	var q map[string]flexValues
	if err := json.Unmarshal([]byte(`{"b":["2","3"],"a":"1","flag":true,"off":false,"n":7,"sp ace":"x&y","nil":null}`), &q); err != nil {
		t.Fatal(err)
	}
	if got, want := scfQuery(q), "a=1&b=2&b=3&flag&n=7&sp+ace=x%26y"; got != want {
		t.Errorf("scfQuery = %q, want %q", got, want)
	}
	var bad map[string]flexValues
	if err := json.Unmarshal([]byte(`{"a":{"x":1}}`), &bad); err != nil {
		t.Fatal(err)
	}
}

func TestResponseEncodings(t *testing.T) {
	r := eventResponse{status: 302, header: http.Header{
		"Location":   {"/x"},
		"Set-Cookie": {"a=1; Expires=Wed, 02 Jan 2030 03:04:05 GMT", "b=2"},
		"Vary":       {"Origin", "Cookie"},
	}}
	v1 := v1Response(r)
	if v1.Headers["Location"] != "/x" || len(v1.MultiValueHeaders["Set-Cookie"]) != 2 || len(v1.MultiValueHeaders["Vary"]) != 2 {
		t.Errorf("v1 = %+v", v1)
	}
	for k := range v1.Headers {
		if _, dup := v1.MultiValueHeaders[k]; dup {
			t.Errorf("v1 header %s in both maps", k)
		}
	}
	v2 := v2Response(r)
	if v2.Headers["Vary"] != "Origin, Cookie" || len(v2.Cookies) != 2 || v2.Headers["Set-Cookie"] != "" {
		t.Errorf("v2 = %+v", v2)
	}
	a := &adapter{logger: slog.New(slog.DiscardHandler)}
	scf := a.scfResponse(context.Background(), r)
	if scf.Headers["Set-Cookie"] != r.header["Set-Cookie"][0] || scf.Headers["Vary"] != "Origin, Cookie" {
		t.Errorf("scf = %+v", scf)
	}
}

func loadEvent(b *testing.B, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	http.SetCookie(w, &http.Cookie{Name: "fg_bind", Value: "n", Path: "/", HttpOnly: true})
	w.Header().Set("Location", "https://verify.example.com/h5")
	w.WriteHeader(http.StatusFound)
})

// BenchmarkLambdaV2 is the adapter's own cost per HTTP API event: decode, build the
// request, run a trivial handler, encode.
func BenchmarkLambdaV2(b *testing.B) {
	h := lambdaHandler{&adapter{handler: benchHandler, logger: slog.New(slog.DiscardHandler)}}
	payload := loadEvent(b, "lambda-httpapi-v2-echo.json")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "bench"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Invoke(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLambdaV1 is the same for REST API events.
func BenchmarkLambdaV1(b *testing.B) {
	h := lambdaHandler{&adapter{handler: benchHandler, logger: slog.New(slog.DiscardHandler)}}
	payload := loadEvent(b, "lambda-rest-v1-echo.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Invoke(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSCFEvent is the same for SCF API Gateway events (without the RPC hop;
// scfrpc.BenchmarkInvoke measures that).
func BenchmarkSCFEvent(b *testing.B) {
	a := &adapter{handler: benchHandler, logger: slog.New(slog.DiscardHandler)}
	payload := loadEvent(b, "scf-apigw-echo.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.scfInvoke(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
}

// TestServerAddr: tests move the web function off port 9000 with FACEGATE_SCF_WEB_ADDR;
// without it, a web function listens where SCF sends its traffic, and nothing else
// leaves loopback.
func TestServerAddr(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		kind   Kind
		addr   string
		getenv func(string) string
		want   string
	}{
		{SCFWeb, "", env(), "0.0.0.0:9000"},
		{SCFWeb, "127.0.0.1:1234", env("PORT", "7000"), "0.0.0.0:9000"},
		{SCFWeb, "", env(EnvSCFWebAddr, "127.0.0.1:5555"), "127.0.0.1:5555"},
		{Local, "", env(), "127.0.0.1:8080"},
		{Local, "", env("PORT", "7000"), "127.0.0.1:7000"},
		{Local, "127.0.0.1:1234", env("PORT", "7000"), "127.0.0.1:1234"},
	}
	for _, tt := range tests {
		if got := serverAddr(tt.kind, tt.addr, tt.getenv); got != tt.want {
			t.Errorf("serverAddr(%s, %q) = %q, want %q", tt.kind, tt.addr, got, tt.want)
		}
	}
}

// TestBinaryAnswerCappedOnceEncoded: Lambda and SCF count the response as sent, so a
// binary body is measured base64-encoded; text is measured as it is.
func TestBinaryAnswerCappedOnceEncoded(t *testing.T) {
	serve := func(contentType string, size int) eventResponse {
		a := &adapter{logger: slog.New(slog.DiscardHandler), handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.Write(bytes.Repeat([]byte{'x'}, size))
		})}
		return a.serveEvent(context.Background(), httpEvent{method: http.MethodGet, target: "/x", header: http.Header{}})
	}
	limit := maxResponseSize / 4 * 3 // the largest body whose base64 fits
	if r := serve("image/png", limit); r.status != http.StatusOK {
		t.Errorf("binary body of %d bytes: status %d", limit, r.status)
	}
	if r := serve("image/png", limit+3); r.status != http.StatusInternalServerError {
		t.Errorf("binary body of %d bytes (over 6 MB encoded): status %d", limit+3, r.status)
	}
	if r := serve("text/plain", limit+3); r.status != http.StatusOK {
		t.Errorf("text body of %d bytes: status %d", limit+3, r.status)
	}
}

// TestSCFEventKindBeforeFields: an SCF event is told apart by its method and Type alone,
// so an HTTP event with a field of the wrong type is answered 400 (an invocation error
// would reach the client as the gateway's opaque 502), and a timer event runs whatever
// else it carries.
func TestSCFEventKindBeforeFields(t *testing.T) {
	runs := 0
	a := &adapter{handler: benchHandler, logger: slog.New(slog.DiscardHandler), scheduled: func(context.Context) error { runs++; return nil }}
	for _, payload := range []string{
		`{"httpMethod":"GET","path":"/x","headers":5}`,
		`{"httpMethod":"GET","requestContext":"x"}`,
		`{"requestContext":{"httpMethod":"POST"},"queryString":[1]}`,
	} {
		out, err := a.scfInvoke(context.Background(), []byte(payload))
		var resp scfResponse
		if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != http.StatusBadRequest ||
			!strings.Contains(resp.Body, `"invalid_request"`) {
			t.Errorf("%s: %s, %v", payload, out, err)
		}
	}
	if out, err := a.scfInvoke(context.Background(), []byte(`{"Type":"Timer","headers":5}`)); err != nil || runs != 1 || string(out) != `{"ok":true}` {
		t.Errorf("timer event with a stray field: %s, %v, %d runs", out, err, runs)
	}
	if _, err := a.scfInvoke(context.Background(), []byte(`{"httpMethod":5}`)); err == nil {
		t.Error("an event with no method and no Type was served")
	}
}
