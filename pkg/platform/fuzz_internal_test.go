// The adapters of every runtime, as the build without a platform tag carries them.

//go:build !lambda && !scf

package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// The fuzz targets below feed arbitrary bytes, and mutations of the recorded events in
// testdata, to each event shape's decode-and-answer path, in front of a trivial handler
// that echoes the request body. Whatever arrives, the platform must get an answer it
// can use: no panic; for an HTTP event, a response object with a status of 200-599, a
// headers map (never null), a string body whose isBase64Encoded flag says how to read
// it, and at most 6 MiB of body; the handler's own bytes delivered unchanged when it
// answered, and the JSON error envelope with a 4xx or 5xx status when the adapter
// answered for it. Only what is no event of the function's kinds at all may end as an
// invocation error. `make fuzz` runs each target for FUZZTIME; `go test` runs the seeds.

// fuzzMarker is the header the echo handler sets, so an answer tells whether the handler
// or the adapter wrote it.
const fuzzMarker = "X-Fuzz-Handler"

// echoHandler answers 200 (or the status its query's status asks for, within 200-599)
// with the request's body, repeated as often as its query's repeat asks (so a small
// event reaches the response cap), under the request's Content-Type, and one cookie.
// written receives exactly the bytes of an answer that fits the cap.
func echoHandler(written *bytes.Buffer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set(fuzzMarker, "1")
		if ct := r.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		http.SetCookie(w, &http.Cookie{Name: "fuzz", Value: "1", Path: "/"})
		q := r.URL.Query()
		if status, err := strconv.Atoi(q.Get("status")); err == nil && status >= 200 && status <= 599 {
			w.WriteHeader(status)
		}
		repeat, _ := strconv.Atoi(q.Get("repeat"))
		repeat = min(max(repeat, 1), maxResponseSize)
		if len(body)*repeat <= 64<<10 {
			out := bytes.Repeat(body, repeat)
			n, _ := w.Write(out)
			written.Write(out[:n])
			return
		}
		// A large answer is one just past the cap: in the recorder for text, once
		// base64-encoded for binary. It must never reach the platform, so written does
		// not keep it. (Sizes in between are TestBinaryAnswerCappedOnceEncoded's; here
		// they would slow the search down.)
		large := pastCap()
		if isText(w.Header().Get("Content-Type"), body) {
			w.Write(large.text)
		} else {
			w.Write(large.binary)
		}
	})
}

// pastCap holds the large answers of echoHandler, made once: text one byte over the
// response cap, and binary one byte over what fits the cap once base64-encoded.
var pastCap = sync.OnceValue(func() struct{ text, binary []byte } {
	return struct{ text, binary []byte }{
		text:   bytes.Repeat([]byte("a"), maxResponseSize+1),
		binary: bytes.Repeat([]byte{0xff}, maxResponseSize/4*3+1),
	}
})

// fuzzAdapter is an adapter around the echo handler that logs nowhere; scheduled, when
// set, is the function's Scheduled.
func fuzzAdapter(written *bytes.Buffer, scheduled func(context.Context) error) *adapter {
	return &adapter{handler: echoHandler(written), logger: slog.New(slog.DiscardHandler), scheduled: scheduled}
}

// addSeeds adds every testdata event whose name starts with one of prefixes, and extra.
func addSeeds(f *testing.F, prefixes []string, extra ...[]byte) {
	f.Helper()
	n := 0
	for _, prefix := range prefixes {
		files, err := filepath.Glob(filepath.Join("testdata", prefix+"*.json"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no testdata events for %v", prefixes)
	}
	for _, b := range append(extra, nil, []byte("{}"), []byte("null"), []byte(`"x"`), []byte("[1]"), []byte("{")) {
		f.Add(b)
	}
}

// mustJSON is v as JSON, for seeds.
func mustJSON(f *testing.F, v any) []byte {
	f.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// Answer shapes: which fields each platform's response object must have.
const (
	shapeREST = "rest" // API Gateway REST, payload 1.0: headers and multiValueHeaders
	shapeV2   = "v2"   // HTTP API payload 2.0 and Function URLs: headers and cookies
	shapeSCF  = "scf"  // SCF integrated response: single-valued headers
)

// checkAnswer holds an HTTP event's answer, as the platform reads it, to the rules above.
// written is what the echo handler wrote.
func checkAnswer(t *testing.T, shape string, out []byte, written []byte) {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %.200s", err, out)
	}
	var a struct {
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Cookies           []string            `json:"cookies"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatalf("answer does not decode: %v: %.200s", err, out)
	}
	required := []string{"statusCode", "headers", "body"}
	switch shape {
	case shapeREST:
		required = append(required, "multiValueHeaders") // isBase64Encoded is omitted when false
	case shapeV2:
		required = append(required, "isBase64Encoded", "cookies")
	case shapeSCF:
		required = append(required, "isBase64Encoded")
	}
	for _, k := range required {
		if v, ok := raw[k]; !ok || string(v) == "null" {
			t.Fatalf("answer has no %s: %.300s", k, out)
		}
	}
	if a.StatusCode < 200 || a.StatusCode > 599 {
		t.Fatalf("status %d", a.StatusCode)
	}
	if len(a.Body) > maxResponseSize {
		t.Fatalf("body of %d bytes, over the %d-byte cap", len(a.Body), maxResponseSize)
	}
	body := []byte(a.Body)
	if a.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(a.Body); err != nil || len(body) == 0 {
			t.Fatalf("isBase64Encoded with a body that is not base64 of anything (%v): %.100q", err, a.Body)
		}
	}
	header := func(name string) (string, bool) {
		for k, v := range a.Headers {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		for k, vs := range a.MultiValueHeaders {
			if strings.EqualFold(k, name) && len(vs) > 0 {
				return vs[0], true
			}
		}
		return "", false
	}
	for k := range a.Headers {
		if _, dup := a.MultiValueHeaders[k]; dup {
			t.Fatalf("header %s in both maps", k)
		}
	}
	if _, byHandler := header(fuzzMarker); byHandler {
		// The handler answered: its bytes arrive as it wrote them, read by the flag.
		if !bytes.Equal(body, written) {
			t.Fatalf("the handler wrote %d bytes (%.40q), the answer carries %d (%.40q, base64 %v)",
				len(written), written, len(body), body, a.IsBase64Encoded)
		}
		return
	}
	// The adapter answered for the handler: an error, in the envelope.
	if a.StatusCode < 400 {
		t.Fatalf("the adapter answered %d without the handler", a.StatusCode)
	}
	if ct, _ := header("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error answer of type %q", ct)
	}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil || env.Error.Code == "" || env.Error.Message == "" || !utf8.Valid(body) {
		t.Fatalf("error answer not in the envelope (%v): %.200s", err, body)
	}
}

// checkAnswerValue is checkAnswer for an answer the adapter has not encoded yet.
func checkAnswerValue(t *testing.T, shape string, v any, written []byte) {
	t.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, shape, out, written)
}

// lambdaHTTPEvent reports whether payload is an HTTP request as Lambda's event shapes
// mark one: a method (REST payload 1.0, or requestContext.http for payload 2.0) or a
// payload version of 2.x, read as encoding/json reads a struct (a field of the wrong
// type is skipped). Such an event must be answered, never refused.
func lambdaHTTPEvent(payload []byte) bool {
	var p struct {
		Version        string `json:"version"`
		HTTPMethod     string `json:"httpMethod"`
		RequestContext struct {
			HTTP struct {
				Method string `json:"method"`
			} `json:"http"`
		} `json:"requestContext"`
	}
	if !json.Valid(payload) {
		return false
	}
	_ = json.Unmarshal(payload, &p)
	return p.HTTPMethod != "" || p.RequestContext.HTTP.Method != "" || strings.HasPrefix(p.Version, "2.")
}

// scfEventKind is what an SCF payload is, read the same way: "http" for an API Gateway
// or function-URL event (httpMethod, the gateway's also in requestContext), "timer" for a
// timer trigger's (Type "Timer" and no method), "" for anything else.
func scfEventKind(payload []byte) string {
	var p struct {
		Type           string `json:"Type"`
		HTTPMethod     string `json:"httpMethod"`
		RequestContext struct {
			HTTPMethod string `json:"httpMethod"`
		} `json:"requestContext"`
	}
	if !json.Valid(payload) {
		return ""
	}
	_ = json.Unmarshal(payload, &p)
	switch {
	case p.HTTPMethod != "" || p.RequestContext.HTTPMethod != "":
		return "http"
	case strings.EqualFold(p.Type, "Timer"):
		return "timer"
	}
	return ""
}

// fuzzLambdaHTTP is the body of the Lambda HTTP targets: the payload goes through Invoke,
// as the runtime hands it over, and through the shape's own decoder (serve), which must
// answer anything, readable or not.
func fuzzLambdaHTTP(t *testing.T, payload []byte, shape string, serve func(lambdaHandler, []byte) any) {
	var written bytes.Buffer
	h := lambdaHandler{fuzzAdapter(&written, nil)}
	out, err := h.Invoke(context.Background(), payload)
	switch {
	case err != nil && !errors.Is(err, errUnsupportedEvent):
		t.Fatalf("invocation error %v", err)
	case err != nil && lambdaHTTPEvent(payload):
		t.Fatalf("an HTTP event refused: %.300s", payload)
	case err == nil:
		// Invoke picked the shape by the payload; both answer shapes carry what is checked.
		checkAnswer(t, shapeOf(payload), out, written.Bytes())
	}
	written.Reset()
	checkAnswerValue(t, shape, serve(h, payload), written.Bytes())
}

// shapeOf is the answer shape Invoke gives an HTTP event.
func shapeOf(payload []byte) string {
	var p lambdaProbe
	_ = json.Unmarshal(payload, &p)
	if p.RequestContext.HTTP.Method != "" || strings.HasPrefix(p.Version, "2.") {
		return shapeV2
	}
	return shapeREST
}

func serveREST(h lambdaHandler, payload []byte) any {
	return h.serveV1(context.Background(), "fuzz", payload)
}

func serveV2(h lambdaHandler, payload []byte) any {
	return h.serveV2(context.Background(), "fuzz", payload)
}

// FuzzLambdaRESTEvent: any API Gateway REST (payload 1.0) event, recorded, mutated or
// arbitrary, gets a well-formed proxy response from the Lambda adapter: status
// 200-599, both header maps, a body read by isBase64Encoded and at most 6 MiB, the
// handler's bytes unchanged or the JSON error envelope, never a panic.
func FuzzLambdaRESTEvent(f *testing.F) {
	big := events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/echo",
		Headers:               map[string]string{"Content-Type": "image/png"},
		QueryStringParameters: map[string]string{"repeat": "200000", "status": "201"},
		Body:                  base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\xff\xfe")), IsBase64Encoded: true}
	text := big
	text.Headers = map[string]string{"Content-Type": "text/plain"}
	text.Body, text.IsBase64Encoded = "caf\xc3\xa9 ", false
	bad := `{"httpMethod":"GET","path":"/x","headers":5}`
	addSeeds(f, []string{"lambda-rest-v1-"}, mustJSON(f, big), mustJSON(f, text), []byte(bad),
		[]byte(`{"httpMethod":"GET","path":"/x","body":"%%%","isBase64Encoded":true}`),
		[]byte(`{"httpMethod":"G ET","path":"x y"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		fuzzLambdaHTTP(t, payload, shapeREST, serveREST)
	})
}

// FuzzLambdaHTTPAPIEvent: any HTTP API (payload 2.0) event, recorded, mutated or
// arbitrary, gets a well-formed response from the Lambda adapter: status 200-599,
// headers and cookies apart, a body read by isBase64Encoded and at most 6 MiB, the
// handler's bytes unchanged or the JSON error envelope, never a panic.
func FuzzLambdaHTTPAPIEvent(f *testing.F) {
	big := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/echo", RawQueryString: "repeat=200000",
		Headers: map[string]string{"content-type": "application/octet-stream"}, Cookies: []string{"a=1", "b=2"},
		Body: base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff}), IsBase64Encoded: true}
	big.RequestContext.HTTP.Method = "POST"
	addSeeds(f, []string{"lambda-httpapi-v2-"}, mustJSON(f, big),
		[]byte(`{"version":"2.0","rawPath":"/x","requestContext":{"http":{"method":"GET"}},"cookies":"a"}`),
		[]byte(`{"version":"2.0","rawPath":"","rawQueryString":"%zz"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		fuzzLambdaHTTP(t, payload, shapeV2, serveV2)
	})
}

// FuzzLambdaFunctionURLEvent: any Lambda Function URL event, recorded, mutated or
// arbitrary, gets a well-formed response from the Lambda adapter, held to the same
// rules as an HTTP API event.
func FuzzLambdaFunctionURLEvent(f *testing.F) {
	big := events.LambdaFunctionURLRequest{Version: "2.0", RawPath: "/echo", RawQueryString: "repeat=9000000&status=599",
		Headers: map[string]string{"content-type": "text/html"}, Body: "<p>é</p>"}
	big.RequestContext.HTTP.Method = "PUT"
	addSeeds(f, []string{"lambda-furl-"}, mustJSON(f, big),
		[]byte(`{"version":"2.0","requestContext":{"http":{"method":"GET","path":"/only-in-context"}}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		fuzzLambdaHTTP(t, payload, shapeV2, serveV2)
	})
}

// fuzzSCFHTTP is the body of the SCF HTTP targets: the payload goes through the event
// function's Invoke handler, as the runtime stand-in would hand it over.
func fuzzSCFHTTP(t *testing.T, payload []byte) {
	var written bytes.Buffer
	a := fuzzAdapter(&written, nil)
	out, err := a.scfInvoke(context.Background(), payload)
	switch {
	case err != nil && !errors.Is(err, errUnsupportedEvent):
		t.Fatalf("invocation error %v", err)
	case err != nil && scfEventKind(payload) == "http":
		t.Fatalf("an HTTP event refused: %.300s", payload)
	case err == nil:
		checkAnswer(t, shapeSCF, out, written.Bytes())
	}
}

// FuzzSCFAPIGatewayEvent: any SCF API Gateway event, recorded, mutated or arbitrary,
// gets a well-formed integrated response from the SCF event-function adapter: status
// 200-599, a headers map, a body read by isBase64Encoded and at most 6 MiB, the
// handler's bytes unchanged or the JSON error envelope, never a panic; only what is no
// HTTP event is refused.
func FuzzSCFAPIGatewayEvent(f *testing.F) {
	addSeeds(f, []string{"scf-apigw-"},
		[]byte(`{"requestContext":{"httpMethod":"POST","sourceIp":"203.0.113.9"},"path":"/echo","headers":{"content-type":"image/jpeg"},"queryString":{"repeat":"300000","flag":true,"n":[1,"2"]},"body":"/9j/","isBase64Encoded":true}`),
		[]byte(`{"httpMethod":"GET","path":"/x","headers":5}`),
		[]byte(`{"httpMethod":"GET","requestContext":"x"}`),
		[]byte(`{"httpMethod":"GET","path":"/x","queryString":{"a":{"b":1}}}`),
		[]byte(`{"httpMethod":"GET","body":"%%","isBase64Encoded":true}`))
	f.Fuzz(fuzzSCFHTTP)
}

// FuzzSCFFunctionURLEvent: any SCF function-URL event, recorded, mutated or arbitrary,
// gets a well-formed integrated response from the SCF event-function adapter, held to
// the same rules as an API Gateway event.
func FuzzSCFFunctionURLEvent(f *testing.F) {
	addSeeds(f, []string{"scf-url-"},
		[]byte(`{"httpMethod":"POST","path":"/echo","headers":{"content-type":"text/plain","x-scf-remote-addr":"203.0.113.9"},"queryString":{"repeat":"9000000"},"body":"x"}`),
		[]byte(`{"httpMethod":"GET","path":"","headers":{"host":["a","b"]}}`))
	f.Fuzz(fuzzSCFHTTP)
}

// FuzzLambdaScheduledEvent: on Lambda, a function with Scheduled runs it exactly once
// and answers {"ok":true} for any JSON that is no HTTP request (EventBridge Scheduler
// and rule events, recorded, mutated or arbitrary), answers an HTTP request with a
// well-formed response, and refuses only what is not JSON.
func FuzzLambdaScheduledEvent(f *testing.F) {
	addSeeds(f, []string{"lambda-scheduler-", "lambda-eventbridge-rule"},
		[]byte(`{"version":"0","source":"aws.events","detail-type":"Scheduled Event","detail":{}}`),
		[]byte(`{"version":2}`), []byte(`{"version":"2.0"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var written bytes.Buffer
		runs := 0
		h := lambdaHandler{fuzzAdapter(&written, func(context.Context) error { runs++; return nil })}
		out, err := h.Invoke(context.Background(), payload)
		switch {
		case !json.Valid(payload):
			if !errors.Is(err, errUnsupportedEvent) || runs != 0 {
				t.Fatalf("not JSON: err %v, %d runs", err, runs)
			}
		case lambdaHTTPEvent(payload):
			if err != nil || runs != 0 {
				t.Fatalf("an HTTP event: err %v, %d runs", err, runs)
			}
			checkAnswer(t, shapeOf(payload), out, written.Bytes())
		default:
			if err != nil || runs != 1 || !bytes.Equal(out, scheduledAnswer) {
				t.Fatalf("a scheduled event: %s, err %v, %d runs", out, err, runs)
			}
		}
	})
}

// FuzzSCFTimerEvent: on an SCF event function with Scheduled, a timer trigger's event
// (recorded, mutated or arbitrary) runs it exactly once and answers {"ok":true}, an
// HTTP event gets a well-formed integrated response, and anything else is refused
// without running either.
func FuzzSCFTimerEvent(f *testing.F) {
	addSeeds(f, []string{"scf-timer"},
		[]byte(`{"Type":"timer","TriggerName":"sweep","Time":5,"Message":{"a":1}}`),
		[]byte(`{"Type":"Timer","httpMethod":"GET","path":"/x"}`),
		[]byte(`{"Type":"Timer","headers":5}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var written bytes.Buffer
		runs := 0
		a := fuzzAdapter(&written, func(context.Context) error { runs++; return nil })
		out, err := a.scfInvoke(context.Background(), payload)
		switch scfEventKind(payload) {
		case "http":
			if err != nil || runs != 0 {
				t.Fatalf("an HTTP event: err %v, %d runs", err, runs)
			}
			checkAnswer(t, shapeSCF, out, written.Bytes())
		case "timer":
			if err != nil || runs != 1 || !bytes.Equal(out, scheduledAnswer) {
				t.Fatalf("a timer event: %s, err %v, %d runs", out, err, runs)
			}
		default:
			if !errors.Is(err, errUnsupportedEvent) || runs != 0 {
				t.Fatalf("neither HTTP nor timer: %s, err %v, %d runs", out, err, runs)
			}
		}
	})
}
