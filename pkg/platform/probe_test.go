package platform_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
)

// probePNG is what testdata/fn answers on GET /image.
var probePNG = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0x00, 0xff, 0xfe, 0x80, 0x7f, 0xc3}

// probeCookie is the one cookie testdata/fn sets on GET /start.
var probeCookie = (&http.Cookie{Name: "fg_bind", Value: "nonce-1", Path: "/", HttpOnly: true, Secure: true,
	SameSite: http.SameSiteLaxMode, Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}).String()

var probeCookiesAB = []string{
	(&http.Cookie{Name: "a", Value: "1", Path: "/", Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}).String(),
	(&http.Cookie{Name: "b", Value: "2", Path: "/", Expires: time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)}).String(),
}

const probeLocation = "https://verify.example.com/h5?token=https://shop.example.com/done"

// echo is what testdata/fn answers on /echo.
type echo struct {
	Method      string
	Path        string
	RawQuery    string
	Query       map[string][]string
	Host        string
	Cookie      string
	UserAgent   string
	ContentType string
	Body        string // base64
	ClientIP    string
	RequestID   string
	DeadlineMs  int64
	ProbeEnv    string
}

// fields decodes a response object keeping every key, so tests can check exactly
// which fields a platform receives.
func fields(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, b)
	}
	return m
}

func field[T any](t *testing.T, m map[string]json.RawMessage, key string) T {
	t.Helper()
	var v T
	raw, ok := m[key]
	if !ok {
		t.Fatalf("response has no %q field: %v", key, sortedNames(m))
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("field %q: %v: %s", key, err, raw)
	}
	return v
}

// base64Flag reads isBase64Encoded, which payload 1.0 responses may omit when false.
func base64Flag(t *testing.T, m map[string]json.RawMessage) bool {
	t.Helper()
	if _, ok := m["isBase64Encoded"]; !ok {
		return false
	}
	return field[bool](t, m, "isBase64Encoded")
}

// mutate changes a recorded event: set maps a dotted path to a new value.
func mutate(t *testing.T, raw []byte, set map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	for path, v := range set {
		parts := strings.Split(path, ".")
		m := ev
		for _, p := range parts[:len(parts)-1] {
			m = m[p].(map[string]any)
		}
		m[parts[len(parts)-1]] = v
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeEcho(t *testing.T, body string, isBase64 bool) echo {
	t.Helper()
	b := []byte(body)
	if isBase64 {
		var err error
		if b, err = base64.StdEncoding.DecodeString(body); err != nil {
			t.Fatal(err)
		}
	}
	var e echo
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("echo body: %v: %s", err, b)
	}
	return e
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, body)
	}
	return e.Error.Code
}

// wantError checks an error answer: its status and the JSON body's error code.
func wantError(t *testing.T, m map[string]json.RawMessage, status int, code string) {
	t.Helper()
	if got := field[int](t, m, "statusCode"); got != status {
		t.Errorf("statusCode = %d, want %d", got, status)
	}
	if got := errorCode(t, field[string](t, m, "body")); got != code {
		t.Errorf("error code = %q, want %q", got, code)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestLambdaRuntimeProbe(t *testing.T) {
	api := runtimetest.NewRuntimeAPI(t)
	p := runtimetest.Start(t, []string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), "AWS_LAMBDA_FUNCTION_NAME=facegate-probe"}, binaries["lambda/probe"])

	// Payload 1.0 (REST API).
	v1 := func(t *testing.T, event []byte) (string, time.Time, map[string]json.RawMessage) {
		t.Helper()
		res := runtimetest.InvokeLambda(t, api, p, event)
		if res.Kind != runtimetest.KindResponse {
			t.Fatalf("function posted %s: %s", res.Kind, res.Body)
		}
		m := fields(t, res.Body)
		for _, k := range []string{"statusCode", "headers", "multiValueHeaders", "body"} {
			if _, ok := m[k]; !ok {
				t.Errorf("v1 response lacks %q: %s", k, res.Body)
			}
		}
		if string(m["headers"]) == "null" || string(m["multiValueHeaders"]) == "null" {
			t.Errorf("v1 response has a null headers map (API Gateway answers 502): %s", res.Body)
		}
		return res.RequestID, res.Deadline, m
	}
	// Payload 2.0 (HTTP API) and Function URLs.
	v2 := func(t *testing.T, event []byte) (string, time.Time, map[string]json.RawMessage) {
		t.Helper()
		res := runtimetest.InvokeLambda(t, api, p, event)
		if res.Kind != runtimetest.KindResponse {
			t.Fatalf("function posted %s: %s", res.Kind, res.Body)
		}
		m := fields(t, res.Body)
		if string(m["headers"]) == "null" {
			t.Errorf("v2 response has a null headers map: %s", res.Body)
		}
		if _, ok := m["multiValueHeaders"]; ok {
			t.Errorf("v2 response carries multiValueHeaders: %s", res.Body)
		}
		return res.RequestID, res.Deadline, m
	}

	t.Run("rest v1 redirect with one cookie", func(t *testing.T) {
		id, _, m := v1(t, readTestdata(t, "lambda-rest-v1-start.json"))
		if got := field[int](t, m, "statusCode"); got != http.StatusFound {
			t.Errorf("statusCode = %d", got)
		}
		h := field[map[string]string](t, m, "headers")
		if h["Location"] != probeLocation {
			t.Errorf("Location = %q", h["Location"])
		}
		if _, ok := h["Set-Cookie"]; ok {
			t.Errorf("Set-Cookie in single-value headers: %v", h)
		}
		mv := field[map[string][]string](t, m, "multiValueHeaders")
		if !reflect.DeepEqual(mv["Set-Cookie"], []string{probeCookie}) {
			t.Errorf("multiValueHeaders[Set-Cookie] = %q, want [%q]", mv["Set-Cookie"], probeCookie)
		}
		if body := field[string](t, m, "body"); body != "" {
			t.Errorf("body = %q", body)
		}
		if base64Flag(t, m) {
			t.Error("isBase64Encoded on an empty body")
		}
		if !logsRequest(p, id, "probe") {
			t.Errorf("no log record with request_id %s and function probe:\n%s", id, p.Output())
		}
	})

	t.Run("rest v1 base64 body, multi-value query, source ip", func(t *testing.T) {
		id, deadline, m := v1(t, readTestdata(t, "lambda-rest-v1-echo.json"))
		if got := field[int](t, m, "statusCode"); got != http.StatusOK {
			t.Fatalf("statusCode = %d: %s", got, m["body"])
		}
		e := decodeEcho(t, field[string](t, m, "body"), base64Flag(t, m))
		want := echo{
			Method: "POST", Path: "/echo", RawQuery: "q=a+b%26c&tag=a&tag=b",
			Query: map[string][]string{"tag": {"a", "b"}, "q": {"a b&c"}},
			Host:  "a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com", Cookie: "fg_bind=nonce-1; other=x",
			ContentType: "application/octet-stream", Body: "AP/+gH9oZWxsbw==", ClientIP: "203.0.113.8",
			RequestID: id, DeadlineMs: deadline.UnixMilli(),
		}
		if !reflect.DeepEqual(e, want) {
			t.Errorf("echo =\n%+v\nwant\n%+v", e, want)
		}
	})

	t.Run("rest v1 two cookies stay separate", func(t *testing.T) {
		ev := mutate(t, readTestdata(t, "lambda-rest-v1-start.json"), map[string]any{"path": "/cookies", "resource": "/cookies"})
		_, _, m := v1(t, ev)
		if got := field[int](t, m, "statusCode"); got != http.StatusNoContent {
			t.Errorf("statusCode = %d", got)
		}
		mv := field[map[string][]string](t, m, "multiValueHeaders")
		if !reflect.DeepEqual(mv["Set-Cookie"], probeCookiesAB) {
			t.Errorf("Set-Cookie = %q, want %q", mv["Set-Cookie"], probeCookiesAB)
		}
	})

	t.Run("http api v2 redirect with cookies[]", func(t *testing.T) {
		_, _, m := v2(t, readTestdata(t, "lambda-httpapi-v2-start.json"))
		if got := field[int](t, m, "statusCode"); got != http.StatusFound {
			t.Errorf("statusCode = %d", got)
		}
		h := field[map[string]string](t, m, "headers")
		if h["Location"] != probeLocation {
			t.Errorf("Location = %q", h["Location"])
		}
		if _, ok := h["Set-Cookie"]; ok {
			t.Errorf("Set-Cookie in headers: %v", h)
		}
		if got := field[[]string](t, m, "cookies"); !reflect.DeepEqual(got, []string{probeCookie}) {
			t.Errorf("cookies = %q, want [%q]", got, probeCookie)
		}
		if body := field[string](t, m, "body"); body != "" || base64Flag(t, m) {
			t.Errorf("body = %q", body)
		}
	})

	t.Run("http api v2 cookies[] in, raw query, text body", func(t *testing.T) {
		id, deadline, m := v2(t, readTestdata(t, "lambda-httpapi-v2-echo.json"))
		if base64Flag(t, m) {
			t.Error("JSON answered base64-encoded")
		}
		e := decodeEcho(t, field[string](t, m, "body"), false)
		want := echo{
			Method: "POST", Path: "/echo", RawQuery: "tag=a&tag=b&q=a+b%26c",
			Query: map[string][]string{"tag": {"a", "b"}, "q": {"a b&c"}},
			Host:  "k9l8m7n6o5.execute-api.ap-southeast-1.amazonaws.com", Cookie: "fg_bind=nonce-1; other=x",
			UserAgent: "probe/1.0", ContentType: "application/json", Body: b64(`{"returnTo":"https://shop.example.com/done"}`),
			ClientIP: "203.0.113.10", RequestID: id, DeadlineMs: deadline.UnixMilli(),
		}
		if !reflect.DeepEqual(e, want) {
			t.Errorf("echo =\n%+v\nwant\n%+v", e, want)
		}
	})

	t.Run("http api v2 two cookies", func(t *testing.T) {
		ev := mutate(t, readTestdata(t, "lambda-httpapi-v2-start.json"), map[string]any{"rawPath": "/cookies", "requestContext.http.path": "/cookies"})
		_, _, m := v2(t, ev)
		if got := field[[]string](t, m, "cookies"); !reflect.DeepEqual(got, probeCookiesAB) {
			t.Errorf("cookies = %q, want %q", got, probeCookiesAB)
		}
	})

	t.Run("function url binary response", func(t *testing.T) {
		_, _, m := v2(t, readTestdata(t, "lambda-furl-image.json"))
		if !base64Flag(t, m) {
			t.Fatal("binary body not base64-encoded")
		}
		got, err := base64.StdEncoding.DecodeString(field[string](t, m, "body"))
		if err != nil || !bytes.Equal(got, probePNG) {
			t.Errorf("body = %x (%v), want %x", got, err, probePNG)
		}
		if h := field[map[string]string](t, m, "headers"); h["Content-Type"] != "image/png" {
			t.Errorf("Content-Type = %q", h["Content-Type"])
		}
	})

	t.Run("function url base64 request body", func(t *testing.T) {
		id, _, m := v2(t, readTestdata(t, "lambda-furl-echo.json"))
		e := decodeEcho(t, field[string](t, m, "body"), base64Flag(t, m))
		if e.Method != "PUT" || e.Body != b64("hello furl") || e.RawQuery != "token=abc%2Fdef&flag" ||
			e.Query["token"][0] != "abc/def" || e.Cookie != "fg_bind=nonce-2" || e.ClientIP != "203.0.113.12" || e.RequestID != id {
			t.Errorf("echo = %+v", e)
		}
	})

	t.Run("panic becomes a JSON 500 and the process lives on", func(t *testing.T) {
		ev := mutate(t, readTestdata(t, "lambda-httpapi-v2-start.json"), map[string]any{"rawPath": "/panic"})
		_, _, m := v2(t, ev)
		wantError(t, m, http.StatusInternalServerError, "internal")
		if !logsText(p, "handler panicked") {
			t.Errorf("the panic was not logged:\n%s", p.Output())
		}
		if strings.Contains(p.Output(), "AKIDprobe") {
			t.Error("the panic value reached the logs")
		}
		_, _, m = v2(t, readTestdata(t, "lambda-furl-image.json"))
		if got := field[int](t, m, "statusCode"); got != http.StatusOK {
			t.Errorf("after the panic: statusCode = %d", got)
		}
	})

	t.Run("response over 6 MB becomes a JSON 500", func(t *testing.T) {
		ev := mutate(t, readTestdata(t, "lambda-rest-v1-start.json"), map[string]any{"path": "/big"})
		_, _, m := v1(t, ev)
		wantError(t, m, http.StatusInternalServerError, "internal")
	})

	t.Run("event over 6 MB gets 413", func(t *testing.T) {
		big := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 5<<20))
		ev := mutate(t, readTestdata(t, "lambda-httpapi-v2-echo.json"), map[string]any{"body": big, "isBase64Encoded": true})
		_, _, m := v2(t, ev)
		wantError(t, m, http.StatusRequestEntityTooLarge, "body_too_large")
	})

	t.Run("non-HTTP event is reported as an invocation error", func(t *testing.T) {
		res := runtimetest.InvokeLambda(t, api, p, []byte(`{"source":"aws.events","detail-type":"Scheduled Event"}`))
		if res.Kind != runtimetest.KindError {
			t.Fatalf("posted %s: %s", res.Kind, res.Body)
		}
		var e struct{ ErrorMessage, ErrorType string }
		if err := json.Unmarshal(res.Body, &e); err != nil || !strings.Contains(e.ErrorMessage, "not an HTTP request") {
			t.Errorf("error = %s (%v)", res.Body, err)
		}
	})

	if !logsText(p, `"runtime":"lambda"`) {
		t.Errorf("runtime choice not logged:\n%s", p.Output())
	}
}

func TestSCFEventRuntimeProbe(t *testing.T) {
	port := runtimetest.Port(t)
	p := runtimetest.Start(t, []string{"_LAMBDA_SERVER_PORT=" + port, "TENCENTCLOUD_RUNENV=SCF", "SCF_FUNCTIONNAME=facegate-probe"}, binaries["scf/probe"])
	rt := runtimetest.ConnectSCF(t, p, port)

	// invoke checks the integrated-response shape and returns its fields.
	invoke := func(t *testing.T, event []byte, env string) (string, time.Time, map[string]json.RawMessage) {
		t.Helper()
		req, resp := runtimetest.InvokeSCF(t, rt, event, env)
		if resp.Error != nil {
			t.Fatalf("invoke error: %+v", resp.Error)
		}
		m := fields(t, resp.Payload)
		want := []string{"body", "headers", "isBase64Encoded", "statusCode"}
		if got := sortedNames(m); len(got) != len(want) {
			t.Errorf("integrated response fields = %v, want %v", got, want)
		}
		for _, k := range want {
			if _, ok := m[k]; !ok {
				t.Errorf("integrated response lacks %q: %s", k, resp.Payload)
			}
		}
		return req.RequestId, req.Deadline.Time(), m
	}

	t.Run("api gateway redirect with one cookie", func(t *testing.T) {
		id, _, m := invoke(t, readTestdata(t, "scf-apigw-start.json"), "")
		if got := field[int](t, m, "statusCode"); got != http.StatusFound {
			t.Errorf("statusCode = %d", got)
		}
		h := field[map[string]string](t, m, "headers")
		if h["Location"] != probeLocation || h["Set-Cookie"] != probeCookie {
			t.Errorf("headers = %v", h)
		}
		if field[string](t, m, "body") != "" || base64Flag(t, m) {
			t.Errorf("body = %s", m["body"])
		}
		if !logsRequest(p, id, "probe") {
			t.Errorf("no log record with request_id %s:\n%s", id, p.Output())
		}
	})

	t.Run("api gateway query forms, base64 body, source ip, environment", func(t *testing.T) {
		id, deadline, m := invoke(t, readTestdata(t, "scf-apigw-echo.json"), `{"FACEGATE_PROBE_ENV":"from-invoke"}`)
		e := decodeEcho(t, field[string](t, m, "body"), base64Flag(t, m))
		want := echo{
			Method: "POST", Path: "/echo", RawQuery: "flag&q=a+b%26c&tag=a&tag=b",
			Query: map[string][]string{"flag": {""}, "tag": {"a", "b"}, "q": {"a b&c"}},
			Host:  "service-f94sy04v-1250000000.sg.apigw.tencentcs.com", Cookie: "fg_bind=nonce-1; other=x",
			ContentType: "application/octet-stream", Body: "AP/+gH9oZWxsbw==",
			// The gateway's requestContext wins over client-settable headers.
			ClientIP:  "203.0.113.21",
			RequestID: id, DeadlineMs: deadline.UnixMilli(), ProbeEnv: "from-invoke",
		}
		if !reflect.DeepEqual(e, want) {
			t.Errorf("echo =\n%+v\nwant\n%+v", e, want)
		}
	})

	t.Run("function url event", func(t *testing.T) {
		id, _, m := invoke(t, readTestdata(t, "scf-url-echo.json"), "")
		e := decodeEcho(t, field[string](t, m, "body"), base64Flag(t, m))
		want := echo{
			Method: "POST", Path: "/echo", RawQuery: "flag&token=abc%2Fdef",
			Query: map[string][]string{"flag": {""}, "token": {"abc/def"}},
			Host:  "1250000000-abcdefgh.ap-singapore.tencentscf.com", Cookie: "fg_bind=nonce-3", UserAgent: "probe/1.0",
			ContentType: "application/json", Body: b64(`{"hello":"url"}`), ClientIP: "203.0.113.22",
			RequestID: id, DeadlineMs: e.DeadlineMs, ProbeEnv: "from-invoke",
		}
		if !reflect.DeepEqual(e, want) {
			t.Errorf("echo =\n%+v\nwant\n%+v", e, want)
		}
	})

	t.Run("function url binary response", func(t *testing.T) {
		_, _, m := invoke(t, readTestdata(t, "scf-url-image.json"), "")
		if !base64Flag(t, m) {
			t.Fatal("binary body not base64-encoded")
		}
		got, err := base64.StdEncoding.DecodeString(field[string](t, m, "body"))
		if err != nil || !bytes.Equal(got, probePNG) {
			t.Errorf("body = %x (%v)", got, err)
		}
	})

	t.Run("only the first of two cookies fits, with a warning", func(t *testing.T) {
		ev := mutate(t, readTestdata(t, "scf-apigw-start.json"), map[string]any{"path": "/cookies"})
		_, _, m := invoke(t, ev, "")
		if h := field[map[string]string](t, m, "headers"); h["Set-Cookie"] != probeCookiesAB[0] {
			t.Errorf("Set-Cookie = %q, want %q", h["Set-Cookie"], probeCookiesAB[0])
		}
		if !logsText(p, "extra cookies dropped") {
			t.Errorf("no warning about the dropped cookie:\n%s", p.Output())
		}
	})

	t.Run("panic becomes a JSON 500", func(t *testing.T) {
		ev := mutate(t, readTestdata(t, "scf-apigw-start.json"), map[string]any{"path": "/panic"})
		_, _, m := invoke(t, ev, "")
		wantError(t, m, http.StatusInternalServerError, "internal")
		if !logsText(p, "handler panicked") {
			t.Errorf("the panic was not logged:\n%s", p.Output())
		}
		if strings.Contains(p.Output(), "AKIDprobe") {
			t.Error("the panic value reached the logs")
		}
	})

	t.Run("event over 6 MB gets 413", func(t *testing.T) {
		big := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 5<<20))
		ev := mutate(t, readTestdata(t, "scf-apigw-echo.json"), map[string]any{"body": big})
		_, _, m := invoke(t, ev, "")
		wantError(t, m, http.StatusRequestEntityTooLarge, "body_too_large")
	})

	t.Run("non-HTTP event is an invocation error", func(t *testing.T) {
		_, resp := runtimetest.InvokeSCF(t, rt, []byte(`{"Type":"Timer","TriggerName":"warm","Time":"2026-01-01T00:00:00Z"}`), "")
		if resp.Error == nil || resp.Error.Type != "HandlerError" || resp.Payload != nil {
			t.Errorf("resp = %+v", resp)
		}
	})

	if !logsText(p, `"runtime":"scf-event"`) {
		t.Errorf("runtime choice not logged:\n%s", p.Output())
	}
}

// webBootstrap prepares deploy/scf_bootstrap to run here: the checked-in file must
// be what SCF needs (executable, LF, absolute /var/user path); the copy points that
// path at dir, where the binary is placed as main.
func webBootstrap(t *testing.T, binary string) string {
	t.Helper()
	src := filepath.Join(repoRoot, "deploy", "scf_bootstrap")
	info, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o111 == 0 {
		t.Errorf("deploy/scf_bootstrap is not executable: %v", info.Mode())
	}
	script, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(script, []byte("\r")) {
		t.Error("deploy/scf_bootstrap has CR line endings")
	}
	if !bytes.HasPrefix(script, []byte("#!/")) || !bytes.Contains(script, []byte("exec /var/user/main\n")) {
		t.Errorf("deploy/scf_bootstrap does not exec /var/user/main by absolute path:\n%s", script)
	}
	path, err := runtimetest.SCFWebBootstrap(t.TempDir(), src, binary)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSCFWebFunctionProbe(t *testing.T) {
	addr := "127.0.0.1:" + runtimetest.Port(t)
	p := runtimetest.Start(t, []string{"FACEGATE_SCF_WEB_ADDR=" + addr, "TENCENTCLOUD_RUNENV=SCF"}, webBootstrap(t, binaries["scf/probe"]))
	base := "http://" + addr
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	runtimetest.WaitFor(t, p, "web function listening", runtimetest.Dialable(addr))

	t.Run("redirect with one cookie", func(t *testing.T) {
		resp, err := client.Get(base + "/start?returnTo=https://shop.example.com/done")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != probeLocation {
			t.Errorf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if got := resp.Header.Values("Set-Cookie"); !reflect.DeepEqual(got, []string{probeCookie}) {
			t.Errorf("Set-Cookie = %q", got)
		}
	})

	t.Run("request id and client ip from SCF's proxy headers", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(ctxTimeout(t), http.MethodPost, base+"/echo?flag&a=1", strings.NewReader("hi"))
		req.Header.Set("X-Scf-Request-Id", "web-req-1")
		req.Header.Set("X-Scf-Remote-Addr", "203.0.113.30")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e echo
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
			t.Fatal(err)
		}
		if e.RequestID != "web-req-1" || e.ClientIP != "203.0.113.30" || e.Body != b64("hi") || e.RawQuery != "flag&a=1" {
			t.Errorf("echo = %+v", e)
		}
	})

	t.Run("panic becomes a JSON 500", func(t *testing.T) {
		resp, err := client.Get(base + "/panic")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusInternalServerError || errorCode(t, body.String()) != "internal" {
			t.Errorf("status %d body %s", resp.StatusCode, body.String())
		}
	})

	t.Run("declared body over 6 MB gets 413 unread", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 7340032\r\n\r\n"))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || errorCode(t, body.String()) != "body_too_large" {
			t.Errorf("status %d body %s", resp.StatusCode, body.String())
		}
	})

	if !logsText(p, `"runtime":"scf-web"`) {
		t.Errorf("runtime choice not logged:\n%s", p.Output())
	}
}

func TestLocalServerProbe(t *testing.T) {
	port := runtimetest.Port(t)
	p := runtimetest.Start(t, []string{"PORT=" + port}, binaries["probe"])
	var e echo
	runtimetest.WaitFor(t, p, "local server answering", func() error {
		resp, err := http.Get("http://127.0.0.1:" + port + "/echo")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&e)
	})
	if e.ClientIP != "127.0.0.1" || len(e.RequestID) != 24 {
		t.Errorf("echo = %+v", e)
	}
	if !logsText(p, `"runtime":"local"`) {
		t.Errorf("runtime choice not logged:\n%s", p.Output())
	}
}

func TestBadRuntimeOverrideFailsAtStart(t *testing.T) {
	p := runtimetest.Start(t, []string{"FACEGATE_RUNTIME=kubernetes"}, binaries["probe"])
	p.MayFail = true
	err := p.Wait()
	if err == nil || !strings.Contains(p.Output(), "FACEGATE_RUNTIME") {
		t.Errorf("exit %v, output %s", err, p.Output())
	}
}
