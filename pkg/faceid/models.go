package faceid

import "encoding/json"

// Action names as Tencent spells them; the sandbox answers the same names.
const (
	ActionApplyWebVerificationBizTokenIntl = "ApplyWebVerificationBizTokenIntl"
	ActionGetWebVerificationResultIntl     = "GetWebVerificationResultIntl"
	ActionCreateUploadUrl                  = "CreateUploadUrl"
	ActionApplyWebVerificationToken        = "ApplyWebVerificationToken"
	ActionGetWebVerificationResult         = "GetWebVerificationResult"
)

// Service and Version identify the faceid API for TC3 signing.
const (
	Service = "faceid"
	Version = "2018-03-01"
)

// WebVerificationConfigIntl is the optional Config of ApplyWebVerificationBizTokenIntl.
// Pointer fields distinguish "not set" (Tencent's default) from a zero value.
type WebVerificationConfigIntl struct {
	AutoSkipStartPage       *bool   `json:"AutoSkipStartPage,omitempty"`
	AutoSkip                *bool   `json:"AutoSkip,omitempty"`
	CheckMode               *int64  `json:"CheckMode,omitempty"`
	IDCardType              *string `json:"IDCardType,omitempty"`
	DisableCheckOcrWarnings *bool   `json:"DisableCheckOcrWarnings,omitempty"`
	SecurityLevel           *int64  `json:"SecurityLevel,omitempty"`
	SkipPrivacyPolicy       *bool   `json:"SkipPrivacyPolicy,omitempty"`
	IdCardCutReturn         *bool   `json:"IdCardCutReturn,omitempty"`
	ThemeColor              *string `json:"ThemeColor,omitempty"`
	Language                *string `json:"Language,omitempty"`
	// AutoDowngrade 1 (Tencent's default) lets Tencent fall back to silent liveness, on
	// a trigger it does not document; 2 never does. It is not the video-recording liveness
	// the page itself uses in a browser without WebRTC.
	AutoDowngrade        *int64  `json:"AutoDowngrade,omitempty"`
	ActionList           *string `json:"ActionList,omitempty"`
	LivenessRetryLimit   *int64  `json:"LivenessRetryLimit,omitempty"`
	LivenessTimeout      *int64  `json:"LivenessTimeout,omitempty"`
	SelectedWarningCodes *string `json:"SelectedWarningCodes,omitempty"`
	AllowExpiredDocument *bool   `json:"AllowExpiredDocument,omitempty"`
	Version              *string `json:"Version,omitempty"`
}

// ApplyWebVerificationBizTokenIntlRequest starts a web verification.
type ApplyWebVerificationBizTokenIntlRequest struct {
	RedirectURL        string                     `json:"RedirectURL"`
	CompareImageBase64 string                     `json:"CompareImageBase64,omitempty"`
	Extra              string                     `json:"Extra,omitempty"`
	RuleId             string                     `json:"RuleId,omitempty"`
	Config             *WebVerificationConfigIntl `json:"Config,omitempty"`

	// checkedImage is the CompareImageBase64 that last passed validation.
	checkedImage string
}

// ApplyWebVerificationBizTokenIntlResponse is the Response member of a successful apply.
type ApplyWebVerificationBizTokenIntlResponse struct {
	BizToken        string `json:"BizToken"`
	VerificationURL string `json:"VerificationURL"`
	// VerificationUrl is Tencent's deprecated duplicate of VerificationURL.
	VerificationUrl string `json:"VerificationUrl,omitempty"`
	RequestId       string `json:"RequestId"`
}

// GetWebVerificationResultIntlRequest reads the result of a BizToken.
type GetWebVerificationResultIntlRequest struct {
	BizToken string `json:"BizToken"`
}

// VerificationDetail is one liveness/compare attempt.
type VerificationDetail struct {
	ErrorCode         *int64   `json:"ErrorCode"`
	ErrorMsg          *string  `json:"ErrorMsg"`
	LivenessErrorCode *int64   `json:"LivenessErrorCode"`
	LivenessErrorMsg  *string  `json:"LivenessErrorMsg"`
	CompareErrorCode  *int64   `json:"CompareErrorCode"`
	CompareErrorMsg   *string  `json:"CompareErrorMsg"`
	ReqTimestamp      *int64   `json:"ReqTimestamp"`
	Similarity        *float64 `json:"Similarity"`
	Seq               *string  `json:"Seq"`
	// LivenessInfoTag holds the reasons of the liveness verdict (PLUS edition), such as
	// "01"; LivenessInfoTag(s).Description() says what each means.
	LivenessInfoTag []string `json:"LivenessInfoTag"`
}

// OCRResult is the document data of one attempt. Card data stays raw JSON so that
// card types added by Tencent pass through untouched.
type OCRResult struct {
	IsPass                 *bool           `json:"IsPass"`
	CardImageBase64        *string         `json:"CardImageBase64"`
	CardBackImageBase64    *string         `json:"CardBackImageBase64"`
	CardCutImageBase64     *string         `json:"CardCutImageBase64"`
	CardBackCutImageBase64 *string         `json:"CardBackCutImageBase64"`
	HeadImageBase64        *string         `json:"HeadImageBase64"`
	CardInfo               json.RawMessage `json:"CardInfo"`
	NormalCardInfo         json.RawMessage `json:"NormalCardInfo"`
	WarnCardInfos          []int64         `json:"WarnCardInfos"`
	OriginalCardInfo       *string         `json:"OriginalCardInfo"`
	RequestId              *string         `json:"RequestId"`
}

// GetWebVerificationResultIntlResponse is the Response member of a result read.
// Every field may be null; ErrorCode nil means the user has not finished.
type GetWebVerificationResultIntlResponse struct {
	ErrorCode              *int64               `json:"ErrorCode"`
	ErrorMsg               *string              `json:"ErrorMsg"`
	VerificationDetailList []VerificationDetail `json:"VerificationDetailList"`
	VideoBase64            *string              `json:"VideoBase64"`
	BestFrameBase64        *string              `json:"BestFrameBase64"`
	OCRResult              []OCRResult          `json:"OCRResult"`
	Extra                  *string              `json:"Extra"`
	RequestId              string               `json:"RequestId"`
}

// CreateUploadUrlRequest asks for a presigned upload target.
type CreateUploadUrlRequest struct {
	TargetAction string `json:"TargetAction"`
}

// CreateUploadUrlResponse carries the PUT target and the URL to hand to TargetAction.
type CreateUploadUrlResponse struct {
	UploadUrl        string `json:"UploadUrl"`
	ResourceUrl      string `json:"ResourceUrl"`
	ExpiredTimestamp int64  `json:"ExpiredTimestamp"`
	RequestId        string `json:"RequestId"`
}

// ApplyWebVerificationTokenRequest is the legacy apply of the upload-URL flow.
// Note the lower-case "rl" of RedirectUrl, as Tencent spells it.
type ApplyWebVerificationTokenRequest struct {
	RedirectUrl     string `json:"RedirectUrl"`
	CompareImageUrl string `json:"CompareImageUrl,omitempty"`
	CompareImageMd5 string `json:"CompareImageMd5,omitempty"`
}

// ApplyWebVerificationTokenResponse is the legacy apply's answer.
type ApplyWebVerificationTokenResponse struct {
	VerificationUrl string `json:"VerificationUrl"`
	BizToken        string `json:"BizToken"`
	RequestId       string `json:"RequestId"`
}

// GetWebVerificationResultRequest is the legacy result read.
type GetWebVerificationResultRequest struct {
	BizToken string `json:"BizToken"`
}

// GetWebVerificationResultResponse is the legacy result: media as short-lived URLs, no Extra.
type GetWebVerificationResultResponse struct {
	ErrorCode              *int64               `json:"ErrorCode"`
	ErrorMsg               *string              `json:"ErrorMsg"`
	VideoBestFrameUrl      *string              `json:"VideoBestFrameUrl"`
	VideoBestFrameMd5      *string              `json:"VideoBestFrameMd5"`
	VideoUrl               *string              `json:"VideoUrl"`
	VideoMd5               *string              `json:"VideoMd5"`
	VerificationDetailList []VerificationDetail `json:"VerificationDetailList"`
	RequestId              string               `json:"RequestId"`
}

// LivenessInfoTag is one reason in VerificationDetail.LivenessInfoTag (PLUS edition): a
// two-digit code for what the liveness check saw in the attempt. The detail keeps the raw
// strings, so tags Tencent adds later still arrive; convert with LivenessInfoTag(s).
type LivenessInfoTag string

// The reasons Tencent documents (2026-12).
const (
	LivenessEyesClosed          LivenessInfoTag = "01"
	LivenessActionNotCompleted  LivenessInfoTag = "02"
	LivenessSuspectedRephoto    LivenessInfoTag = "03"
	LivenessSuspectedSynthesis  LivenessInfoTag = "04"
	LivenessSuspectedTemplate   LivenessInfoTag = "05"
	LivenessSuspectedWatermark  LivenessInfoTag = "06"
	LivenessReflectionFailed    LivenessInfoTag = "07"
	LivenessPersonChanged       LivenessInfoTag = "08"
	LivenessPoorFaceQuality     LivenessInfoTag = "09"
	LivenessDistanceCheckFailed LivenessInfoTag = "10"
	LivenessAdversarialSample   LivenessInfoTag = "11"
	LivenessAttackAroundMouth   LivenessInfoTag = "12"
	LivenessAttackAroundEyes    LivenessInfoTag = "13"
	LivenessEyesOrMouthCovered  LivenessInfoTag = "14"
)

var livenessInfoTags = []struct {
	tag         LivenessInfoTag
	description string
}{
	{LivenessEyesClosed, "Eyes closed throughout"},
	{LivenessActionNotCompleted, "Action not completed"},
	{LivenessSuspectedRephoto, "Suspected re-photography"},
	{LivenessSuspectedSynthesis, "Suspected synthesis"},
	{LivenessSuspectedTemplate, "Suspected fraudulent template"},
	{LivenessSuspectedWatermark, "Suspected watermark"},
	{LivenessReflectionFailed, "Reflection check failed"},
	{LivenessPersonChanged, "Person changed mid-way"},
	{LivenessPoorFaceQuality, "Poor face quality"},
	{LivenessDistanceCheckFailed, "Distance check failed"},
	{LivenessAdversarialSample, "Adversarial sample"},
	{LivenessAttackAroundMouth, "Attack traces around the mouth"},
	{LivenessAttackAroundEyes, "Attack traces around the eyes"},
	{LivenessEyesOrMouthCovered, "Eyes or mouth covered"},
}

// LivenessInfoTags returns the documented reasons in code order.
func LivenessInfoTags() []LivenessInfoTag {
	out := make([]LivenessInfoTag, len(livenessInfoTags))
	for i, t := range livenessInfoTags {
		out[i] = t.tag
	}
	return out
}

// Description returns Tencent's meaning of the tag in English, or "" for a tag it does
// not document. It describes the check, not what to tell the user.
func (t LivenessInfoTag) Description() string {
	for _, known := range livenessInfoTags {
		if known.tag == t {
			return known.description
		}
	}
	return ""
}
