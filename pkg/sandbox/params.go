package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Tencent error codes the sandbox answers.
const (
	codeInvalidParameter      = "InvalidParameter"
	codeInvalidParameterValue = "InvalidParameterValue"
	codeUnknownParameter      = "UnknownParameter"
	codeRuleIDNotExist        = "InvalidParameterValue.RuleIdNotExist"
	codeBizTokenExpired       = "InvalidParameterValue.BizTokenExpired"
	codeBizTokenIllegal       = "InvalidParameterValue.BizTokenIllegal"
	codeImageSizeTooLarge     = "FailedOperation.ImageSizeTooLarge"
	codeInvalidAction         = "InvalidAction"
	codeNoSuchVersion         = "NoSuchVersion"
	codeUnsupportedRegion     = "UnsupportedRegion"
	codeUnsupportedOperation  = "UnsupportedOperation"
	codeRequestSizeLimit      = "RequestSizeLimitExceeded"
	codeRequestLimitExceeded  = "RequestLimitExceeded"
	// codeFailedRequestLimitExceeded is the throttling code the SDKs' retry does not retry.
	codeFailedRequestLimitExceeded = "FailedOperation.RequestLimitExceeded"
	codeInternalError              = "InternalError"
	codeLimitExceeded              = "LimitExceeded"
	codeAuthInvalidAuthz           = "AuthFailure.InvalidAuthorization"
	codeAuthSignatureExpire        = "AuthFailure.SignatureExpire"
	codeAuthSignatureFailure       = "AuthFailure.SignatureFailure"
	codeAuthSecretIDNotFound       = "AuthFailure.SecretIdNotFound"
	codeAuthTokenFailure           = "AuthFailure.TokenFailure"
)

// Tencent's size limits.
const (
	maxCompareImageBase64       = 8 << 20 // Tencent's cap applies to the base64 string
	maxExtraChars               = 1000
	maxRequestBody        int64 = 10 << 20
)

// apiError is an error answered in Tencent's envelope: a code from the list above and a
// message that names the offending parameter.
type apiError struct {
	Code    string
	Message string
}

func errorf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// input is one request's action parameters as they arrived: the JSON body of a TC3 POST,
// or the flattened parameters of a form, a query or signature v1 (Config.CheckMode=3,
// List.0=a) turned back into the JSON object they were flattened from. Flattening loses
// the types, so every leaf of a flat input is a string, and the typed readers convert
// "3" and "true" where JSON would carry 3 and true. Both kinds go through the same
// parsing and validation, so a request reads the same whichever way it was signed.
type input struct {
	data []byte
	flat bool
}

// jsonInput is the input of a JSON body.
func jsonInput(body []byte) input { return input{data: body} }

// jsonObject is a request object whose keys were checked exactly (case-sensitively)
// against the parameters an action defines. encoding/json matches keys without regard to
// case, which would let a client's misspelt key (RedirectUrl for RedirectURL) pass; Tencent
// answers UnknownParameter instead, and so does the sandbox.
type jsonObject struct {
	path   string // prefix for messages, e.g. "Config."
	fields map[string]json.RawMessage
	flat   bool // from flattened parameters: leaves are strings
}

func parseObject(in input, path string, allowed ...string) (*jsonObject, *apiError) {
	trimmed := bytes.TrimSpace(in.data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if path == "" {
			return nil, errorf(codeInvalidParameter, "The request body must be a JSON object.")
		}
		return nil, errorf(codeInvalidParameter, "The parameter `%s` must be an object.", strings.TrimSuffix(path, "."))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, errorf(codeInvalidParameter, "The request body is not valid JSON.")
	}
	for k := range fields {
		if !slices.Contains(allowed, k) {
			return nil, errorf(codeUnknownParameter, "The parameter `%s%s` is not defined for this action (names are case-sensitive).", path, k)
		}
	}
	return &jsonObject{path: path, fields: fields, flat: in.flat}, nil
}

// raw returns the value of key; a missing key and an explicit null both count as absent.
func (o *jsonObject) raw(key string) (json.RawMessage, bool) {
	v, ok := o.fields[key]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// member returns the nested object at key as an input of the same kind.
func (o *jsonObject) member(key string) (input, bool) {
	v, ok := o.raw(key)
	return input{data: v, flat: o.flat}, ok
}

// scalar returns the text of a flat input's leaf, which is always a JSON string. ok is
// false for JSON input and for a flat value that is not a leaf (an object or a list).
func (o *jsonObject) scalar(v json.RawMessage) (string, bool) {
	var s string
	if !o.flat || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

func (o *jsonObject) typeError(key, want string) *apiError {
	return errorf(codeInvalidParameter, "The parameter `%s%s` must be a %s.", o.path, key, want)
}

func (o *jsonObject) str(key string) (string, bool, *apiError) {
	v, ok := o.raw(key)
	if !ok {
		return "", false, nil
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", false, o.typeError(key, "string")
	}
	return s, true, nil
}

// boolean accepts JSON true and false; flattened, the words true and false (as the SDKs
// write them, in any case).
func (o *jsonObject) boolean(key string) (bool, bool, *apiError) {
	v, ok := o.raw(key)
	if !ok {
		return false, false, nil
	}
	text := string(v)
	if s, isFlat := o.scalar(v); isFlat {
		text = strings.ToLower(s)
	}
	switch text {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, false, o.typeError(key, "boolean")
}

// integer accepts only a number written as an integer: 2, not 2.0, "2" or 2e0 in JSON;
// 2, not 2.0 or +2, flattened.
func (o *jsonObject) integer(key string) (int64, bool, *apiError) {
	v, ok := o.raw(key)
	if !ok {
		return 0, false, nil
	}
	text := string(v)
	if s, isFlat := o.scalar(v); isFlat {
		text = s
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || strings.HasPrefix(text, "+") {
		return 0, false, o.typeError(key, "integer")
	}
	return n, true, nil
}

// unflatten rebuilds the object that flattened parameters came from: "A.B=x" is member B
// of object A, and members named 0, 1, … n-1 make a list. A name that is both a value
// and an object ("Config=1" beside "Config.CheckMode=3") is refused.
func unflatten(params map[string]string) (input, *apiError) {
	type node struct {
		value    *string
		children map[string]*node
	}
	root := &node{children: map[string]*node{}}
	for name, value := range params {
		n := root
		for part := range strings.SplitSeq(name, ".") {
			if part == "" {
				return input{}, errorf(codeInvalidParameter, "The parameter name `%s` is not valid.", name)
			}
			if n.value != nil {
				return input{}, errorf(codeInvalidParameter, "The parameter `%s` is given both as a value and as an object.", name)
			}
			if n.children == nil {
				n.children = map[string]*node{}
			}
			child, ok := n.children[part]
			if !ok {
				child = &node{}
				n.children[part] = child
			}
			n = child
		}
		if n.value != nil || n.children != nil {
			return input{}, errorf(codeInvalidParameter, "The parameter `%s` is given both as a value and as an object.", name)
		}
		n.value = &value
	}
	var build func(n *node, top bool) any
	build = func(n *node, top bool) any {
		if n.value != nil {
			return *n.value
		}
		if !top && len(n.children) > 0 {
			list := make([]any, len(n.children))
			for i := range list {
				child, ok := n.children[strconv.Itoa(i)]
				if !ok {
					list = nil
					break
				}
				list[i] = build(child, false)
			}
			if list != nil {
				return list
			}
		}
		obj := make(map[string]any, len(n.children))
		for k, child := range n.children {
			obj[k] = build(child, false)
		}
		return obj
	}
	data, err := json.Marshal(build(root, true))
	if err != nil {
		// Strings, lists and objects of them always marshal.
		return input{}, errorf(codeInvalidParameter, "The parameters could not be read.")
	}
	return input{data: data, flat: true}, nil
}

// BizToken requests (both result actions) carry one parameter.
func parseBizTokenRequest(in input) (string, *apiError) {
	obj, aerr := parseObject(in, "", "BizToken")
	if aerr != nil {
		return "", aerr
	}
	tok, ok, aerr := obj.str("BizToken")
	if aerr != nil {
		return "", aerr
	}
	if !ok || tok == "" {
		return "", errorf(codeInvalidParameter, "The parameter `BizToken` is required.")
	}
	// A value that cannot be a BizToken is a bad parameter value; a well-formed token the
	// service did not issue is BizTokenIllegal (see resultIntl).
	if !isBizToken(tok) {
		return "", errorf(codeInvalidParameterValue, "The parameter `BizToken` is not a BizToken (an upper-case UUID).")
	}
	return tok, nil
}

// flowConfig is the effective configuration of one verification: Config with Tencent's
// defaults filled in.
type flowConfig struct {
	checkMode          int64
	idCardType         string
	securityLevel      int64
	language           string
	themeColor         string
	autoSkip           bool
	autoSkipStartPage  bool
	skipPrivacyPolicy  bool
	idCardCutReturn    bool
	disableOCRWarnings bool
	retryLimit         int64
	plus               bool
	warningCodes       []int64
	hasCompareImage    bool
}

func defaultConfig() flowConfig {
	return flowConfig{
		checkMode:     2,
		securityLevel: 3,
		language:      "en",
		themeColor:    "#2d72f1",
		retryLimit:    99,
	}
}

// liveness, compare and ocr tell which steps the check mode runs.
func (c flowConfig) liveness() bool { return c.checkMode != 4 }
func (c flowConfig) compare() bool  { return c.checkMode == 1 || c.checkMode == 2 }
func (c flowConfig) ocr() bool      { return c.checkMode == 1 || c.checkMode == 4 }

// applyIntlRequest is a validated ApplyWebVerificationBizTokenIntl request.
type applyIntlRequest struct {
	redirectURL string
	extra       *string
	ruleID      string
	cfg         flowConfig
}

var (
	themeColorRe = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
	idCardTypes  = []string{
		"HKIDCard", "MLIDCard", "IndonesiaIDCard", "PhilippinesVoteID", "PhilippinesDrivingLicense",
		"PhilippinesTinID", "PhilippinesSSSID", "PhilippinesUMID", "InternationalIDPassport",
		"ThailandIDCard", "SingaporeIDCard", "MainlandIDCard",
	}
	languages    = []string{"en", "zh-cn", "zh-tc", "th", "id"}
	actionNames  = []string{"blink", "mouth", "nod", "shake"}
	warningCodes = []int64{-9101, -9102, -9103, -9104, -9107, -9108, -9109}
)

var configKeys = []string{
	"AutoSkipStartPage", "AutoSkip", "CheckMode", "IDCardType", "DisableCheckOcrWarnings",
	"SecurityLevel", "SkipPrivacyPolicy", "IdCardCutReturn", "ThemeColor", "Language",
	"AutoDowngrade", "ActionList", "LivenessRetryLimit", "LivenessTimeout",
	"SelectedWarningCodes", "AllowExpiredDocument", "Version",
}

// parseApplyIntl validates an ApplyWebVerificationBizTokenIntl body. rules is the set of
// RuleIds that exist (empty: any), allowNoImage relaxes the CheckMode 2 image rule.
func parseApplyIntl(in input, rules map[string]bool, allowNoImage bool) (applyIntlRequest, *apiError) {
	var req applyIntlRequest
	obj, aerr := parseObject(in, "", "RedirectURL", "CompareImageBase64", "Extra", "RuleId", "Config")
	if aerr != nil {
		return req, aerr
	}
	redirect, ok, aerr := obj.str("RedirectURL")
	if aerr != nil {
		return req, aerr
	}
	if !ok || redirect == "" {
		return req, errorf(codeInvalidParameter, "The parameter `RedirectURL` is required.")
	}
	image, hasImage, aerr := obj.str("CompareImageBase64")
	if aerr != nil {
		return req, aerr
	}
	extra, hasExtra, aerr := obj.str("Extra")
	if aerr != nil {
		return req, aerr
	}
	ruleID, _, aerr := obj.str("RuleId")
	if aerr != nil {
		return req, aerr
	}
	cfg := defaultConfig()
	cfgIn, hasCfg := obj.member("Config")
	var explicitMode bool
	if hasCfg {
		if cfg, explicitMode, aerr = parseConfig(cfgIn); aerr != nil {
			return req, aerr
		}
	}

	if aerr := checkRedirectURL("RedirectURL", redirect); aerr != nil {
		return req, aerr
	}
	if hasExtra {
		if utf8.RuneCountInString(extra) > maxExtraChars {
			return req, errorf(codeInvalidParameterValue, "The parameter `Extra` must be at most %d characters.", maxExtraChars)
		}
		req.extra = &extra
	}
	hasImage = hasImage && image != ""
	if hasImage {
		if aerr := checkImageBase64("CompareImageBase64", image); aerr != nil {
			return req, aerr
		}
	}
	if ruleID != "" && len(rules) > 0 && !rules[ruleID] {
		return req, errorf(codeRuleIDNotExist, "The RuleId does not exist.")
	}
	// A RuleId may configure the check mode in the console, so only an explicit or
	// defaulted CheckMode 2 without a rule demands the reference photo.
	if cfg.checkMode == 2 && !hasImage && !allowNoImage && (explicitMode || ruleID == "") {
		return req, errorf(codeInvalidParameter, "The parameter `CompareImageBase64` is required for CheckMode 2 (liveness and face comparison).")
	}
	cfg.hasCompareImage = hasImage
	req.redirectURL, req.ruleID, req.cfg = redirect, ruleID, cfg
	return req, nil
}

// fieldReader decodes optional fields into defaults, keeping the first error and which
// keys were given, so that a run of fields reads as a list of assignments.
type fieldReader struct {
	o     *jsonObject
	err   *apiError
	given map[string]bool
}

func (r *fieldReader) boolean(key string, dst *bool) {
	if r.err == nil {
		var ok bool
		var v bool
		if v, ok, r.err = r.o.boolean(key); ok {
			*dst, r.given[key] = v, true
		}
	}
}

func (r *fieldReader) integer(key string, dst *int64) {
	if r.err == nil {
		var ok bool
		var v int64
		if v, ok, r.err = r.o.integer(key); ok {
			*dst, r.given[key] = v, true
		}
	}
}

func (r *fieldReader) str(key string, dst *string) {
	if r.err == nil {
		var ok bool
		var v string
		if v, ok, r.err = r.o.str(key); ok {
			*dst, r.given[key] = v, true
		}
	}
}

// parseConfig validates WebVerificationConfigIntl. It reports whether CheckMode was given.
func parseConfig(in input) (flowConfig, bool, *apiError) {
	cfg := defaultConfig()
	o, aerr := parseObject(in, "Config.", configKeys...)
	if aerr != nil {
		return cfg, false, aerr
	}
	var (
		autoDowngrade, livenessTimeout int64
		actionList, warnings, version  string
		allowExpired                   bool
	)
	// Every field is decoded before any is judged, so that a type error (InvalidParameter)
	// wins over a value error (InvalidParameterValue) whatever the order of the keys. A
	// field given as "" is judged like any other value (null counts as absent): an empty
	// list or version is a caller's mistake, not a request for the default.
	r := fieldReader{o: o, given: map[string]bool{}}
	r.boolean("AutoSkipStartPage", &cfg.autoSkipStartPage)
	r.boolean("AutoSkip", &cfg.autoSkip)
	r.integer("CheckMode", &cfg.checkMode)
	r.str("IDCardType", &cfg.idCardType)
	r.boolean("DisableCheckOcrWarnings", &cfg.disableOCRWarnings)
	r.integer("SecurityLevel", &cfg.securityLevel)
	r.boolean("SkipPrivacyPolicy", &cfg.skipPrivacyPolicy)
	r.boolean("IdCardCutReturn", &cfg.idCardCutReturn)
	r.str("ThemeColor", &cfg.themeColor)
	r.str("Language", &cfg.language)
	r.integer("AutoDowngrade", &autoDowngrade)
	r.str("ActionList", &actionList)
	r.integer("LivenessRetryLimit", &cfg.retryLimit)
	r.integer("LivenessTimeout", &livenessTimeout)
	r.str("SelectedWarningCodes", &warnings)
	r.boolean("AllowExpiredDocument", &allowExpired)
	r.str("Version", &version)
	if r.err != nil {
		return cfg, false, r.err
	}

	bad := func(key, rule string) (flowConfig, bool, *apiError) {
		return cfg, false, errorf(codeInvalidParameterValue, "The parameter `Config.%s` %s.", key, rule)
	}
	switch {
	case cfg.checkMode < 1 || cfg.checkMode > 4:
		return bad("CheckMode", "must be 1, 2, 3 or 4")
	case r.given["IDCardType"] && !slices.Contains(idCardTypes, cfg.idCardType):
		return bad("IDCardType", "is not a supported document type")
	case cfg.checkMode == 1 && !r.given["IDCardType"]:
		return bad("IDCardType", "is required for CheckMode 1")
	case cfg.securityLevel < 1 || cfg.securityLevel > 5:
		return bad("SecurityLevel", "must be 1, 2, 3, 4 or 5")
	case !themeColorRe.MatchString(cfg.themeColor):
		return bad("ThemeColor", "must be a colour written #RRGGBB")
	case !slices.Contains(languages, cfg.language):
		return bad("Language", "must be one of en, zh-cn, zh-tc, th, id")
	case r.given["AutoDowngrade"] && autoDowngrade != 1 && autoDowngrade != 2:
		return bad("AutoDowngrade", "must be 1 or 2")
	case r.given["ActionList"] && cfg.securityLevel != 2 && cfg.securityLevel != 4 && cfg.securityLevel != 5:
		return bad("ActionList", "is only allowed with SecurityLevel 2, 4 or 5")
	case r.given["ActionList"] && !validList(actionList, 2, func(s string) bool { return slices.Contains(actionNames, s) }):
		return bad("ActionList", "must be one or two of blink, mouth, nod, shake, comma-separated")
	case cfg.retryLimit < 1 || cfg.retryLimit > 99:
		return bad("LivenessRetryLimit", "must be from 1 to 99")
	case r.given["LivenessTimeout"] && (livenessTimeout <= 0 || livenessTimeout > 600):
		return bad("LivenessTimeout", "must be more than 0 and at most 600 seconds")
	case r.given["SelectedWarningCodes"] && cfg.disableOCRWarnings:
		return bad("SelectedWarningCodes", "needs DisableCheckOcrWarnings to be false")
	case r.given["AllowExpiredDocument"] && r.given["IDCardType"] && cfg.idCardType != "HKIDCard":
		return bad("AllowExpiredDocument", "applies to HKIDCard only")
	case r.given["Version"] && version != "BASIC" && version != "PLUS":
		return bad("Version", "must be BASIC or PLUS")
	}
	if r.given["SelectedWarningCodes"] {
		ok := validList(warnings, len(warningCodes), func(s string) bool {
			n, err := strconv.ParseInt(s, 10, 64)
			if err == nil && slices.Contains(warningCodes, n) {
				cfg.warningCodes = append(cfg.warningCodes, n)
				return true
			}
			return false
		})
		if !ok {
			return bad("SelectedWarningCodes", "must be a comma-separated subset of -9101, -9102, -9103, -9104, -9107, -9108, -9109")
		}
	}
	cfg.plus = version == "PLUS"
	return cfg, r.given["CheckMode"], nil
}

// validList checks a comma-separated list of 1..maxItems distinct items that all pass ok.
func validList(list string, maxItems int, ok func(string) bool) bool {
	items := strings.Split(list, ",")
	if len(items) > maxItems {
		return false
	}
	for i, it := range items {
		if it == "" || slices.Contains(items[:i], it) || !ok(it) {
			return false
		}
	}
	return true
}

// checkRedirectURL requires an absolute http(s) URL, which is what Tencent redirects to.
func checkRedirectURL(key, raw string) *apiError {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" ||
		strings.ContainsAny(raw, " \t\r\n\\") {
		return errorf(codeInvalidParameterValue, "The parameter `%s` must be an absolute http or https URL.", key)
	}
	return nil
}

// checkImageBase64 applies Tencent's image rules: plain base64 (no data: prefix, no line
// breaks), at most 8 MB as base64, decoding to a JPEG, PNG or BMP.
func checkImageBase64(key, s string) *apiError {
	if len(s) >= 5 && strings.EqualFold(s[:5], "data:") {
		return errorf(codeInvalidParameterValue, "The parameter `%s` must be plain base64 without a data: prefix.", key)
	}
	if len(s) > maxCompareImageBase64 {
		return errorf(codeImageSizeTooLarge, "The image is larger than 8 MB (base64).")
	}
	// Go's decoder skips CR and LF; Tencent's contract is a single base64 string.
	if strings.ContainsAny(s, "\r\n") {
		return errorf(codeInvalidParameterValue, "The parameter `%s` is not valid base64.", key)
	}
	img, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return errorf(codeInvalidParameterValue, "The parameter `%s` is not valid base64.", key)
	}
	if !isImage(img) {
		return errorf(codeInvalidParameterValue, "The parameter `%s` is not a JPEG, PNG or BMP image.", key)
	}
	return nil
}

// isImage recognises the formats Tencent accepts by their magic bytes.
func isImage(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}) ||
		bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) ||
		bytes.HasPrefix(b, []byte("BM"))
}

// applyLegacyRequest is a validated ApplyWebVerificationToken request.
type applyLegacyRequest struct {
	redirectURL string
	imageURL    string
	imageMD5    string
}

func parseApplyLegacy(in input) (applyLegacyRequest, *apiError) {
	var req applyLegacyRequest
	obj, aerr := parseObject(in, "", "RedirectUrl", "CompareImageUrl", "CompareImageMd5")
	if aerr != nil {
		return req, aerr
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"RedirectUrl", &req.redirectURL}, {"CompareImageUrl", &req.imageURL}, {"CompareImageMd5", &req.imageMD5}} {
		v, ok, aerr := obj.str(f.key)
		if aerr != nil {
			return req, aerr
		}
		if !ok || v == "" {
			return req, errorf(codeInvalidParameter, "The parameter `%s` is required.", f.key)
		}
		*f.dst = v
	}
	if aerr := checkRedirectURL("RedirectUrl", req.redirectURL); aerr != nil {
		return req, aerr
	}
	if len(req.imageMD5) != 32 || strings.Trim(strings.ToLower(req.imageMD5), "0123456789abcdef") != "" {
		return req, errorf(codeInvalidParameterValue, "The parameter `CompareImageMd5` must be 32 hexadecimal digits.")
	}
	return req, nil
}

func parseCreateUpload(in input) (string, *apiError) {
	obj, aerr := parseObject(in, "", "TargetAction")
	if aerr != nil {
		return "", aerr
	}
	target, ok, aerr := obj.str("TargetAction")
	if aerr != nil {
		return "", aerr
	}
	if !ok || target == "" {
		return "", errorf(codeInvalidParameter, "The parameter `TargetAction` is required.")
	}
	if target != actionApplyLegacy {
		return "", errorf(codeInvalidParameterValue, "The parameter `TargetAction` must name an action that reads uploads (%s).", actionApplyLegacy)
	}
	return target, nil
}
