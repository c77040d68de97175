package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseRequest drives the parsing and validation of every action with arbitrary bodies:
// it must never panic, and every answer must encode to a valid envelope, either a success
// or an error with a code.
func FuzzParseRequest(f *testing.F) {
	seeds := []string{
		applyBody(nil),
		applyBody(withConfig("CheckMode", 1, "IDCardType", "HKIDCard", "SecurityLevel", 2, "ActionList", "blink,nod")),
		applyBody(withConfig("SelectedWarningCodes", "-9101,-9102", "ThemeColor", "#ABCDEF")),
		`{"RedirectURL":"https://m.test/","CompareImageBase64":"data:image/png;base64,AAAA"}`,
		`{"RedirectURL":null,"Config":{"CheckMode":null}}`,
		`{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`,
		`{"TargetAction":"ApplyWebVerificationToken"}`,
		`{"RedirectUrl":"https://m.test/","CompareImageUrl":"http://page.test/resource/x","CompareImageMd5":"00000000000000000000000000000000"}`,
		`{"Config":{"Config":{}}}`, `[]`, `null`, `"x"`, `{"a":1e999}`, ``, `{"Extra":"\ud800"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	sb := New(Options{Now: func() time.Time { return clock }, PageURL: "http://page.test", MaxTokens: 1000})
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		action := actions[int(which)%len(actions)]
		resp, aerr := sb.dispatch(action, jsonInput(body), "fuzz-request", clock)
		var env envelope
		if aerr != nil {
			if aerr.Code == "" || aerr.Message == "" {
				t.Fatalf("error without code or message: %+v", aerr)
			}
			env = errorEnvelope(aerr, "fuzz-request")
		} else {
			if resp == nil {
				t.Fatal("neither a response nor an error")
			}
			env = envelope{Response: resp}
		}
		out, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("envelope does not encode: %v", err)
		}
		parseEnvelope(t, 200, out)
	})
}

// FuzzAPIRequest drives the whole API handler, front door and TC3 verification included,
// with arbitrary headers and bodies. With sign set the harness signs the body properly so
// the fuzzer reaches the actions; otherwise the fuzzed Authorization header is sent as it
// is. Every answer is an envelope, and a request is only ever acted on when its
// Authorization is the genuine signature of what was sent.
func FuzzAPIRequest(f *testing.F) {
	const ts = 1772355600 // the sandbox clock
	genuine := newAPIRequest(actionResultIntl, []byte(`{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`), time.Unix(ts, 0))
	f.Add(uint8(1), true, genuine.Header.Get("Authorization"), "1772355600", "", "application/json",
		[]byte(`{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`))
	f.Add(uint8(1), false, genuine.Header.Get("Authorization"), "1772355600", "", "application/json",
		[]byte(`{"BizToken":"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F"}`))
	f.Add(uint8(0), true, "", "1772355600", "", "application/json; charset=utf-8", []byte(applyBody(nil)))
	f.Add(uint8(2), false, "TC3-HMAC-SHA256 Credential=AKID-sandbox-local/2026-03-01/faceid/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=00",
		"-1", "tok", "text/plain", []byte(`{"TargetAction":"ApplyWebVerificationToken"}`))
	f.Add(uint8(3), false, "TC3-HMAC-SHA256 Credential=AKID-sandbox-temp/2026-03-01/faceid/tc3_request,SignedHeaders=content-type;host,Signature=",
		"99999999999999999999", "sandbox-session-token-not-for-production", "", []byte(`{}`))
	sb := New(Options{Now: func() time.Time { return time.Unix(ts, 0) }, PageURL: "http://page.test", RateLimit: -1, MaxTokens: 1000})
	h := sb.APIHandler()
	f.Fuzz(func(t *testing.T, which uint8, sign bool, authz, timestamp, token, contentType string, body []byte) {
		action := actions[int(which)%len(actions)]
		req := httptest.NewRequest(http.MethodPost, "http://"+testHost+"/", bytes.NewReader(body))
		req.Host = testHost
		for k, v := range map[string]string{
			"Content-Type": contentType, "X-TC-Action": action, "X-TC-Version": apiVersion,
			"X-TC-Region": "ap-singapore", "X-TC-Timestamp": timestamp, "X-TC-Token": token, "Authorization": authz,
		} {
			if v != "" && !strings.ContainsAny(v, "\r\n\x00") {
				req.Header.Set(k, v)
			}
		}
		if sign {
			// A well-formed request around the fuzzed body.
			req.Header.Set("Content-Type", "application/json")
			req.Header.Del("X-TC-Token")
			testSign(req, body, TestSecretID, TestSecretKey, ts)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		r := parseEnvelope(t, rec.Code, rec.Body.Bytes())
		if sign || r.Code == "" || !strings.HasPrefix(r.Code, "AuthFailure.") && r.Code != codeRequestSizeLimit {
			// Past authentication: only a genuinely signed request gets here.
			check := httptest.NewRequest(http.MethodPost, "http://"+testHost+"/", nil)
			check.Host = testHost
			testSign(check, body, TestSecretID, TestSecretKey, ts)
			if !sign && (req.Header.Get("Authorization") != check.Header.Get("Authorization") || req.Header.Get("X-TC-Timestamp") != strconv.Itoa(ts)) {
				t.Fatalf("acted on a request whose signature is not genuine: code %q for Authorization %q", r.Code, authz)
			}
		}
	})
}

// FuzzFlatParameters drives the reading of flattened parameters (signature v1 and TC3 GET)
// with arbitrary query strings: never a panic, and every error has a code and a message.
func FuzzFlatParameters(f *testing.F) {
	for _, s := range []string{
		"RedirectURL=https%3A%2F%2Fm.test%2F&Config.CheckMode=3&Config.AutoSkip=true",
		"BizToken=D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F", "TargetAction=ApplyWebVerificationToken",
		"Config=1&Config.CheckMode=3", "A.0=x&A.1=y", "a..b=1", "=x", "%zz", "A=1&A=2", "",
	} {
		f.Add(uint8(0), s)
	}
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	sb := New(Options{Now: func() time.Time { return clock }, PageURL: "http://page.test", MaxTokens: 1000})
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		flat, aerr := parseFlat(raw, codeAuthInvalidAuthz)
		var in input
		if aerr == nil {
			in, aerr = unflatten(flat)
		}
		if aerr == nil {
			_, aerr = sb.dispatch(actions[int(which)%len(actions)], in, "fuzz-request", clock)
		}
		if aerr != nil && (aerr.Code == "" || aerr.Message == "") {
			t.Fatalf("error without code or message: %+v", aerr)
		}
	})
}
