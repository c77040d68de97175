package sandbox

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sandboxHost is an endpoint with a port other than 443, as a merchant points an SDK at
// the sandbox: the case where "host" and "host:port" differ.
const sandboxHost = "faceid.test:8090"

// v1Params are the parameters Tencent's Node.js SDK sends for action with the flattened
// fields own, before the signature.
func v1Params(action string, own map[string]string, secretID string, now time.Time) map[string]string {
	p := map[string]string{
		"Action": action, "Version": apiVersion, "Region": "ap-singapore", "Language": "en-US",
		"Timestamp": strconv.FormatInt(now.Unix(), 10), "Nonce": "4242", "SecretId": secretID,
		"SignatureMethod": v1HmacSHA256, "RequestClient": "SDK_NODEJS_INTL_EN3.0.1335",
	}
	for k, v := range own {
		p[k] = v
	}
	return p
}

// v1Sign sets Signature the way the SDK computes it, written out apart from the verifier:
// METHOD + host + "/?" + the sorted k=v pairs, values as they are.
func v1Sign(p map[string]string, method, signHost, secretKey string) {
	delete(p, "Signature")
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	slices.Sort(names)
	pairs := make([]string, len(names))
	for i, k := range names {
		pairs[i] = k + "=" + p[k]
	}
	newHash := sha1.New
	if p["SignatureMethod"] == "HmacSHA256" {
		newHash = sha256.New
	}
	mac := hmac.New(newHash, []byte(secretKey))
	mac.Write([]byte(method + signHost + "/?" + strings.Join(pairs, "&")))
	p["Signature"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// v1HTTP sends p to host as a form POST or in a GET query.
func v1HTTP(method, host string, p map[string]string) *http.Request {
	values := url.Values{}
	for k, v := range p {
		values.Set(k, v)
	}
	if method == http.MethodGet {
		req := httptest.NewRequest(method, "http://"+host+"/?"+values.Encode(), nil)
		req.Host = host
		return req
	}
	req := httptest.NewRequest(method, "http://"+host+"/", strings.NewReader(values.Encode()))
	req.Host = host
	req.Header.Set("Content-Type", formMediaType)
	return req
}

// flattenJSON flattens a JSON object as the SDK's mergeData does: nulls left out, members
// of objects as A.B, list items as A.0, booleans and numbers written as text. ok is false
// for a body that is not a JSON object.
func flattenJSON(body string) (map[string]string, bool) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	if _, isObject := v.(map[string]any); !isObject {
		return nil, false
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case nil:
		case map[string]any:
			for k, child := range v {
				walk(prefix+k+".", child)
			}
		case []any:
			for i, child := range v {
				walk(prefix+strconv.Itoa(i)+".", child)
			}
		default:
			out[strings.TrimSuffix(prefix, ".")] = fmt.Sprint(v)
		}
	}
	walk("", v)
	return out, true
}

// callV1 signs own for action with the long-term key and serves it.
func (e *testEnv) callV1(method, action string, own map[string]string) apiReply {
	e.t.Helper()
	p := v1Params(action, own, TestSecretID, e.clock.Now())
	v1Sign(p, method, sandboxHost, TestSecretKey)
	return serve(e.t, e.api, v1HTTP(method, sandboxHost, p))
}

// The signature Tencent's Node.js SDK 3.0.1335 computes for fixed parameters (its own
// formatSignString and Sign.sign, run once outside Go), pinned.
func TestV1KnownVector(t *testing.T) {
	for method, sig := range map[string]string{
		v1HmacSHA256: "bJFo+nD91d2X6B70m17qLNW8gIrp8bGGCR6wLkNtaNk=",
		v1HmacSHA1:   "PJcoUmWgou0u0TFJB+AWtoZ1TfM=",
	} {
		p := v1Params(actionResultIntl, map[string]string{"BizToken": "D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"},
			TestSecretID, time.Unix(1767225600, 0))
		p["SignatureMethod"] = method
		v1Sign(p, http.MethodPost, sandboxHost, TestSecretKey)
		if p["Signature"] != sig {
			t.Errorf("%s: test signer %s, the SDK %s", method, p["Signature"], sig)
		}
		sb := New(Options{Now: func() time.Time { return time.Unix(1767225600+60, 0) }})
		if r := serve(t, sb.APIHandler(), v1HTTP(http.MethodPost, sandboxHost, p)); r.Code != codeBizTokenIllegal {
			t.Errorf("%s: code %q (%s), want the request to pass authentication", method, r.Code, r.Message)
		}
	}
}

// Both HMACs (and none named, which Tencent takes for HmacSHA1), as a form POST and as a
// GET, signed over the host with and without its port, through apply and result.
func TestV1SignedRequests(t *testing.T) {
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		for _, sigMethod := range []string{v1HmacSHA256, v1HmacSHA1, ""} {
			for _, signHost := range []string{sandboxHost, "faceid.test"} {
				name := fmt.Sprintf("%s %s signed for %s", method, sigMethod, signHost)
				t.Run(name, func(t *testing.T) {
					e := newTestEnv(t, Options{})
					send := func(action string, own map[string]string) apiReply {
						p := v1Params(action, own, TestSecretID, e.clock.Now())
						p["SignatureMethod"] = sigMethod
						if sigMethod == "" {
							delete(p, "SignatureMethod")
						}
						v1Sign(p, method, signHost, TestSecretKey)
						return serve(t, e.api, v1HTTP(method, sandboxHost, p))
					}
					r := mustOK(t, send(actionApplyIntl, map[string]string{
						"RedirectURL": "https://merchant.test/cb?a=1&b=2", "Extra": "order 42 & more",
						"Config.CheckMode": "3", "Config.AutoSkip": "true", "Config.ThemeColor": "#00AA33",
					}))
					var applied struct{ BizToken string }
					r.decode(t, &applied)
					st, err := e.sb.TokenState(applied.BizToken)
					if err != nil || st.CheckMode != 3 || !st.AutoSkip || st.ThemeColor != "#00AA33" {
						t.Fatalf("token %+v %v", st, err)
					}
					var res intlResultView
					mustOK(t, send(actionResultIntl, map[string]string{"BizToken": applied.BizToken})).decode(t, &res)
					if res.ErrorCode != nil || res.Extra == nil || *res.Extra != "order 42 & more" {
						t.Fatalf("result %+v", res)
					}
				})
			}
		}
	}
}

// One thing changes per case; each gets the code Tencent answers.
func TestV1Refusals(t *testing.T) {
	own := map[string]string{"BizToken": "D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}
	set := func(k, v string) func(p map[string]string) { return func(p map[string]string) { p[k] = v } }
	del := func(k string) func(p map[string]string) { return func(p map[string]string) { delete(p, k) } }
	cases := []struct {
		name       string
		before     func(p map[string]string) // changes signed by the client
		after      func(p map[string]string) // changes after signing
		secretKey  string
		signHost   string
		sendHost   string
		clock      time.Duration
		rawRequest func(p map[string]string) *http.Request
		want       string
	}{
		{name: "unchanged", want: codeBizTokenIllegal},
		{name: "wrong SecretKey", secretKey: TestSecretKey + "x", want: codeAuthSignatureFailure},
		{name: "unknown SecretId", before: set("SecretId", "AKID-not-known"), want: codeAuthSecretIDNotFound},
		{name: "parameter changed after signing", after: set("BizToken", "D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E50"), want: codeAuthSignatureFailure},
		{name: "SignatureMethod changed after signing", after: set("SignatureMethod", v1HmacSHA1), want: codeAuthSignatureFailure},
		{name: "signed for another host", signHost: "faceid.intl.tencentcloudapi.com", want: codeAuthSignatureFailure},
		{name: "signed for another port", signHost: "faceid.test:8091", want: codeAuthSignatureFailure},
		{name: "sent to the default port", sendHost: "faceid.test", signHost: "faceid.test", want: codeBizTokenIllegal},
		{name: "timestamp 301 s old", clock: 301 * time.Second, want: codeAuthSignatureExpire},
		{name: "timestamp 301 s ahead", clock: -301 * time.Second, want: codeAuthSignatureExpire},
		{name: "timestamp 300 s old", clock: 300 * time.Second, want: codeBizTokenIllegal},
		{name: "timestamp not a number", before: set("Timestamp", "yesterday"), want: codeAuthInvalidAuthz},
		{name: "unknown SignatureMethod", before: set("SignatureMethod", "HmacMD5"), want: codeAuthInvalidAuthz},
		{name: "TC3 named as a v1 method", before: set("SignatureMethod", "TC3-HMAC-SHA256"), want: codeAuthInvalidAuthz},
		{name: "no Nonce", before: del("Nonce"), want: codeAuthInvalidAuthz},
		{name: "Nonce 0", before: set("Nonce", "0"), want: codeBizTokenIllegal},
		{name: "Nonce not a number", before: set("Nonce", "abc"), want: codeAuthInvalidAuthz},
		{name: "Nonce negative", before: set("Nonce", "-1"), want: codeAuthInvalidAuthz},
		{name: "no Timestamp", before: del("Timestamp"), want: codeAuthInvalidAuthz},
		{name: "no SecretId", before: del("SecretId"), want: codeAuthInvalidAuthz},
		{name: "no Signature", after: del("Signature"), want: codeAuthInvalidAuthz},
		{name: "no Action", before: del("Action"), want: codeAuthInvalidAuthz},
		{name: "no Version", before: del("Version"), want: codeAuthInvalidAuthz},
		{name: "no Region", before: del("Region"), want: codeAuthInvalidAuthz},
		{name: "Signature not base64", after: set("Signature", "***"), want: codeAuthSignatureFailure},
		{name: "Token with a long-term key", before: set("Token", TestSessionToken), want: codeAuthTokenFailure},
		{name: "unknown action", before: set("Action", "DetectAuth"), want: codeInvalidAction},
		{name: "other version", before: set("Version", "2020-01-01"), want: codeNoSuchVersion},
		{name: "other region", before: set("Region", "ap-guangzhou"), want: codeUnsupportedRegion},
		{name: "Language fr-FR", before: set("Language", "fr-FR"), want: codeInvalidParameterValue},
		{name: "no Language", before: del("Language"), want: codeBizTokenIllegal},
		{name: "unknown parameter", before: set("Bizoken", "x"), want: codeUnknownParameter},
		{name: "parameter both value and object", before: set("BizToken.0", "x"), want: codeInvalidParameter},
		{name: "malformed BizToken", before: set("BizToken", "abc"), want: codeInvalidParameterValue},
		{name: "duplicate parameter", rawRequest: func(p map[string]string) *http.Request {
			req := v1HTTP(http.MethodPost, sandboxHost, p)
			body := url.Values{}
			for k, v := range p {
				body.Set(k, v)
			}
			body.Add("BizToken", p["BizToken"])
			req.Body = httpBody(body.Encode())
			return req
		}, want: codeAuthInvalidAuthz},
		{name: "malformed URL encoding", rawRequest: func(p map[string]string) *http.Request {
			req := v1HTTP(http.MethodPost, sandboxHost, p)
			req.Body = httpBody("Action=%zz")
			return req
		}, want: codeAuthInvalidAuthz},
		{name: "POST with a query as well", rawRequest: func(p map[string]string) *http.Request {
			req := v1HTTP(http.MethodPost, sandboxHost, p)
			req.URL.RawQuery = "Action=" + actionResultIntl
			return req
		}, want: codeAuthInvalidAuthz},
		{name: "POST as text/plain", rawRequest: func(p map[string]string) *http.Request {
			req := v1HTTP(http.MethodPost, sandboxHost, p)
			req.Header.Set("Content-Type", "text/plain")
			return req
		}, want: codeAuthInvalidAuthz},
		{name: "POST as multipart", rawRequest: func(p map[string]string) *http.Request {
			req := v1HTTP(http.MethodPost, sandboxHost, p)
			req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
			return req
		}, want: codeAuthInvalidAuthz},
		{name: "PUT", rawRequest: func(p map[string]string) *http.Request {
			req := v1HTTP(http.MethodPost, sandboxHost, p)
			req.Method = http.MethodPut
			return req
		}, want: codeUnsupportedOperation},
	}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb := New(Options{RateLimit: -1, Now: func() time.Time { return now.Add(tc.clock) }})
			p := v1Params(actionResultIntl, own, TestSecretID, now)
			if tc.before != nil {
				tc.before(p)
			}
			key, signHost, sendHost := tc.secretKey, tc.signHost, tc.sendHost
			if key == "" {
				key = TestSecretKey
			}
			if signHost == "" {
				signHost = sandboxHost
			}
			if sendHost == "" {
				sendHost = sandboxHost
			}
			v1Sign(p, http.MethodPost, signHost, key)
			if tc.after != nil {
				tc.after(p)
			}
			req := v1HTTP(http.MethodPost, sendHost, p)
			if tc.rawRequest != nil {
				req = tc.rawRequest(p)
			}
			if r := serve(t, sb.APIHandler(), req); r.Code != tc.want {
				t.Fatalf("code %q (%s), want %q", r.Code, r.Message, tc.want)
			}
		})
	}
}

func httpBody(s string) *readCloser { return &readCloser{strings.NewReader(s)} }

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// The temporary key needs its session token in Token, as in X-TC-Token with TC3.
func TestV1TemporaryCredential(t *testing.T) {
	e := newTestEnv(t, Options{})
	own := map[string]string{"BizToken": "D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}
	for token, want := range map[string]string{
		TestSessionToken:       codeBizTokenIllegal,
		"":                     codeAuthTokenFailure,
		TestSessionToken + "x": codeAuthTokenFailure,
	} {
		p := v1Params(actionResultIntl, own, TestTempSecretID, e.clock.Now())
		if token != "" {
			p["Token"] = token
		}
		v1Sign(p, http.MethodGet, sandboxHost, TestTempSecretKey)
		if r := serve(t, e.api, v1HTTP(http.MethodGet, sandboxHost, p)); r.Code != want {
			t.Errorf("Token %q: code %q (%s), want %q", token, r.Code, r.Message, want)
		}
	}
}

// The same request signed either way is the same request: every apply validation case,
// flattened as the SDK flattens it, gets the same code and message as its JSON form, and
// the accepted ones configure the same verification.
func TestV1ParityWithJSON(t *testing.T) {
	e := newTestEnv(t, Options{RuleIDs: []string{"1", "2"}})
	compared := 0
	for _, tc := range applyCases() {
		flat, ok := flattenJSON(tc.body)
		if !ok || !typeFaithful(tc.body) {
			// Flattening keeps no JSON types: "2" and 2 are the same parameter.
			continue
		}
		compared++
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			viaJSON := e.call(actionApplyIntl, tc.body)
			viaForm := e.callV1(http.MethodPost, actionApplyIntl, flat)
			if viaJSON.Code != viaForm.Code || viaJSON.Message != viaForm.Message {
				t.Fatalf("JSON %s (%s), v1 %s (%s)", viaJSON.Code, viaJSON.Message, viaForm.Code, viaForm.Message)
			}
			if viaJSON.Code != "" {
				return
			}
			var a, b struct{ BizToken string }
			viaJSON.decode(t, &a)
			viaForm.decode(t, &b)
			sa, _ := e.sb.TokenState(a.BizToken)
			sb, _ := e.sb.TokenState(b.BizToken)
			sa.BizToken, sb.BizToken = "", ""
			if fmt.Sprint(sa) != fmt.Sprint(sb) {
				t.Fatalf("JSON configured %+v\nv1 configured %+v", sa, sb)
			}
		})
	}
	if compared < 50 {
		t.Fatalf("only %d cases compared", compared)
	}
}

// typeFaithful reports whether every value of a JSON body has the type its parameter
// takes, so that its flattened form is the same request.
func typeFaithful(body string) bool {
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) != nil {
		return false
	}
	for k, v := range m {
		switch v.(type) {
		case string:
		case map[string]any:
			if k != "Config" {
				return false
			}
			for ck, cv := range v.(map[string]any) {
				_, isBool := cv.(bool)
				n, isNum := cv.(float64)
				_, isStr := cv.(string)
				switch configType(ck) {
				case "bool":
					if !isBool {
						return false
					}
				case "int":
					if !isNum || n != float64(int64(n)) {
						return false
					}
				case "string":
					if !isStr {
						return false
					}
				}
			}
		case nil:
			return false // a null the SDK leaves out; JSON's null is tested apart
		default:
			return false
		}
	}
	return true
}

func configType(key string) string {
	switch key {
	case "AutoSkipStartPage", "AutoSkip", "DisableCheckOcrWarnings", "SkipPrivacyPolicy", "IdCardCutReturn", "AllowExpiredDocument":
		return "bool"
	case "CheckMode", "SecurityLevel", "AutoDowngrade", "LivenessRetryLimit", "LivenessTimeout":
		return "int"
	}
	return "string"
}

// Flattened values are converted as the JSON types would be, and refused the same way.
func TestV1Types(t *testing.T) {
	e := newTestEnv(t, Options{})
	base := map[string]string{"RedirectURL": "https://merchant.test/cb", "Config.CheckMode": "3"}
	for _, tc := range []struct{ key, value, want string }{
		{"Config.AutoSkip", "true", ""},
		{"Config.AutoSkip", "False", ""},
		{"Config.AutoSkip", "1", codeInvalidParameter},
		{"Config.AutoSkip", "yes", codeInvalidParameter},
		{"Config.LivenessRetryLimit", "3", ""},
		{"Config.LivenessRetryLimit", "3.0", codeInvalidParameter},
		{"Config.LivenessRetryLimit", "+3", codeInvalidParameter},
		{"Config.LivenessRetryLimit", "", codeInvalidParameter},
		{"Config.LivenessRetryLimit.0", "3", codeInvalidParameter},
		{"Config", "x", codeInvalidParameter},
		{"Config.Unknown", "x", codeUnknownParameter},
		{"RedirectURL.0", "x", codeInvalidParameter},
		{"Extra..x", "x", codeInvalidParameter},
	} {
		own := map[string]string{}
		for k, v := range base {
			own[k] = v
		}
		own[tc.key] = tc.value
		if r := e.callV1(http.MethodPost, actionApplyIntl, own); r.Code != tc.want {
			t.Errorf("%s=%q: code %q (%s), want %q", tc.key, tc.value, r.Code, r.Message, tc.want)
		}
	}
}

func TestUnflatten(t *testing.T) {
	in, aerr := unflatten(map[string]string{"A": "1", "B.C": "x", "L.0": "a", "L.1": "b", "M.0": "a", "M.2": "c", "N.x.0": "deep"})
	if aerr != nil {
		t.Fatal(aerr.Message)
	}
	want := `{"A":"1","B":{"C":"x"},"L":["a","b"],"M":{"0":"a","2":"c"},"N":{"x":["deep"]}}`
	if string(in.data) != want || !in.flat {
		t.Fatalf("got %s", in.data)
	}
	if in, _ := unflatten(map[string]string{"0": "a"}); string(in.data) != `{"0":"a"}` {
		t.Fatalf("top level as a list: %s", in.data)
	}
	for _, bad := range []map[string]string{{"A": "1", "A.B": "2"}, {"A.B": "2", "A": "1"}, {".A": "1"}, {"A.": "1"}} {
		if _, aerr := unflatten(bad); aerr == nil || aerr.Code != codeInvalidParameter {
			t.Errorf("%v: %v", bad, aerr)
		}
	}
}

// Rate limit, injected faults and the clock offset apply to v1 as to TC3: the limit per
// action is shared by both, and the control API's clock moves windows but not signatures.
func TestV1SharesTheFrontDoor(t *testing.T) {
	e := newTestEnv(t, Options{RateLimit: DefaultRateLimit})
	own := map[string]string{"BizToken": "D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}
	for i := range DefaultRateLimit {
		var r apiReply
		if i%2 == 0 {
			r = e.callV1(http.MethodGet, actionResultIntl, own)
		} else {
			r = e.call(actionResultIntl, own)
		}
		if r.Code != codeBizTokenIllegal {
			t.Fatalf("request %d: %q", i+1, r.Code)
		}
	}
	if r := e.callV1(http.MethodPost, actionResultIntl, own); r.Code != codeRequestLimitExceeded {
		t.Fatalf("request 21 in the second: %q", r.Code)
	}
	e.sb.advanceClock(time.Hour)
	if r := e.callV1(http.MethodPost, actionResultIntl, own); r.Code != codeBizTokenIllegal {
		t.Fatalf("after the control clock moved an hour: %q (%s)", r.Code, r.Message)
	}
	e.sb.SetFaults(Faults{ThrottleRate: 1, ThrottleCode: codeFailedRequestLimitExceeded})
	if r := e.callV1(http.MethodPost, actionResultIntl, own); r.Code != codeFailedRequestLimitExceeded {
		t.Fatalf("injected throttling: %q", r.Code)
	}
	e.sb.SetFaults(Faults{InternalErrorRate: 1})
	if r := e.callV1(http.MethodGet, actionResultIntl, own); r.Code != codeInternalError {
		t.Fatalf("injected internal error: %q", r.Code)
	}
}

// nodeTC3Sign signs req as Tencent's Node.js SDK 3.0.x does (sign.js, sign3), written out
// apart from the verifier: the canonical host is the host name without the port, the
// credential scope's service is the endpoint's first dot-separated label, and a GET signs
// its query and an empty payload.
func nodeTC3Sign(req *http.Request, body []byte, secretID, secretKey string, ts int64) {
	hexSHA := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	hm := func(k []byte, m string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(m)); return h.Sum(nil) }
	hostname := req.Host
	if h, _, err := net.SplitHostPort(req.Host); err == nil {
		hostname = h
		if strings.Contains(h, ":") {
			hostname = "[" + h + "]"
		}
	}
	service, _, _ := strings.Cut(req.Host, ".")
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	canonical := req.Method + "\n/\n" + req.URL.RawQuery + "\ncontent-type:" + req.Header.Get("Content-Type") +
		"\nhost:" + hostname + "\n\ncontent-type;host\n" + hexSHA(body)
	scope := date + "/" + service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts, 10) + "\n" + scope + "\n" + hexSHA([]byte(canonical))
	k := hm(hm(hm([]byte("TC3"+secretKey), date), service), "tc3_request")
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+secretID+"/"+scope+
		", SignedHeaders=content-type;host, Signature="+hex.EncodeToString(hm(k, toSign)))
}

// The signature Tencent's Node.js SDK 3.0.1335 computes with TC3 for endpoint
// 127.0.0.1:8090 (sign.js's sign3, run once outside Go): host 127.0.0.1, service "127".
func TestTC3NodeKnownVector(t *testing.T) {
	const (
		ts   = 1767225600
		body = `{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`
		want = "TC3-HMAC-SHA256 Credential=AKID-sandbox-local/2026-01-01/127/tc3_request, SignedHeaders=content-type;host, Signature=9180d30064d756967d9b95fa238ebd688b0712145898e288f2c9dd4b0f4beea0"
	)
	req := newAPIRequest(actionResultIntl, []byte(body), time.Unix(ts, 0))
	req.Host = "127.0.0.1:8090"
	nodeTC3Sign(req, []byte(body), TestSecretID, TestSecretKey, ts)
	if got := req.Header.Get("Authorization"); got != want {
		t.Fatalf("test signer:\n got %s\nwant %s", got, want)
	}
	sb := New(Options{Now: func() time.Time { return time.Unix(ts+60, 0) }})
	if r := serve(t, sb.APIHandler(), req); r.Code != codeBizTokenIllegal {
		t.Fatalf("code %q (%s), want the request to pass authentication", r.Code, r.Message)
	}
}

// TC3 as the Node.js SDK signs it, for the endpoints a merchant may give it, by POST and
// by GET; and what must still fail.
func TestTC3HostSpellings(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`)
	post := func(host string) *http.Request {
		req := newAPIRequest(actionResultIntl, body, now)
		req.Host = host
		nodeTC3Sign(req, body, TestSecretID, TestSecretKey, now.Unix())
		return req
	}
	get := func(host string) *http.Request {
		req := httptest.NewRequest(http.MethodGet, "http://"+host+"/?BizToken=D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F", nil)
		req.Host = host
		req.Header.Set("X-TC-Action", actionResultIntl)
		req.Header.Set("X-TC-Version", apiVersion)
		req.Header.Set("X-TC-Region", "ap-singapore")
		req.Header.Set("Content-Type", formMediaType)
		nodeTC3Sign(req, nil, TestSecretID, TestSecretKey, now.Unix())
		return req
	}
	sb := New(Options{RateLimit: -1, Now: func() time.Time { return now }})
	for _, host := range []string{"faceid.test:8090", "127.0.0.1:8090", "localhost:8090", "[::1]:8090", "faceid.intl.tencentcloudapi.com"} {
		for method, req := range map[string]*http.Request{"POST": post(host), "GET": get(host)} {
			if r := serve(t, sb.APIHandler(), req); r.Code != codeBizTokenIllegal {
				t.Errorf("%s %s: code %q (%s)", method, host, r.Code, r.Message)
			}
		}
	}
	// The service is faceid or the host's first label, nothing else.
	req := post("faceid.test:8090")
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "/faceid/", "/cvm/", 1))
	if r := serve(t, sb.APIHandler(), req); r.Code != codeAuthSignatureFailure {
		t.Errorf("service cvm: %q", r.Code)
	}
	// Signed for one host, sent to another.
	req = post("faceid.test:8090")
	req.Host = "faceid.other:8090"
	if r := serve(t, sb.APIHandler(), req); r.Code != codeAuthSignatureFailure {
		t.Errorf("other host: %q", r.Code)
	}
	// A GET signs its query: another query fails.
	req = get("faceid.test:8090")
	req.URL.RawQuery = "BizToken=D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E50"
	if r := serve(t, sb.APIHandler(), req); r.Code != codeAuthSignatureFailure {
		t.Errorf("changed query: %q", r.Code)
	}
	// A TC3 GET's parameters are read like v1's, duplicates refused.
	req = get("faceid.test:8090")
	req.URL.RawQuery = "BizToken=a&BizToken=b"
	nodeTC3Sign(req, nil, TestSecretID, TestSecretKey, now.Unix())
	if r := serve(t, sb.APIHandler(), req); r.Code != codeInvalidParameter {
		t.Errorf("duplicate query parameter: %q", r.Code)
	}
}
