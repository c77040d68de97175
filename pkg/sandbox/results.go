package sandbox

import (
	"encoding/json"
	"time"
)

// passSimilarity is Tencent's default pass threshold for face comparison.
const passSimilarity = 70

// Result codes the outcomes produce (from faceid-api.md's table).
const (
	resultSuccess       int64 = 0
	resultTokenExpired  int64 = 15
	resultRetryLimit    int64 = 16
	resultRealPerson    int64 = 1003
	resultLivenessFail  int64 = 1005
	resultTimeout       int64 = 1409
	resultUserExit      int64 = 1410
	resultLowSimilarity int64 = 2016
	// resultDocumentWarn is the document-check failure: the code table has no document codes,
	// so the sandbox answers the interception code of the warning it found (photocopy by
	// default, or the first of SelectedWarningCodes).
	resultDocumentWarn int64 = -9102
)

// resultMessages gives ErrorMsg for the codes of the result table (the sandbox's wording).
var resultMessages = map[int64]string{
	0: "Success", 1: "Missing parameter", 2: "Invalid parameter value", 3: "Bad request",
	4: "Internal error", 8: "Internal error", 9: "Internal error", 10: "Internal error", 11: "Internal error",
	14: "Verification already completed", 15: "Token expired", 16: "Retry limit reached",
	17: "Verification process not finished", 202: "Failed to get the video",
	1001: "Liveness engine error", 1002: "Suspected spoofed recording", 1003: "Real-person check failed",
	1004: "No face for comparison", 1005: "Liveness detection failed", 1101: "No sound detected",
	1102: "Face not fully visible", 1103: "Speech recognition failed", 1104: "Bad video format",
	1105: "Failed to pull the video", 1106: "Volume too low", 1107: "Video empty or of the wrong length",
	1108: "Video resolution too low", 1109: "Lip movement too small", 1201: "Too dark", 1202: "Too bright",
	1203: "Face too close", 1204: "Face too far right", 1205: "Face too far", 1206: "Face too far left",
	1207: "No blink detected", 1208: "First action not detected", 1209: "No mouth opening detected",
	1210: "No full face detected", 1301: "Real-person check failed", 1302: "Below the threshold",
	1303: "Video too short", 1401: "Reflection liveness failed", 1409: "Process timed out",
	1410: "User exited", 2001: "Comparison engine error", 2004: "Comparison image too large or too small",
	2009: "Comparison image resolution too low", 2010: "No face in the comparison image",
	2011: "Real-person comparison failed", 2012: "Multiple faces detected", 2013: "No full face detected",
	2014: "Comparison image resolution too low", 2015: "Comparison failed",
	2016:  "Similarity below the threshold",
	-9101: "Document border incomplete", -9102: "Document is a photocopy", -9103: "Document re-photographed",
	-9104: "Document edited", -9107: "Glare on the document", -9108: "Document blurred",
	-9109: "Document warning check not enabled",
}

func resultMessage(code int64) string {
	if m, ok := resultMessages[code]; ok {
		return m
	}
	return "Verification failed"
}

// detail is one VerificationDetail, with Tencent's keys; every field may be null.
type detail struct {
	ErrorCode         *int64   `json:"ErrorCode"`
	ErrorMsg          *string  `json:"ErrorMsg"`
	LivenessErrorCode *int64   `json:"LivenessErrorCode"`
	LivenessErrorMsg  *string  `json:"LivenessErrorMsg"`
	CompareErrorCode  *int64   `json:"CompareErrorCode"`
	CompareErrorMsg   *string  `json:"CompareErrorMsg"`
	ReqTimestamp      *int64   `json:"ReqTimestamp"`
	Similarity        *float64 `json:"Similarity"`
	Seq               *string  `json:"Seq"`
	LivenessInfoTag   []string `json:"LivenessInfoTag"`
}

// ocrResult is one OCRResult entry.
type ocrResult struct {
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

// verdict is the stored result of a finished session.
type verdict struct {
	errorCode int64
	errorMsg  string
	details   []detail
	media     bool // a liveness attempt was recorded: best frame and video exist
	ocr       []ocrResult
}

func ptr[T any](v T) *T { return &v }

// buildVerdict turns the session's outcome into the result Tencent would store. Randomness
// (Seq, RequestId) is drawn once here, so repeated reads return the same result.
func (s *Sandbox) buildVerdict(ss *session, now time.Time) *verdict {
	cfg, o := ss.cfg, ss.outcome
	v := &verdict{details: []detail{}}
	livenessCode := resultLivenessFail
	if cfg.securityLevel == 1 {
		// Silent liveness has no action or light step to fail; its failure is the
		// real-person check.
		livenessCode = resultRealPerson
	}
	attempt := func(code, liveness int64, compare *int64, similarity float64, at time.Time) detail {
		d := detail{
			ErrorCode: ptr(code), ErrorMsg: ptr(resultMessage(code)),
			LivenessErrorCode: ptr(liveness), LivenessErrorMsg: ptr(resultMessage(liveness)),
			ReqTimestamp: ptr(at.UnixMilli()), Seq: ptr(s.newUUID(false)),
		}
		if compare != nil {
			d.CompareErrorCode, d.CompareErrorMsg = compare, ptr(resultMessage(*compare))
			d.Similarity = ptr(similarity)
		}
		if cfg.plus {
			d.LivenessInfoTag = []string{}
		}
		return d
	}
	var compareOK *int64
	if cfg.compare() {
		compareOK = ptr(resultSuccess)
	}
	// In CheckMode 1 the document step comes first, so every outcome that reaches liveness
	// carries a passed document check.
	documentPassed := cfg.ocr() && o.Result != ResultDocumentFail && o.Result != ResultUserExit && o.Result != ResultTimeout

	switch o.Result {
	case ResultPass, ResultDocument:
		v.errorCode = resultSuccess
		if cfg.liveness() {
			v.details = append(v.details, attempt(resultSuccess, resultSuccess, compareOK, o.Similarity, now))
			v.media = true
		}
	case ResultLivenessFail:
		v.errorCode = livenessCode
		v.details = append(v.details, attempt(livenessCode, livenessCode, nil, 0, now))
		v.media = true
	case ResultCompareFail:
		v.errorCode = resultLowSimilarity
		v.details = append(v.details, attempt(resultLowSimilarity, resultSuccess, ptr(resultLowSimilarity), o.Similarity, now))
		v.media = true
	case ResultRetryLimit:
		v.errorCode = resultRetryLimit
		for i := range cfg.retryLimit {
			at := now.Add(-time.Duration(cfg.retryLimit-1-i) * 15 * time.Second)
			v.details = append(v.details, attempt(livenessCode, livenessCode, nil, 0, at))
		}
		v.media = true
	case ResultUserExit:
		v.errorCode = resultUserExit
	case ResultTimeout:
		v.errorCode = resultTimeout
	case ResultDocumentFail:
		v.errorCode = resultDocumentWarn
		if len(cfg.warningCodes) > 0 {
			v.errorCode = cfg.warningCodes[0]
		}
		v.ocr = []ocrResult{s.ocrEntry(ss, false, []int64{-v.errorCode})}
	}
	if documentPassed || o.Result == ResultDocument {
		v.ocr = []ocrResult{s.ocrEntry(ss, true, []int64{})}
	}
	v.errorMsg = resultMessage(v.errorCode)
	if o.ErrorCode != nil {
		v.errorCode, v.errorMsg = *o.ErrorCode, resultMessage(*o.ErrorCode)
	}
	return v
}

// ocrEntry is the document result for the session's IDCardType (HKIDCard when CheckMode 4
// names none), with made-up sample data.
func (s *Sandbox) ocrEntry(ss *session, pass bool, warnings []int64) ocrResult {
	card := cardFor(ss.cfg.idCardType)
	img := sampleJPEGBase64()
	r := ocrResult{
		IsPass:          ptr(pass),
		CardImageBase64: ptr(img),
		HeadImageBase64: ptr(img),
		NormalCardInfo:  card.normalCardInfo(),
		WarnCardInfos:   warnings,
		RequestId:       ptr(s.newUUID(false)),
	}
	if card.twoSided {
		r.CardBackImageBase64 = ptr(img)
	}
	if ss.cfg.idCardCutReturn {
		r.CardCutImageBase64 = ptr(img)
		if card.twoSided {
			r.CardBackCutImageBase64 = ptr(img)
		}
	}
	if ss.cfg.checkMode == 4 {
		r.OriginalCardInfo = ptr(string(card.fieldsJSON()))
	}
	return r
}

// resultIntlResponse is the Response of GetWebVerificationResultIntl.
type resultIntlResponse struct {
	ErrorCode              *int64      `json:"ErrorCode"`
	ErrorMsg               *string     `json:"ErrorMsg"`
	VerificationDetailList []detail    `json:"VerificationDetailList"`
	VideoBase64            *string     `json:"VideoBase64"`
	BestFrameBase64        *string     `json:"BestFrameBase64"`
	OCRResult              []ocrResult `json:"OCRResult"`
	Extra                  *string     `json:"Extra"`
	RequestId              string      `json:"RequestId"`
}

// intlResult answers a result read of an intl session in state st.
func intlResult(ss *session, st string, requestID string) resultIntlResponse {
	r := resultIntlResponse{Extra: ss.extra, RequestId: requestID}
	switch st {
	case stateStartExpired:
		r.ErrorCode, r.ErrorMsg = ptr(resultTokenExpired), ptr(resultMessage(resultTokenExpired))
		r.VerificationDetailList = []detail{}
	case stateFinished:
		v := ss.verdict
		r.ErrorCode, r.ErrorMsg = ptr(v.errorCode), ptr(v.errorMsg)
		r.VerificationDetailList, r.OCRResult = v.details, v.ocr
		if v.media {
			r.BestFrameBase64, r.VideoBase64 = ptr(sampleJPEGBase64()), ptr(sampleVideoBase64())
		}
	}
	return r
}
