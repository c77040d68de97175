package faceid

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits Tencent documents for ApplyWebVerificationBizTokenIntl.
const (
	// MaxExtraRunes caps Extra, counted in characters.
	MaxExtraRunes = 1000
	// MaxCompareImageBase64 caps the base64 string of the compare image. Tencent states
	// 8 MB; capping the encoded string (not the image) keeps the signed body under the
	// 10 MB POST limit.
	MaxCompareImageBase64 = 8 * 1024 * 1024
)

// Allowed values of WebVerificationConfigIntl fields.
var (
	languages = []string{"th", "en", "zh-cn", "zh-tc", "id"}
	// idCardTypes is the request enum as of 2026-12 (it once had 20 types). Result card
	// data can carry other types and stays raw JSON (OCRResult.NormalCardInfo).
	idCardTypes = []string{
		"HKIDCard", "MLIDCard", "IndonesiaIDCard", "PhilippinesVoteID", "PhilippinesDrivingLicense",
		"PhilippinesTinID", "PhilippinesSSSID", "PhilippinesUMID", "InternationalIDPassport",
		"ThailandIDCard", "SingaporeIDCard", "MainlandIDCard",
	}
	livenessActions = []string{"blink", "mouth", "nod", "shake"}
	// warningCodes are the H5 alarms; -9901 is the App SDK's only. Tencent does not
	// confirm the separator of SelectedWarningCodes; they are taken comma-separated.
	warningCodes = []string{"-9101", "-9102", "-9103", "-9104", "-9107", "-9108", "-9109"}
	versions     = []string{"BASIC", "PLUS"}
)

// Languages returns the page languages Config.Language accepts.
func Languages() []string { return slices.Clone(languages) }

// IDCardTypes returns the document types Config.IDCardType accepts.
func IDCardTypes() []string { return slices.Clone(idCardTypes) }

// Validate reports the first parameter Tencent would reject, as a *ValidationError,
// or nil. It never sends anything. A compare image already checked by SetCompareImage
// or SetCompareImageBase64 is not decoded again.
func (r *ApplyWebVerificationBizTokenIntlRequest) Validate() error {
	if err := ValidateRedirectURL(r.RedirectURL); err != nil {
		return err
	}
	if utf8.RuneCountInString(r.Extra) > MaxExtraRunes {
		return &ValidationError{Field: "Extra", Reason: "longer than 1000 characters"}
	}
	// Comparing with the checked string is a pointer comparison when it is the same
	// string, so an 8 MB image costs nothing the second time.
	if r.CompareImageBase64 != "" && r.CompareImageBase64 != r.checkedImage {
		if err := validateImageBase64(r.CompareImageBase64); err != nil {
			return err
		}
		r.checkedImage = r.CompareImageBase64
	}
	if r.Config != nil {
		return r.Config.Validate()
	}
	return nil
}

// SetCompareImageBase64 sets the compare image from its base64 form, checking it once
// (canonical base64, at most 8 MB, a JPEG, PNG or BMP); Validate and the client then
// do not decode it again.
func (r *ApplyWebVerificationBizTokenIntlRequest) SetCompareImageBase64(b64 string) error {
	if err := validateImageBase64(b64); err != nil {
		return err
	}
	r.CompareImageBase64, r.checkedImage = b64, b64
	return nil
}

// SetCompareImage sets the compare image from its bytes: it is checked on the bytes and
// encoded once, never decoded.
func (r *ApplyWebVerificationBizTokenIntlRequest) SetCompareImage(image []byte) error {
	const field = "CompareImageBase64"
	if base64.StdEncoding.EncodedLen(len(image)) > MaxCompareImageBase64 {
		return &ValidationError{Field: field, Reason: "base64 longer than 8 MB"}
	}
	if ImageType(image) == "" {
		return &ValidationError{Field: field, Reason: "not a JPEG, PNG or BMP image"}
	}
	b64 := base64.StdEncoding.EncodeToString(image)
	r.CompareImageBase64, r.checkedImage = b64, b64
	return nil
}

// DecodeCompareImage checks a base64 compare image as SetCompareImageBase64 does and
// returns its bytes, for the legacy flow, which uploads the image itself.
func DecodeCompareImage(b64 string) ([]byte, error) {
	const field = "CompareImageBase64"
	if err := checkImageBase64Form(b64); err != nil {
		return nil, err
	}
	image, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil, &ValidationError{Field: field, Reason: "not valid base64"}
	}
	if ImageType(image) == "" {
		return nil, &ValidationError{Field: field, Reason: "not a JPEG, PNG or BMP image"}
	}
	return image, nil
}

// Validate reports the first value Tencent would reject, as a *ValidationError naming
// the field as Config.<name>, or nil.
func (cfg *WebVerificationConfigIntl) Validate() error {
	if cfg.CheckMode != nil && (*cfg.CheckMode < 1 || *cfg.CheckMode > 4) {
		return configField("CheckMode", "must be 1, 2, 3 or 4")
	}
	if cfg.CheckMode != nil && *cfg.CheckMode == 1 && cfg.IDCardType == nil {
		return configField("IDCardType", "required with CheckMode 1")
	}
	if cfg.IDCardType != nil && !slices.Contains(idCardTypes, *cfg.IDCardType) {
		return configField("IDCardType", "not a supported document type")
	}
	if cfg.SecurityLevel != nil && (*cfg.SecurityLevel < 1 || *cfg.SecurityLevel > 5) {
		return configField("SecurityLevel", "must be 1 to 5")
	}
	if cfg.Language != nil && !slices.Contains(languages, *cfg.Language) {
		return configField("Language", "must be one of "+strings.Join(languages, ", "))
	}
	if cfg.ActionList != nil {
		if err := validateActionList(*cfg.ActionList); err != nil {
			return err
		}
		// Level 3 (lighting) is Tencent's default, so an unset level does not allow actions.
		if cfg.SecurityLevel == nil || (*cfg.SecurityLevel != 2 && *cfg.SecurityLevel != 4 && *cfg.SecurityLevel != 5) {
			return configField("ActionList", "only allowed with SecurityLevel 2, 4 or 5")
		}
	}
	if cfg.ThemeColor != nil && !isThemeColor(*cfg.ThemeColor) {
		return configField("ThemeColor", "must be #RRGGBB")
	}
	if cfg.LivenessRetryLimit != nil && (*cfg.LivenessRetryLimit < 1 || *cfg.LivenessRetryLimit > 99) {
		return configField("LivenessRetryLimit", "must be 1 to 99")
	}
	if cfg.LivenessTimeout != nil && (*cfg.LivenessTimeout <= 0 || *cfg.LivenessTimeout > 600) {
		return configField("LivenessTimeout", "must be 1 to 600 seconds")
	}
	if cfg.AutoDowngrade != nil && *cfg.AutoDowngrade != 1 && *cfg.AutoDowngrade != 2 {
		return configField("AutoDowngrade", "must be 1 or 2")
	}
	if cfg.SelectedWarningCodes != nil {
		if err := validateWarningCodes(*cfg.SelectedWarningCodes); err != nil {
			return err
		}
		// With interception off the selection has no effect; a silent no-op would let a
		// merchant believe photocopies are being refused.
		if cfg.DisableCheckOcrWarnings != nil && *cfg.DisableCheckOcrWarnings {
			return configField("SelectedWarningCodes", "has no effect with DisableCheckOcrWarnings true")
		}
	}
	if cfg.AllowExpiredDocument != nil && cfg.IDCardType != nil && *cfg.IDCardType != "HKIDCard" {
		return configField("AllowExpiredDocument", "applies to HKIDCard only")
	}
	if cfg.Version != nil && !slices.Contains(versions, *cfg.Version) {
		return configField("Version", "must be BASIC or PLUS")
	}
	return nil
}

// Validate reports the first parameter of the legacy apply that Tencent would reject,
// as a *ValidationError, or nil.
func (r *ApplyWebVerificationTokenRequest) Validate() error {
	if err := validateRedirect("RedirectUrl", r.RedirectUrl); err != nil {
		return err
	}
	// Tencent lists all three parameters of this action as required: the legacy flow
	// always compares against an uploaded image.
	if r.CompareImageUrl == "" {
		return &ValidationError{Field: "CompareImageUrl", Reason: "required (the ResourceUrl of CreateUploadUrl)"}
	}
	if u, err := url.Parse(r.CompareImageUrl); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &ValidationError{Field: "CompareImageUrl", Reason: "must be the absolute ResourceUrl of CreateUploadUrl"}
	}
	if r.CompareImageMd5 == "" {
		return &ValidationError{Field: "CompareImageMd5", Reason: "required (the MD5 Upload returned)"}
	}
	if !isHex(r.CompareImageMd5, 32) {
		return &ValidationError{Field: "CompareImageMd5", Reason: "must be 32 hexadecimal digits"}
	}
	return nil
}

func configField(name, reason string) error {
	return &ValidationError{Field: "Config." + name, Reason: reason}
}

// ValidateRedirectURL reports whether raw is a RedirectURL Tencent accepts and can
// append its token to, as a *ValidationError naming RedirectURL, or nil.
func ValidateRedirectURL(raw string) error { return validateRedirect("RedirectURL", raw) }

// validateRedirect accepts an absolute http(s) URL with a host. Tencent appends
// "?token=" or "&token=", which a fragment would swallow, so fragments are refused too.
func validateRedirect(field, raw string) error {
	if raw == "" {
		return &ValidationError{Field: field, Reason: "required"}
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return &ValidationError{Field: field, Reason: "contains spaces, control characters or backslashes"}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return &ValidationError{Field: field, Reason: "not a URL"}
	case u.Scheme != "http" && u.Scheme != "https":
		return &ValidationError{Field: field, Reason: "must be an absolute http or https URL"}
	case u.Hostname() == "":
		return &ValidationError{Field: field, Reason: "must have a host"}
	case u.User != nil:
		return &ValidationError{Field: field, Reason: "must not carry user information"}
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return &ValidationError{Field: field, Reason: "must not have a fragment (the token is appended to the query)"}
	}
	return nil
}

// validateImageBase64 streams the decoding, so checking an 8 MB image costs a small
// buffer rather than a 6 MB copy.
func validateImageBase64(s string) error {
	const field = "CompareImageBase64"
	if err := checkImageBase64Form(s); err != nil {
		return err
	}
	dec := base64.NewDecoder(base64.StdEncoding.Strict(), strings.NewReader(s))
	var head [8]byte
	n, err := io.ReadFull(dec, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return &ValidationError{Field: field, Reason: "not valid base64"}
	}
	if _, err := io.Copy(io.Discard, dec); err != nil {
		return &ValidationError{Field: field, Reason: "not valid base64"}
	}
	if ImageType(head[:n]) == "" {
		return &ValidationError{Field: field, Reason: "not a JPEG, PNG or BMP image"}
	}
	return nil
}

// checkImageBase64Form refuses what no decoding is needed to refuse: an image over the
// cap, a data: prefix, line breaks.
func checkImageBase64Form(s string) error {
	const field = "CompareImageBase64"
	if len(s) > MaxCompareImageBase64 {
		return &ValidationError{Field: field, Reason: "base64 longer than 8 MB"}
	}
	if len(s) >= 5 && strings.EqualFold(s[:5], "data:") {
		return &ValidationError{Field: field, Reason: "must be bare base64, without a data: prefix"}
	}
	// Go's decoder skips line breaks and tolerates stray padding bits; Tencent takes one
	// canonical base64 string, so both are refused here rather than by a billed call.
	if strings.ContainsAny(s, "\r\n") {
		return &ValidationError{Field: field, Reason: "not valid base64 (contains line breaks)"}
	}
	return nil
}

// ImageType names the MIME type of a JPEG, PNG or BMP from its first bytes, or "": the
// image formats Tencent accepts for comparison.
func ImageType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("BM")):
		return "image/bmp"
	}
	return ""
}

func validateActionList(s string) error {
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return configField("ActionList", "at most two actions")
	}
	for i, p := range parts {
		if !slices.Contains(livenessActions, p) {
			return configField("ActionList", "actions are blink, mouth, nod and shake, comma-separated")
		}
		if i == 1 && p == parts[0] {
			return configField("ActionList", "duplicate action")
		}
	}
	return nil
}

func validateWarningCodes(s string) error {
	seen := make(map[string]bool, len(warningCodes))
	for p := range strings.SplitSeq(s, ",") {
		if !slices.Contains(warningCodes, p) {
			return configField("SelectedWarningCodes", "codes are "+strings.Join(warningCodes, ","))
		}
		if seen[p] {
			return configField("SelectedWarningCodes", "duplicate code")
		}
		seen[p] = true
	}
	return nil
}

func isThemeColor(s string) bool {
	return len(s) == 7 && s[0] == '#' && isHex(s[1:], 6)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
