package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// applyBody is a valid ApplyWebVerificationBizTokenIntl body with edit applied; edit may
// delete keys, set keys, or replace Config.
func applyBody(edit func(m map[string]any, cfg map[string]any)) string {
	cfg := map[string]any{}
	m := map[string]any{"RedirectURL": "https://merchant.test/cb", "CompareImageBase64": testJPEGBase64(), "Config": cfg}
	if edit != nil {
		edit(m, cfg)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func withConfig(kv ...any) func(map[string]any, map[string]any) {
	return func(_ map[string]any, cfg map[string]any) {
		for i := 0; i < len(kv); i += 2 {
			cfg[kv[i].(string)] = kv[i+1]
		}
	}
}

func withTop(kv ...any) func(map[string]any, map[string]any) {
	return func(m map[string]any, _ map[string]any) {
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
	}
}

// applyCase is one ApplyWebVerificationBizTokenIntl request and the code it gets.
type applyCase struct {
	name string
	body string
	want string
}

// applyCases are the validation cases of ApplyWebVerificationBizTokenIntl, run against a
// sandbox with RuleIDs 1 and 2.
func applyCases() []applyCase {
	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nrest"))
	bmp := base64.StdEncoding.EncodeToString([]byte("BM rest of a bitmap"))
	gif := base64.StdEncoding.EncodeToString([]byte("GIF89a rest"))
	jpeg := testJPEGBase64()
	return []applyCase{
		{"valid minimal", applyBody(nil), ""},
		{"valid png", applyBody(withTop("CompareImageBase64", png)), ""},
		{"valid bmp", applyBody(withTop("CompareImageBase64", bmp)), ""},
		{"valid full config", applyBody(withConfig(
			"AutoSkipStartPage", true, "AutoSkip", true, "CheckMode", 1, "IDCardType", "HKIDCard",
			"DisableCheckOcrWarnings", false, "SecurityLevel", 4, "SkipPrivacyPolicy", true, "IdCardCutReturn", true,
			"ThemeColor", "#00AA33", "Language", "zh-tc", "AutoDowngrade", 2, "ActionList", "blink,nod",
			"LivenessRetryLimit", 3, "LivenessTimeout", 600, "SelectedWarningCodes", "-9101,-9107",
			"AllowExpiredDocument", false, "Version", "PLUS")), ""},
		{"valid liveness only without image", applyBody(func(m, cfg map[string]any) {
			delete(m, "CompareImageBase64")
			cfg["CheckMode"] = 3
		}), ""},
		{"valid RuleId without image", applyBody(func(m, _ map[string]any) {
			delete(m, "CompareImageBase64")
			delete(m, "Config")
			m["RuleId"] = "1"
		}), ""},
		{"valid Extra of 1000 characters", applyBody(withTop("Extra", strings.Repeat("é", 1000))), ""},
		{"valid null Config", applyBody(withTop("Config", json.RawMessage("null"))), ""},

		{"body not JSON", "{", codeInvalidParameter},
		{"body an array", "[]", codeInvalidParameter},
		{"body empty", "", codeInvalidParameter},
		{"missing RedirectURL", applyBody(withTop("RedirectURL", nil)), codeInvalidParameter},
		{"empty RedirectURL", applyBody(withTop("RedirectURL", "")), codeInvalidParameter},
		{"RedirectURL not a string", applyBody(withTop("RedirectURL", 5)), codeInvalidParameter},
		{"Extra not a string", applyBody(withTop("Extra", true)), codeInvalidParameter},
		{"Config not an object", applyBody(withTop("Config", "x")), codeInvalidParameter},
		{"CheckMode as string", applyBody(withConfig("CheckMode", "2")), codeInvalidParameter},
		{"CheckMode fractional", applyBody(withConfig("CheckMode", 2.5)), codeInvalidParameter},
		{"AutoSkip as string", applyBody(withConfig("AutoSkip", "true")), codeInvalidParameter},
		{"Language as number", applyBody(withConfig("Language", 1)), codeInvalidParameter},
		{"missing image for CheckMode 2", applyBody(withTop("CompareImageBase64", nil)), codeInvalidParameter},
		{"type error wins over value error", applyBody(withConfig("CheckMode", 9, "AutoSkip", "yes")), codeInvalidParameter},

		{"unknown top-level key", applyBody(withTop("Redirect", "x")), codeUnknownParameter},
		{"misspelt RedirectUrl", applyBody(withTop("RedirectURL", nil, "RedirectUrl", "https://m.test/")), codeUnknownParameter},
		{"IdCardType spelling of the docs example", applyBody(withConfig("IdCardType", "HKIDCard")), codeUnknownParameter},
		{"lower-case config key", applyBody(withConfig("language", "en")), codeUnknownParameter},

		{"RedirectURL relative", applyBody(withTop("RedirectURL", "/callback")), codeInvalidParameterValue},
		{"RedirectURL other scheme", applyBody(withTop("RedirectURL", "javascript:alert(1)")), codeInvalidParameterValue},
		{"RedirectURL without host", applyBody(withTop("RedirectURL", "https:///cb")), codeInvalidParameterValue},
		{"RedirectURL with a port but no host", applyBody(withTop("RedirectURL", "https://:443/cb")), codeInvalidParameterValue},
		{"RedirectURL with space", applyBody(withTop("RedirectURL", "https://m.test/a b")), codeInvalidParameterValue},
		{"Extra over 1000 characters", applyBody(withTop("Extra", strings.Repeat("a", 1001))), codeInvalidParameterValue},
		{"image with data: prefix", applyBody(withTop("CompareImageBase64", "data:image/jpeg;base64,"+jpeg)), codeInvalidParameterValue},
		{"image bad base64", applyBody(withTop("CompareImageBase64", "not*base64")), codeInvalidParameterValue},
		{"image bad padding", applyBody(withTop("CompareImageBase64", jpeg+"=")), codeInvalidParameterValue},
		{"image truncated", applyBody(withTop("CompareImageBase64", jpeg[:len(jpeg)-1])), codeInvalidParameterValue},
		{"image with line breaks", applyBody(withTop("CompareImageBase64", jpeg[:8]+"\n"+jpeg[8:])), codeInvalidParameterValue},
		{"image not JPEG/PNG/BMP", applyBody(withTop("CompareImageBase64", gif)), codeInvalidParameterValue},
		{"image over 8 MB", applyBody(withTop("CompareImageBase64", strings.Repeat("A", maxCompareImageBase64+4))), codeImageSizeTooLarge},
		{"CheckMode 0", applyBody(withConfig("CheckMode", 0)), codeInvalidParameterValue},
		{"CheckMode 5", applyBody(withConfig("CheckMode", 5)), codeInvalidParameterValue},
		{"CheckMode 1 without IDCardType", applyBody(withConfig("CheckMode", 1)), codeInvalidParameterValue},
		{"IDCardType unknown", applyBody(withConfig("CheckMode", 4, "IDCardType", "USDriverLicense")), codeInvalidParameterValue},
		{"SecurityLevel 0", applyBody(withConfig("SecurityLevel", 0)), codeInvalidParameterValue},
		{"SecurityLevel 6", applyBody(withConfig("SecurityLevel", 6)), codeInvalidParameterValue},
		{"ThemeColor without #", applyBody(withConfig("ThemeColor", "2d72f1")), codeInvalidParameterValue},
		{"ThemeColor short", applyBody(withConfig("ThemeColor", "#fff")), codeInvalidParameterValue},
		{"ThemeColor not hex", applyBody(withConfig("ThemeColor", "#gggggg")), codeInvalidParameterValue},
		{"ThemeColor CSS injection", applyBody(withConfig("ThemeColor", "red;}body{x:y")), codeInvalidParameterValue},
		{"Language upper case", applyBody(withConfig("Language", "EN")), codeInvalidParameterValue},
		{"Language unknown", applyBody(withConfig("Language", "fr")), codeInvalidParameterValue},
		{"AutoDowngrade 0", applyBody(withConfig("AutoDowngrade", 0)), codeInvalidParameterValue},
		{"AutoDowngrade 3", applyBody(withConfig("AutoDowngrade", 3)), codeInvalidParameterValue},
		{"ActionList with default SecurityLevel", applyBody(withConfig("ActionList", "blink")), codeInvalidParameterValue},
		{"ActionList with SecurityLevel 1", applyBody(withConfig("SecurityLevel", 1, "ActionList", "blink")), codeInvalidParameterValue},
		{"ActionList with SecurityLevel 3", applyBody(withConfig("SecurityLevel", 3, "ActionList", "nod")), codeInvalidParameterValue},
		{"ActionList three actions", applyBody(withConfig("SecurityLevel", 2, "ActionList", "blink,mouth,nod")), codeInvalidParameterValue},
		{"ActionList unknown action", applyBody(withConfig("SecurityLevel", 2, "ActionList", "smile")), codeInvalidParameterValue},
		{"ActionList repeated action", applyBody(withConfig("SecurityLevel", 5, "ActionList", "blink,blink")), codeInvalidParameterValue},
		{"ActionList with spaces", applyBody(withConfig("SecurityLevel", 2, "ActionList", "blink, nod")), codeInvalidParameterValue},
		{"ActionList empty", applyBody(withConfig("SecurityLevel", 2, "ActionList", "")), codeInvalidParameterValue},
		{"ActionList null", applyBody(withConfig("ActionList", nil)), ""},
		{"LivenessRetryLimit 0", applyBody(withConfig("LivenessRetryLimit", 0)), codeInvalidParameterValue},
		{"LivenessRetryLimit 100", applyBody(withConfig("LivenessRetryLimit", 100)), codeInvalidParameterValue},
		{"LivenessTimeout 0", applyBody(withConfig("LivenessTimeout", 0)), codeInvalidParameterValue},
		{"LivenessTimeout 601", applyBody(withConfig("LivenessTimeout", 601)), codeInvalidParameterValue},
		{"SelectedWarningCodes unknown code", applyBody(withConfig("SelectedWarningCodes", "-9105")), codeInvalidParameterValue},
		{"SelectedWarningCodes positive", applyBody(withConfig("SelectedWarningCodes", "9101")), codeInvalidParameterValue},
		{"SelectedWarningCodes with OCR warnings disabled", applyBody(withConfig("DisableCheckOcrWarnings", true, "SelectedWarningCodes", "-9101")), codeInvalidParameterValue},
		{"AllowExpiredDocument for another card", applyBody(withConfig("CheckMode", 4, "IDCardType", "MLIDCard", "AllowExpiredDocument", true)), codeInvalidParameterValue},
		{"Version unknown", applyBody(withConfig("Version", "PRO")), codeInvalidParameterValue},
		{"Version empty", applyBody(withConfig("Version", "")), codeInvalidParameterValue},
		{"SelectedWarningCodes empty", applyBody(withConfig("SelectedWarningCodes", "")), codeInvalidParameterValue},
		{"SelectedWarningCodes -9901 (App SDK only)", applyBody(withConfig("SelectedWarningCodes", "-9101,-9901")), codeInvalidParameterValue},
		{"SelectedWarningCodes space-separated", applyBody(withConfig("SelectedWarningCodes", "-9101 -9102")), codeInvalidParameterValue},
		{"IDCardType dropped from the enum", applyBody(withConfig("CheckMode", 4, "IDCardType", "JapanIDCard")), codeInvalidParameterValue},
		{"RuleId unknown", applyBody(withTop("RuleId", "99")), codeRuleIDNotExist},
	}
}

func TestApplyValidation(t *testing.T) {
	e := newTestEnv(t, Options{RuleIDs: []string{"1", "2"}})
	for _, tc := range applyCases() {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			r := e.call(actionApplyIntl, tc.body)
			if r.Code != tc.want {
				t.Fatalf("code %q (%s), want %q", r.Code, r.Message, tc.want)
			}
		})
	}
}

// With RuleIDs empty any RuleId exists, and AllowMissingCompareImage relaxes CheckMode 2.
func TestApplyLenientOptions(t *testing.T) {
	e := newTestEnv(t, Options{AllowMissingCompareImage: true})
	mustOK(t, e.call(actionApplyIntl, applyBody(withTop("RuleId", "any-rule"))))
	mustOK(t, e.call(actionApplyIntl, applyBody(withTop("CompareImageBase64", nil))))
}

func TestOtherActionsValidation(t *testing.T) {
	e := newTestEnv(t, Options{})
	cases := []struct {
		name, action, body, want string
	}{
		{"result missing BizToken", actionResultIntl, `{}`, codeInvalidParameter},
		{"result empty BizToken", actionResultIntl, `{"BizToken":""}`, codeInvalidParameter},
		{"result BizToken number", actionResultIntl, `{"BizToken":1}`, codeInvalidParameter},
		{"result unknown key", actionResultIntl, `{"BizToken":"x","Token":"y"}`, codeUnknownParameter},
		{"result malformed BizToken", actionResultIntl, `{"BizToken":"abc"}`, codeInvalidParameterValue},
		{"legacy result malformed BizToken", actionResult, `{"BizToken":"abc"}`, codeInvalidParameterValue},
		{"upload missing TargetAction", actionCreateURL, `{}`, codeInvalidParameter},
		{"upload other TargetAction", actionCreateURL, `{"TargetAction":"DetectAuth"}`, codeInvalidParameterValue},
		{"upload valid", actionCreateURL, `{"TargetAction":"ApplyWebVerificationToken"}`, ""},
		{"legacy apply missing RedirectUrl", actionApplyLegacy, `{"CompareImageUrl":"http://page.test/resource/x","CompareImageMd5":"` + strings.Repeat("a", 32) + `"}`, codeInvalidParameter},
		{"legacy apply RedirectURL spelling", actionApplyLegacy, `{"RedirectURL":"https://m.test/"}`, codeUnknownParameter},
		{"legacy apply missing image", actionApplyLegacy, `{"RedirectUrl":"https://m.test/"}`, codeInvalidParameter},
		{"legacy apply bad MD5", actionApplyLegacy, `{"RedirectUrl":"https://m.test/","CompareImageUrl":"http://page.test/resource/x","CompareImageMd5":"xyz"}`, codeInvalidParameterValue},
		{"legacy apply unknown resource", actionApplyLegacy, `{"RedirectUrl":"https://m.test/","CompareImageUrl":"http://page.test/resource/x","CompareImageMd5":"` + strings.Repeat("a", 32) + `"}`, codeInvalidParameterValue},
		{"legacy apply foreign URL", actionApplyLegacy, `{"RedirectUrl":"https://m.test/","CompareImageUrl":"https://cos.test/x","CompareImageMd5":"` + strings.Repeat("a", 32) + `"}`, codeInvalidParameterValue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			if r := e.call(tc.action, tc.body); r.Code != tc.want {
				t.Fatalf("code %q (%s), want %q", r.Code, r.Message, tc.want)
			}
		})
	}
}

// The front door: method, size and content type.
func TestFrontDoor(t *testing.T) {
	e := newTestEnv(t, Options{})
	put := httptest.NewRequest(http.MethodPut, "http://"+testHost+"/", nil)
	if r := serve(t, e.api, put); r.Code != codeUnsupportedOperation {
		t.Errorf("PUT: %q", r.Code)
	}
	// A GET without an Authorization header is read as signature v1, here without any
	// of its parameters.
	get := httptest.NewRequest(http.MethodGet, "http://"+testHost+"/", nil)
	if r := serve(t, e.api, get); r.Code != codeAuthInvalidAuthz {
		t.Errorf("unsigned GET: %q", r.Code)
	}
	big := []byte(`{"RedirectURL":"` + strings.Repeat("a", int(maxRequestBody)) + `"}`)
	if r := serve(t, e.api, newAPIRequest(actionApplyIntl, big, e.clock.Now())); r.Code != codeRequestSizeLimit {
		t.Errorf("11 MB body: %q", r.Code)
	}
	form := newAPIRequest(actionResultIntl, []byte(`{}`), e.clock.Now())
	form.Header.Set("X-TC-Language", "fr-FR")
	if r := serve(t, e.api, form); r.Code != codeInvalidParameterValue {
		t.Errorf("X-TC-Language fr-FR: %q", r.Code)
	}
	rec := httptest.NewRecorder()
	e.api.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "http://"+testHost+"/elsewhere", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("other path: %d", rec.Code)
	}
}

// The IDCardType request enum is the twelve of Tencent's current documents; the eight it
// once also had are refused.
func TestIDCardTypes(t *testing.T) {
	e := newTestEnv(t, Options{})
	current := []string{"HKIDCard", "MLIDCard", "IndonesiaIDCard", "PhilippinesVoteID", "PhilippinesDrivingLicense",
		"PhilippinesTinID", "PhilippinesSSSID", "PhilippinesUMID", "InternationalIDPassport", "ThailandIDCard",
		"SingaporeIDCard", "MainlandIDCard"}
	dropped := []string{"IndonesiaDrivingLicense", "ThailandDrivingLicense", "MLDrivingLicense", "SingaporeDrivingLicense",
		"JapanIDCard", "JapanDrivingLicense", "PhilippinesIDCard", "MacaoIDCard"}
	for _, card := range current {
		if r := e.call(actionApplyIntl, applyBody(withConfig("CheckMode", 1, "IDCardType", card))); r.Code != "" {
			t.Errorf("%s: %s (%s)", card, r.Code, r.Message)
		}
	}
	for _, card := range dropped {
		if r := e.call(actionApplyIntl, applyBody(withConfig("CheckMode", 1, "IDCardType", card))); r.Code != codeInvalidParameterValue {
			t.Errorf("%s: %q, want %s", card, r.Code, codeInvalidParameterValue)
		}
	}
}
