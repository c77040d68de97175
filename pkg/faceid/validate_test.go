package faceid_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/facegate/facegate/pkg/faceid"
)

var (
	jpegBytes = []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xD9")
	pngBytes  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	bmpBytes  = []byte("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00")
	gifBytes  = []byte("GIF89a\x01\x00\x01\x00")
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func validApply() *faceid.ApplyWebVerificationBizTokenIntlRequest {
	return &faceid.ApplyWebVerificationBizTokenIntlRequest{RedirectURL: "https://merchant.example/callback"}
}

// bigImageBase64 is a JPEG whose base64 is exactly n characters (n a multiple of 4).
func bigImageBase64(n int) string {
	raw := make([]byte, n/4*3)
	copy(raw, jpegBytes)
	return b64(raw)
}

// applyCase is one row of the validation table: a change to a valid request and the field
// the client must name ("" when the request stays valid).
type applyCase struct {
	name      string
	edit      func(r *faceid.ApplyWebVerificationBizTokenIntlRequest)
	wantField string
}

// applyCases is the table of every validation rule of ApplyWebVerificationBizTokenIntl.
// TestApplyValidate runs it against the client and TestValidationAgreesWithSandbox against
// the sandbox, so the two cannot drift apart unnoticed.
func applyCases() []applyCase {
	type cfg = faceid.WebVerificationConfigIntl
	return []applyCase{
		{"minimal", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {}, ""},

		{"redirect http", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.RedirectURL = "http://127.0.0.1:8080/cb?x=1"
		}, ""},
		{"redirect missing", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.RedirectURL = "" }, "RedirectURL"},
		{"redirect relative", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.RedirectURL = "/callback" }, "RedirectURL"},
		{"redirect protocol-relative", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.RedirectURL = "//merchant.example/cb" }, "RedirectURL"},
		{"redirect other scheme", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.RedirectURL = "javascript:alert(1)" }, "RedirectURL"},
		{"redirect ftp", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.RedirectURL = "ftp://merchant.example/cb" }, "RedirectURL"},
		{"redirect no host", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.RedirectURL = "https:///cb" }, "RedirectURL"},
		{"redirect port only", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.RedirectURL = "https://:443/cb" }, "RedirectURL"},
		{"redirect userinfo", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.RedirectURL = "https://a@evil.example/cb" }, "RedirectURL"},
		{"redirect fragment", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.RedirectURL = "https://merchant.example/cb#x"
		}, "RedirectURL"},
		{"redirect space", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.RedirectURL = "https://merchant.example/c b"
		}, "RedirectURL"},
		{"redirect backslash", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.RedirectURL = "https://merchant.example\\@evil/"
		}, "RedirectURL"},

		{"extra 1000 runes", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Extra = strings.Repeat("é", 1000) }, ""},
		{"extra 1001 runes", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Extra = strings.Repeat("a", 1001) }, "Extra"},

		{"image jpeg", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.CompareImageBase64 = b64(jpegBytes) }, ""},
		{"image png", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.CompareImageBase64 = b64(pngBytes) }, ""},
		{"image bmp", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.CompareImageBase64 = b64(bmpBytes) }, ""},
		{"image gif", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.CompareImageBase64 = b64(gifBytes) }, "CompareImageBase64"},
		{"image text", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.CompareImageBase64 = b64([]byte("hello")) }, "CompareImageBase64"},
		{"image data prefix", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.CompareImageBase64 = "data:image/jpeg;base64," + b64(jpegBytes)
		}, "CompareImageBase64"},
		{"image not base64", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.CompareImageBase64 = "/9j/4AAQ*kZJRgABAQ" }, "CompareImageBase64"},
		{"image bad tail", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.CompareImageBase64 = b64(jpegBytes) + "A" }, "CompareImageBase64"},
		{"image with line breaks", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			s := b64(jpegBytes)
			r.CompareImageBase64 = s[:8] + "\r\n" + s[8:]
		}, "CompareImageBase64"},
		{"image stray padding bits", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			// 22 bytes end in a 1-byte group: "xx==", whose second character must carry
			// no bits beyond the byte; flipping its last bit keeps the length valid.
			s := []byte(b64(jpegBytes))
			s[len(s)-3] ^= 0x01
			r.CompareImageBase64 = string(s)
		}, "CompareImageBase64"},
		{"image exactly 8 MB", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.CompareImageBase64 = bigImageBase64(faceid.MaxCompareImageBase64)
		}, ""},
		{"image over 8 MB", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.CompareImageBase64 = bigImageBase64(faceid.MaxCompareImageBase64 + 4)
		}, "CompareImageBase64"},

		{"checkmode 4", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{CheckMode: new(int64(4))} }, ""},
		{"checkmode 0", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{CheckMode: new(int64(0))} }, "Config.CheckMode"},
		{"checkmode 5", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{CheckMode: new(int64(5))} }, "Config.CheckMode"},
		{"checkmode 1 with card", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{CheckMode: new(int64(1)), IDCardType: new("HKIDCard")}
		}, ""},
		{"checkmode 1 without card", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{CheckMode: new(int64(1))} }, "Config.IDCardType"},
		{"card unknown", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{IDCardType: new("HKIdCard")} }, "Config.IDCardType"},
		{"card dropped from the enum", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{IDCardType: new("JapanIDCard")}
		}, "Config.IDCardType"},
		{"card every listed", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{IDCardType: new("MainlandIDCard")}
		}, ""},

		{"security 5", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{SecurityLevel: new(int64(5))} }, ""},
		{"security 0", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{SecurityLevel: new(int64(0))} }, "Config.SecurityLevel"},
		{"security 6", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{SecurityLevel: new(int64(6))} }, "Config.SecurityLevel"},

		{"language zh-tc", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{Language: new("zh-tc")} }, ""},
		{"language EN", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{Language: new("EN")} }, "Config.Language"},
		{"language fr", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{Language: new("fr")} }, "Config.Language"},

		{"actions two with level 2", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{ActionList: new("blink,shake"), SecurityLevel: new(int64(2))}
		}, ""},
		{"actions one with level 4", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{ActionList: new("nod"), SecurityLevel: new(int64(4))}
		}, ""},
		{"actions three", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{ActionList: new("blink,mouth,nod"), SecurityLevel: new(int64(2))}
		}, "Config.ActionList"},
		{"actions duplicate", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{ActionList: new("nod,nod"), SecurityLevel: new(int64(2))}
		}, "Config.ActionList"},
		{"actions unknown", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{ActionList: new("wink"), SecurityLevel: new(int64(2))}
		}, "Config.ActionList"},
		{"actions empty", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{ActionList: new(""), SecurityLevel: new(int64(2))}
		}, "Config.ActionList"},
		{"actions with space", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{ActionList: new("blink, nod"), SecurityLevel: new(int64(2))}
		}, "Config.ActionList"},
		{"actions with level 3", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{ActionList: new("blink"), SecurityLevel: new(int64(3))}
		}, "Config.ActionList"},
		{"actions with default level", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{ActionList: new("blink")} }, "Config.ActionList"},

		{"theme lower", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{ThemeColor: new("#2d72f1")} }, ""},
		{"theme upper", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{ThemeColor: new("#2D72F1")} }, ""},
		{"theme no hash", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{ThemeColor: new("2d72f1")} }, "Config.ThemeColor"},
		{"theme short", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{ThemeColor: new("#fff")} }, "Config.ThemeColor"},
		{"theme not hex", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{ThemeColor: new("#gg0000")} }, "Config.ThemeColor"},

		{"retry 1", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{LivenessRetryLimit: new(int64(1))}
		}, ""},
		{"retry 99", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{LivenessRetryLimit: new(int64(99))}
		}, ""},
		{"retry 0", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{LivenessRetryLimit: new(int64(0))}
		}, "Config.LivenessRetryLimit"},
		{"retry 100", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{LivenessRetryLimit: new(int64(100))}
		}, "Config.LivenessRetryLimit"},

		{"timeout 600", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{LivenessTimeout: new(int64(600))}
		}, ""},
		{"timeout 0", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{LivenessTimeout: new(int64(0))}
		}, "Config.LivenessTimeout"},
		{"timeout 601", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{LivenessTimeout: new(int64(601))}
		}, "Config.LivenessTimeout"},

		{"downgrade 2", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{AutoDowngrade: new(int64(2))} }, ""},
		{"downgrade 3", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{AutoDowngrade: new(int64(3))} }, "Config.AutoDowngrade"},

		{"warnings subset", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{SelectedWarningCodes: new("-9101,-9109"), DisableCheckOcrWarnings: new(false)}
		}, ""},
		{"warnings unknown", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{SelectedWarningCodes: new("-9105")}
		}, "Config.SelectedWarningCodes"},
		{"warnings positive", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{SelectedWarningCodes: new("9101")}
		}, "Config.SelectedWarningCodes"},
		{"warnings duplicate", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{SelectedWarningCodes: new("-9101,-9101")}
		}, "Config.SelectedWarningCodes"},
		{"warnings empty", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{SelectedWarningCodes: new("")}
		}, "Config.SelectedWarningCodes"},
		{"warnings -9901", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{SelectedWarningCodes: new("-9101,-9901")} // App SDK only, not H5
		}, "Config.SelectedWarningCodes"},
		{"warnings with checks off", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{SelectedWarningCodes: new("-9101"), DisableCheckOcrWarnings: new(true)}
		}, "Config.SelectedWarningCodes"},

		{"expired document HKID", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{IDCardType: new("HKIDCard"), AllowExpiredDocument: new(false)}
		}, ""},
		{"expired document other card", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Config = &cfg{IDCardType: new("MLIDCard"), AllowExpiredDocument: new(true)}
		}, "Config.AllowExpiredDocument"},

		{"version PLUS", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{Version: new("PLUS")} }, ""},
		{"version empty", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{Version: new("")} }, "Config.Version"},
		{"version plus", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) { r.Config = &cfg{Version: new("plus")} }, "Config.Version"},

		{"full config", func(r *faceid.ApplyWebVerificationBizTokenIntlRequest) {
			r.Extra = "order-1"
			r.RuleId = "1"
			r.CompareImageBase64 = b64(jpegBytes)
			r.Config = &cfg{
				AutoSkipStartPage: new(true), AutoSkip: new(true), CheckMode: new(int64(1)), IDCardType: new("HKIDCard"),
				DisableCheckOcrWarnings: new(false), SecurityLevel: new(int64(4)), SkipPrivacyPolicy: new(false),
				IdCardCutReturn: new(true), ThemeColor: new("#000000"), Language: new("th"), AutoDowngrade: new(int64(1)),
				ActionList: new("mouth,shake"), LivenessRetryLimit: new(int64(3)), LivenessTimeout: new(int64(45)),
				SelectedWarningCodes: new("-9102,-9103,-9104,-9107,-9108"), AllowExpiredDocument: new(false), Version: new("BASIC"),
			}
		}, ""},
	}
}

func TestApplyValidate(t *testing.T) {
	for _, tt := range applyCases() {
		t.Run(tt.name, func(t *testing.T) {
			r := validApply()
			tt.edit(r)
			checkValidation(t, r.Validate(), tt.wantField)
		})
	}
}

func TestEveryListedCardTypeAndLanguageIsAccepted(t *testing.T) {
	for _, card := range faceid.IDCardTypes() {
		r := validApply()
		r.Config = &faceid.WebVerificationConfigIntl{CheckMode: new(int64(1)), IDCardType: new(card)}
		checkValidation(t, r.Validate(), "")
	}
	if n := len(faceid.IDCardTypes()); n != 12 {
		t.Errorf("%d card types, the doc lists 12", n)
	}
	for _, lang := range faceid.Languages() {
		r := validApply()
		r.Config = &faceid.WebVerificationConfigIntl{Language: new(lang)}
		checkValidation(t, r.Validate(), "")
	}
}

func TestLegacyApplyValidate(t *testing.T) {
	const md5hex = "0123456789abcdef0123456789ABCDEF"
	tests := []struct {
		name      string
		req       faceid.ApplyWebVerificationTokenRequest
		wantField string
	}{
		{"with image", faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "https://m.example/cb", CompareImageUrl: "https://cos.example/o", CompareImageMd5: md5hex}, ""},
		{"redirect only", faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "https://m.example/cb"}, "CompareImageUrl"},
		{"redirect missing", faceid.ApplyWebVerificationTokenRequest{CompareImageUrl: "https://cos.example/o", CompareImageMd5: md5hex}, "RedirectUrl"},
		{"redirect relative", faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "cb", CompareImageUrl: "https://cos.example/o", CompareImageMd5: md5hex}, "RedirectUrl"},
		{"redirect scheme", faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "data:text/html,x", CompareImageUrl: "https://cos.example/o", CompareImageMd5: md5hex}, "RedirectUrl"},
		{"md5 short", faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "https://m.example/cb", CompareImageUrl: "https://cos.example/o", CompareImageMd5: md5hex[1:]}, "CompareImageMd5"},
		{"md5 not hex", faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "https://m.example/cb", CompareImageUrl: "https://cos.example/o", CompareImageMd5: "z" + md5hex[1:]}, "CompareImageMd5"},
		{"md5 without url", faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "https://m.example/cb", CompareImageMd5: md5hex}, "CompareImageUrl"},
		{"url without md5", faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "https://m.example/cb", CompareImageUrl: "https://cos.example/o"}, "CompareImageMd5"},
		{"url relative", faceid.ApplyWebVerificationTokenRequest{RedirectUrl: "https://m.example/cb", CompareImageUrl: "/o", CompareImageMd5: md5hex}, "CompareImageUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkValidation(t, tt.req.Validate(), tt.wantField) })
	}
}

func checkValidation(t *testing.T, err error, wantField string) {
	t.Helper()
	if wantField == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var ve *faceid.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T), want *ValidationError for %s", err, err, wantField)
	}
	if ve.Field != wantField {
		t.Fatalf("Field = %q, want %q (%v)", ve.Field, wantField, err)
	}
	if !strings.Contains(err.Error(), wantField) {
		t.Fatalf("Error() %q does not name %s", err.Error(), wantField)
	}
}
