package sandbox

import (
	"context"
	"encoding/json"
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
		resp, aerr := sb.dispatch(context.Background(), action, body, "fuzz-request", clock)
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
