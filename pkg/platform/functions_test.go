package platform_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/sandbox/sandboxtest"
)

// The deployed functions are driven the way each platform drives them: a
// gateway stand-in turns an HTTP request into the platform's event, hands it to
// the function binary over the platform's protocol, and turns the answer back
// into an HTTP response. The same verification flow then runs over every
// protocol, against the sandbox as Tencent and a shared local-file store.

const (
	flowReturnTo    = "https://shop.example.com/done"
	flowCallbackURL = "https://api.example.com/callback"
	flowMerchantKey = "merchant-key-for-platform-tests"
	flowHost        = "api.example.com"
)

// gateway delivers one request to one function and returns its answer.
type gateway interface {
	do(t *testing.T, fn string, req *http.Request) *http.Response
	// logs is everything the function processes have logged so far.
	logs() string
}

// processes is the set of function processes behind a gateway.
type processes []*runtimetest.Process

func (ps processes) logs() string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Output())
	}
	return b.String()
}

// functionEnv is the configuration every function gets in these tests, with the store's
// variables added (sessionStore.env).
func functionEnv(sb *sandboxtest.Server, store []string) []string {
	return append([]string{
		"FACEGATE_TENCENT_ENDPOINT=" + sb.Endpoint(),
		"FACEGATE_TENCENT_SCHEME=http",
		"FACEGATE_CALLBACK_URL=" + flowCallbackURL,
		"FACEGATE_RETURN_TO=" + flowReturnTo,
		"FACEGATE_TICKET_SECRETS=platform-test-ticket-secret-0123456789abcdef",
		"FACEGATE_TOKEN_KEYS=platform-test-token-key-0123456789abcdef",
		"FACEGATE_ANONYMOUS_STARTS=true", // the recorded start events are a browser's
		"FACEGATE_MERCHANT_KEYS=" + flowMerchantKey,
		"FACEGATE_MODES=2,3",
	}, store...)
}

// longTermKeys are the sandbox's long-term test credentials, the way a Lambda
// deployment passes Tencent keys.
var longTermKeys = []string{"FACEGATE_SECRET_ID=" + sandbox.TestSecretID, "FACEGATE_SECRET_KEY=" + sandbox.TestSecretKey}

// roleKeys are SCF execution-role keys: temporary, with a session token.
var roleKeys = []string{
	"TENCENTCLOUD_SECRETID=" + sandbox.TestTempSecretID,
	"TENCENTCLOUD_SECRETKEY=" + sandbox.TestTempSecretKey,
	"TENCENTCLOUD_SESSIONTOKEN=" + sandbox.TestSessionToken,
}

func TestFunctionsFlowOnEveryRuntime(t *testing.T) {
	needFunctions(t)
	runtimes := []struct {
		name, variant string
		start         func(t *testing.T, env []string) gateway
	}{
		{"lambda rest v1", "lambda", func(t *testing.T, env []string) gateway {
			return startLambdaFunctions(t, "v1", append(env, longTermKeys...))
		}},
		{"lambda http api v2", "lambda", func(t *testing.T, env []string) gateway {
			return startLambdaFunctions(t, "v2", append(env, longTermKeys...))
		}},
		{"lambda function url", "lambda", func(t *testing.T, env []string) gateway {
			return startLambdaFunctions(t, "furl", append(env, longTermKeys...))
		}},
		{"scf event api gateway", "scf", func(t *testing.T, env []string) gateway {
			return startSCFFunctions(t, append(env, roleKeys...), false)
		}},
		{"scf event function url", "scf", func(t *testing.T, env []string) gateway {
			return startSCFFunctions(t, append(env, roleKeys...), true)
		}},
		{"scf web function", "scf", func(t *testing.T, env []string) gateway {
			return startWebFunctions(t, append(env, roleKeys...))
		}},
	}
	for _, rt := range runtimes {
		t.Run(rt.name, func(t *testing.T) {
			sb := sandboxtest.New(t, sandbox.Options{})
			gw := rt.start(t, functionEnv(sb, storeFor(t, rt.variant).env))
			runFlow(t, sb, gw, "pass", "passed")
			runFlow(t, sb, gw, "user_exit", "failed")
		})
	}
}

// TestFunctionsFlowOnTheRuntimeInterfaceEmulator runs the same verifications through
// AWS's own Runtime Interface Emulator (the go.mod tool aws-lambda-rie) instead of our
// Runtime API stand-in, for every Lambda event shape: the stand-in is our reading of the
// protocol, the RIE is AWS's. The RIE answers with the function's JSON; the gateway
// stand-in turns it into HTTP as API Gateway or a Function URL would.
func TestFunctionsFlowOnTheRuntimeInterfaceEmulator(t *testing.T) {
	needFunctions(t)
	if rieBuildError != nil {
		t.Fatalf("AWS's Runtime Interface Emulator (%s, a tool in go.mod) does not build: %v", runtimetest.RIEPackage, rieBuildError)
	}
	for _, shape := range []struct{ name, shape string }{
		{"lambda rest v1", "v1"},
		{"lambda http api v2", "v2"},
		{"lambda function url", "furl"},
	} {
		t.Run(shape.name, func(t *testing.T) {
			sb := sandboxtest.New(t, sandbox.Options{})
			gw := startRIEFunctions(t, shape.shape, append(functionEnv(sb, s3Store(t).env), longTermKeys...))
			runFlow(t, sb, gw, "pass", "passed")
			runFlow(t, sb, gw, "user_exit", "failed")
		})
	}
}

// runFlow is one verification: start → the user finishes on Tencent's page with
// outcome → callback → result for the browser (ticket) and for the merchant (key).
func runFlow(t *testing.T, sb *sandboxtest.Server, gw gateway, outcome, wantStatus string) {
	t.Helper()
	start := newRequest(t, http.MethodGet, "/start?returnTo="+url.QueryEscape(flowReturnTo)+"&mode=3", nil)
	start.Header.Set("Accept", "text/html")
	resp := gw.do(t, "start", start)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("start: status %d: %s", resp.StatusCode, readBody(resp))
	}
	verification, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(verification.String(), sb.Page.URL) {
		t.Fatalf("start: Location %q is not the sandbox page", resp.Header.Get("Location"))
	}
	bizToken := verification.Query().Get("token")
	cookies := resp.Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].Value == "" {
		t.Fatalf("start: want exactly one HttpOnly binding cookie, got %v", resp.Header.Values("Set-Cookie"))
	}

	if err := sb.SetOutcome(bizToken, sandbox.Outcome{Result: outcome}); err != nil {
		t.Fatalf("sandbox outcome: %v", err)
	}

	cb := newRequest(t, http.MethodGet, "/callback?token="+url.QueryEscape(bizToken), nil)
	cb.AddCookie(&http.Cookie{Name: cookies[0].Name, Value: cookies[0].Value})
	resp = gw.do(t, "callback", cb)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("callback: status %d: %s", resp.StatusCode, readBody(resp))
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), flowReturnTo+"?") {
		t.Fatalf("callback: Location %q is not returnTo", resp.Header.Get("Location"))
	}
	q := back.Query()
	if q.Get("token") != bizToken || q.Get("ticket") == "" || q.Get("status") != wantStatus {
		t.Errorf("callback: returnTo query = %v", q)
	}

	res := newRequest(t, http.MethodGet, "/result?token="+url.QueryEscape(bizToken)+"&ticket="+url.QueryEscape(q.Get("ticket")), nil)
	resp = gw.do(t, "result", res)
	body := readBody(resp)
	var summary struct{ Status string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &summary) != nil || summary.Status != wantStatus {
		t.Errorf("result with ticket: status %d: %s", resp.StatusCode, body)
	}

	res = newRequest(t, http.MethodGet, "/result?token="+url.QueryEscape(bizToken), nil)
	res.Header.Set("Authorization", "Bearer "+flowMerchantKey)
	resp = gw.do(t, "result", res)
	body = readBody(resp)
	var full struct{ Status string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &full) != nil || full.Status != wantStatus {
		t.Errorf("result with merchant key: status %d: %s", resp.StatusCode, body)
	}

	// Every request above was logged with its platform request id; none of the
	// secrets it carried may be in those logs.
	logs := gw.logs()
	if !strings.Contains(logs, `"request_id":"`) {
		t.Errorf("function logs carry no request_id:\n%s", logs)
	}
	for name, secret := range map[string]string{
		"BizToken": bizToken, "ticket": q.Get("ticket"), "binding cookie": cookies[0].Value,
		"merchant key": flowMerchantKey, "secret key": sandbox.TestSecretKey, "role key": sandbox.TestTempSecretKey,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the function logs", name)
		}
	}
}

func newRequest(t *testing.T, method, target string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxTimeout(t), method, "https://"+flowHost+target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)")
	return req
}

func readBody(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}

func requestBody(t *testing.T, req *http.Request) []byte {
	t.Helper()
	if req.Body == nil {
		return nil
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---- Lambda: one process per function, each with its own Runtime API or RIE ----

func startLambdaFunctions(t *testing.T, shape string, env []string) *lambdaGateway {
	g := &lambdaGateway{shape: shape, functions: map[string]func(*testing.T, []byte) runtimetest.LambdaResult{}}
	for _, fn := range []string{"start", "callback", "result"} {
		api := runtimetest.NewRuntimeAPI(t)
		p := runtimetest.Start(t, append([]string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), "AWS_LAMBDA_FUNCTION_NAME=facegate-" + fn}, env...), binaries["lambda/"+fn])
		g.functions[fn] = func(t *testing.T, payload []byte) runtimetest.LambdaResult {
			return runtimetest.InvokeLambda(t, api, p, payload)
		}
		g.processes = append(g.processes, p)
	}
	return g
}

// startRIEFunctions runs each function under its own Runtime Interface Emulator, as
// `docker run` of a Lambda image would; the emulator's output includes the function's.
func startRIEFunctions(t *testing.T, shape string, env []string) *lambdaGateway {
	g := &lambdaGateway{shape: shape, functions: map[string]func(*testing.T, []byte) runtimetest.LambdaResult{}}
	for _, fn := range []string{"start", "callback", "result"} {
		rie := runtimetest.NewRIE(t, rieBinary, binaries["lambda/"+fn], append([]string{"AWS_LAMBDA_FUNCTION_NAME=facegate-" + fn}, env...))
		g.functions[fn] = func(t *testing.T, payload []byte) runtimetest.LambdaResult {
			return runtimetest.InvokeRIE(t, rie, payload)
		}
		g.processes = append(g.processes, rie.Process)
	}
	return g
}

type lambdaGateway struct {
	processes
	shape string // "v1", "v2" or "furl"
	// functions deliver one event to each function and return its answer.
	functions map[string]func(t *testing.T, payload []byte) runtimetest.LambdaResult
}

func (g *lambdaGateway) do(t *testing.T, fn string, req *http.Request) *http.Response {
	t.Helper()
	body := requestBody(t, req)
	var event any
	switch g.shape {
	case "v1":
		event = v1Event(req, body)
	case "v2":
		event = v2Event(req, body)
	default:
		event = functionURLEvent(req, body)
	}
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	res := g.functions[fn](t, payload)
	if res.Kind != runtimetest.KindResponse {
		t.Fatalf("%s posted %s: %s", fn, res.Kind, res.Body)
	}
	resp := &http.Response{Header: http.Header{}, Request: req}
	if g.shape == "v1" {
		var out events.APIGatewayProxyResponse
		if err := json.Unmarshal(res.Body, &out); err != nil {
			t.Fatal(err)
		}
		if out.Headers == nil || out.MultiValueHeaders == nil {
			t.Errorf("%s: null headers map: %s", fn, res.Body)
		}
		// API Gateway merges the two maps.
		for k, v := range out.Headers {
			resp.Header.Set(k, v)
		}
		for k, vs := range out.MultiValueHeaders {
			resp.Header.Del(k)
			for _, v := range vs {
				resp.Header.Add(k, v)
			}
		}
		resp.StatusCode = out.StatusCode
		resp.Body = io.NopCloser(bytes.NewReader(decodeGatewayBody(t, out.Body, out.IsBase64Encoded)))
		return resp
	}
	var out events.LambdaFunctionURLResponse
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatal(err)
	}
	for k, v := range out.Headers {
		if strings.EqualFold(k, "Set-Cookie") {
			t.Errorf("%s: Set-Cookie in v2 headers instead of cookies[]", fn)
		}
		resp.Header.Set(k, v)
	}
	for _, c := range out.Cookies {
		resp.Header.Add("Set-Cookie", c)
	}
	resp.StatusCode = out.StatusCode
	resp.Body = io.NopCloser(bytes.NewReader(decodeGatewayBody(t, out.Body, out.IsBase64Encoded)))
	return resp
}

func decodeGatewayBody(t *testing.T, body string, isBase64 bool) []byte {
	t.Helper()
	if !isBase64 {
		return []byte(body)
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// v1Event is what API Gateway REST sends for req (payload 1.0).
func v1Event(req *http.Request, body []byte) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{
		Resource:          req.URL.Path,
		Path:              req.URL.Path,
		HTTPMethod:        req.Method,
		Headers:           map[string]string{"Host": req.Host},
		MultiValueHeaders: map[string][]string{"Host": {req.Host}},
		RequestContext: events.APIGatewayProxyRequestContext{
			Stage: "prod", RequestID: "gw-v1", DomainName: req.Host, HTTPMethod: req.Method,
			Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.50"},
		},
	}
	for k, vs := range req.Header {
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = vs
	}
	if q := req.URL.Query(); len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
			ev.MultiValueQueryStringParameters[k] = vs
		}
	}
	if len(body) > 0 {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev
}

// v2Event is what an HTTP API (payload 2.0) sends for req: lower-case headers,
// repeated values comma-joined, and the Cookie header split into cookies[].
func v2Event(req *http.Request, body []byte) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: req.Method + " " + req.URL.Path, RawPath: req.URL.Path, RawQueryString: req.URL.RawQuery,
		Headers: map[string]string{"host": req.Host},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "gw-v2", DomainName: req.Host, Stage: "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: req.Method, Path: req.URL.Path, SourceIP: "203.0.113.51"},
		},
	}
	for k, vs := range req.Header {
		if k == "Cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					ev.Cookies = append(ev.Cookies, strings.TrimSpace(c))
				}
			}
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	if len(body) > 0 {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev
}

// functionURLEvent is what a Lambda Function URL sends for req: the payload 2.0 shape
// with the $default route and an anonymous caller.
func functionURLEvent(req *http.Request, body []byte) events.APIGatewayV2HTTPRequest {
	ev := v2Event(req, body)
	ev.RouteKey, ev.RequestContext.RouteKey = "$default", "$default"
	ev.RequestContext.RequestID, ev.RequestContext.AccountID = "gw-furl", "anonymous"
	ev.RequestContext.HTTP.SourceIP = "203.0.113.55"
	return ev
}

// ---- SCF event functions: one process per function, net/rpc ----

type scfGateway struct {
	processes
	functionURL bool
	rts         map[string]*runtimetest.SCFRuntime
}

func startSCFFunctions(t *testing.T, env []string, functionURL bool) *scfGateway {
	g := &scfGateway{functionURL: functionURL, rts: map[string]*runtimetest.SCFRuntime{}}
	for _, fn := range []string{"start", "callback", "result"} {
		port := runtimetest.Port(t)
		p := runtimetest.Start(t, append([]string{"_LAMBDA_SERVER_PORT=" + port, "TENCENTCLOUD_RUNENV=SCF", "SCF_FUNCTIONNAME=facegate-" + fn}, env...), binaries["scf/"+fn])
		g.rts[fn] = runtimetest.ConnectSCF(t, p, port)
		g.processes = append(g.processes, p)
	}
	return g
}

func (g *scfGateway) do(t *testing.T, fn string, req *http.Request) *http.Response {
	t.Helper()
	body := requestBody(t, req)
	ev := map[string]any{"httpMethod": req.Method, "path": req.URL.Path}
	headers := map[string]string{"host": req.Host}
	for k, vs := range req.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	query := map[string]any{}
	for k, vs := range req.URL.Query() {
		switch {
		case len(vs) == 1 && vs[0] == "":
			query[k] = true
		case len(vs) == 1:
			query[k] = vs[0]
		default:
			query[k] = vs
		}
	}
	ev["queryString"] = query
	if g.functionURL {
		headers["x-scf-remote-addr"] = "203.0.113.52"
		ev["body"] = string(body)
	} else {
		ev["requestContext"] = map[string]any{"serviceId": "service-test", "path": req.URL.Path, "httpMethod": req.Method,
			"requestId": "gw-scf", "sourceIp": "203.0.113.53", "stage": "release"}
		ev["queryStringParameters"], ev["headerParameters"], ev["pathParameters"] = map[string]any{}, map[string]any{}, map[string]any{}
		ev["body"], ev["isBase64Encoded"] = base64.StdEncoding.EncodeToString(body), true
	}
	ev["headers"] = headers
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	_, out := runtimetest.InvokeSCF(t, g.rts[fn], payload, "")
	if out.Error != nil {
		t.Fatalf("%s: invoke error %+v", fn, out.Error)
	}
	var ir struct {
		IsBase64Encoded bool
		StatusCode      int
		Headers         map[string]string
		Body            string
	}
	if err := json.Unmarshal(out.Payload, &ir); err != nil {
		t.Fatal(err)
	}
	resp := &http.Response{StatusCode: ir.StatusCode, Header: http.Header{}, Request: req}
	for k, v := range ir.Headers {
		resp.Header.Set(k, v)
	}
	resp.Body = io.NopCloser(bytes.NewReader(decodeGatewayBody(t, ir.Body, ir.IsBase64Encoded)))
	return resp
}

// ---- SCF web functions: scf_bootstrap, plain HTTP ----

type webGateway struct {
	processes
	addrs map[string]string
}

func startWebFunctions(t *testing.T, env []string) *webGateway {
	g := &webGateway{addrs: map[string]string{}}
	for _, fn := range []string{"start", "callback", "result"} {
		addr := "127.0.0.1:" + runtimetest.Port(t)
		p := runtimetest.Start(t, append([]string{"FACEGATE_SCF_WEB_ADDR=" + addr, "TENCENTCLOUD_RUNENV=SCF"}, env...), webBootstrap(t, binaries["scf/"+fn]))
		runtimetest.WaitFor(t, p, fn+" listening", runtimetest.Dialable(addr))
		g.addrs[fn] = addr
		g.processes = append(g.processes, p)
	}
	return g
}

func (g *webGateway) do(t *testing.T, fn string, req *http.Request) *http.Response {
	t.Helper()
	// SCF's proxy forwards the request as it came, adding its own headers.
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = "http", g.addrs[fn]
	out.Host = req.Host
	out.RequestURI = ""
	out.Header.Set("X-Scf-Request-Id", "gw-web")
	out.Header.Set("X-Scf-Remote-Addr", "203.0.113.54")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(out)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestStartAnswersRecordedEvents drives the real start binary with the recorded event
// of every shape and reads the answer the platform would turn into the HTTP response,
// field by field: a 302 to the sandbox page, exactly one binding cookie where that
// shape carries cookies, the protective headers, an empty body, no base64.
func TestStartAnswersRecordedEvents(t *testing.T) {
	needFunctions(t)
	sb := sandboxtest.New(t, sandbox.Options{})

	// wantCookie checks the one Set-Cookie value of an answer.
	wantCookie := func(t *testing.T, values []string) {
		t.Helper()
		if len(values) != 1 {
			t.Fatalf("Set-Cookie values = %q, want exactly one", values)
		}
		c, err := http.ParseSetCookie(values[0])
		if err != nil || c.Value == "" || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("binding cookie %q (%v): want a value, HttpOnly, Secure, SameSite=Lax", values[0], err)
		}
	}
	// wantHeaders checks the single-valued headers every shape has.
	wantHeaders := func(t *testing.T, h map[string]string) {
		t.Helper()
		if !strings.HasPrefix(h["Location"], sb.Page.URL+"/") || !strings.Contains(h["Location"], "token=") {
			t.Errorf("Location = %q, want the sandbox page %s with a token", h["Location"], sb.Page.URL)
		}
		if h["Cache-Control"] != "no-store" || h["Referrer-Policy"] != "no-referrer" {
			t.Errorf("Cache-Control %q, Referrer-Policy %q", h["Cache-Control"], h["Referrer-Policy"])
		}
		for k := range h {
			if strings.EqualFold(k, "Set-Cookie") {
				t.Errorf("Set-Cookie among %v", sortedNames(h))
			}
		}
	}
	wantEmptyBody := func(t *testing.T, m map[string]json.RawMessage) {
		t.Helper()
		if field[int](t, m, "statusCode") != http.StatusFound {
			t.Errorf("statusCode = %s, want 302 (body %s)", m["statusCode"], m["body"])
		}
		if body := field[string](t, m, "body"); body != "" || base64Flag(t, m) {
			t.Errorf("body %q, isBase64Encoded %v; want empty, false", body, base64Flag(t, m))
		}
	}

	api := runtimetest.NewRuntimeAPI(t)
	lambda := runtimetest.Start(t, append([]string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr()}, append(functionEnv(sb, s3Store(t).env), longTermKeys...)...), binaries["lambda/start"])
	for _, tc := range []struct{ name, event string }{
		{"lambda rest v1", "lambda-rest-v1-start.json"},
		{"lambda http api v2", "lambda-httpapi-v2-start.json"},
		{"lambda function url", "lambda-furl-start.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runtimetest.InvokeLambda(t, api, lambda, readTestdata(t, tc.event))
			if res.Kind != runtimetest.KindResponse {
				t.Fatalf("posted %s: %s", res.Kind, res.Body)
			}
			m := fields(t, res.Body)
			wantEmptyBody(t, m)
			wantHeaders(t, field[map[string]string](t, m, "headers"))
			if strings.Contains(tc.event, "rest-v1") {
				mv := field[map[string][]string](t, m, "multiValueHeaders")
				wantCookie(t, mv["Set-Cookie"])
				if len(mv) != 1 {
					t.Errorf("multiValueHeaders = %v, want only Set-Cookie", mv)
				}
			} else {
				wantCookie(t, field[[]string](t, m, "cookies"))
				if _, ok := m["multiValueHeaders"]; ok {
					t.Error("payload 2.0 answer carries multiValueHeaders")
				}
			}
			if !logsRequest(lambda, res.RequestID, "start") {
				t.Errorf("no log record with request_id %s and function start", res.RequestID)
			}
		})
	}

	port := runtimetest.Port(t)
	scf := runtimetest.Start(t, append([]string{"_LAMBDA_SERVER_PORT=" + port, "TENCENTCLOUD_RUNENV=SCF"}, append(functionEnv(sb, cosStore(t).env), roleKeys...)...), binaries["scf/start"])
	rt := runtimetest.ConnectSCF(t, scf, port)
	for _, tc := range []struct{ name, event string }{
		{"scf api gateway", "scf-apigw-start.json"},
		{"scf function url", "scf-url-start.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, resp := runtimetest.InvokeSCF(t, rt, readTestdata(t, tc.event), "")
			if resp.Error != nil {
				t.Fatalf("invoke error %+v", resp.Error)
			}
			m := fields(t, resp.Payload)
			if got := sortedNames(m); len(got) != 4 {
				t.Errorf("integrated response fields = %v, want body, headers, isBase64Encoded, statusCode", got)
			}
			wantEmptyBody(t, m)
			h := field[map[string]string](t, m, "headers")
			wantCookie(t, []string{h["Set-Cookie"]})
			delete(h, "Set-Cookie")
			wantHeaders(t, h)
			if !logsRequest(scf, req.RequestId, "start") {
				t.Errorf("no log record with request_id %s and function start", req.RequestId)
			}
		})
	}
}

// TestSCFRoleKeysRotateBetweenInvocations: an SCF event function's role keys expire
// while the instance stays warm, and the runtime hands the new ones over in each
// InvokeRequest.Environment. The real start binary must sign its next Tencent call
// with them: started with keys the sandbox does not know, it fails until an
// invocation brings the valid ones, then succeeds without a restart.
func TestSCFRoleKeysRotateBetweenInvocations(t *testing.T) {
	needFunctions(t)
	sb := sandboxtest.New(t, sandbox.Options{})
	expired := []string{
		"TENCENTCLOUD_SECRETID=AKID-expired-role-key",
		"TENCENTCLOUD_SECRETKEY=expired-role-secret",
		"TENCENTCLOUD_SESSIONTOKEN=expired-role-token",
	}
	port := runtimetest.Port(t)
	p := runtimetest.Start(t, append([]string{"_LAMBDA_SERVER_PORT=" + port, "TENCENTCLOUD_RUNENV=SCF"}, append(functionEnv(sb, cosStore(t).env), expired...)...), binaries["scf/start"])
	rt := runtimetest.ConnectSCF(t, p, port)
	// A start that reached Tencent's page answers 302 to it; a refused one (a browser
	// navigation whose returnTo is known) answers 302 back to the merchant with
	// status=error, or an error status.
	status := func(env string) int {
		t.Helper()
		_, resp := runtimetest.InvokeSCF(t, rt, readTestdata(t, "scf-apigw-start.json"), env)
		if resp.Error != nil {
			t.Fatalf("invoke error %+v", resp.Error)
		}
		m := fields(t, resp.Payload)
		code := field[int](t, m, "statusCode")
		if loc := field[map[string]string](t, m, "headers")["Location"]; code == http.StatusFound && strings.Contains(loc, "status=error") {
			return http.StatusBadGateway
		}
		return code
	}
	if got := status(""); got == http.StatusFound {
		t.Fatal("start succeeded with role keys the sandbox does not know; the test proves nothing")
	}
	fresh, _ := json.Marshal(map[string]string{
		"TENCENTCLOUD_SECRETID":     sandbox.TestTempSecretID,
		"TENCENTCLOUD_SECRETKEY":    sandbox.TestTempSecretKey,
		"TENCENTCLOUD_SESSIONTOKEN": sandbox.TestSessionToken,
	})
	if got := status(string(fresh)); got != http.StatusFound {
		t.Errorf("with the rotated keys: status %d, want 302", got)
	}
	if strings.Contains(p.Output(), sandbox.TestTempSecretKey) || strings.Contains(p.Output(), "expired-role-secret") {
		t.Error("a role secret reached the logs")
	}
}

// TestSCFConfigurationArrivingWithTheFirstInvoke: whether SCF sets an event function's
// variables when the process starts, or only sends them in each
// InvokeRequest.Environment, is not documented. The real start binary, started with
// nothing but the runtime's own variables, must stay up, answer a 500 JSON error while
// its configuration is incomplete, and serve once an invocation brings it.
func TestSCFConfigurationArrivingWithTheFirstInvoke(t *testing.T) {
	needFunctions(t)
	sb := sandboxtest.New(t, sandbox.Options{})
	port := runtimetest.Port(t)
	p := runtimetest.Start(t, []string{"_LAMBDA_SERVER_PORT=" + port, "TENCENTCLOUD_RUNENV=SCF", "PATH=/usr/bin:/bin"}, binaries["scf/start"])
	rt := runtimetest.ConnectSCF(t, p, port)
	invoke := func(env string) map[string]json.RawMessage {
		t.Helper()
		_, resp := runtimetest.InvokeSCF(t, rt, readTestdata(t, "scf-apigw-start.json"), env)
		if resp.Error != nil {
			t.Fatalf("invoke error %+v", resp.Error)
		}
		return fields(t, resp.Payload)
	}
	if got := invoke(""); field[int](t, got, "statusCode") != http.StatusInternalServerError ||
		!strings.Contains(field[string](t, got, "body"), `"code":"internal"`) {
		t.Fatalf("without configuration: %s", got["body"])
	}
	vars := map[string]string{}
	for _, kv := range append(functionEnv(sb, cosStore(t).env), roleKeys...) {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	env, _ := json.Marshal(vars)
	if got := invoke(string(env)); field[int](t, got, "statusCode") != http.StatusFound {
		t.Fatalf("with the configuration from Invoke: %s", got["body"])
	}
	if !logsText(p, "FACEGATE_CALLBACK_URL") {
		t.Error("the log does not name the variable that was missing")
	}
	if strings.Contains(p.Output(), sandbox.TestTempSecretKey) {
		t.Error("a role secret reached the logs")
	}
}
