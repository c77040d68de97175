package core

import (
	"slices"

	"github.com/facegate/facegate/pkg/faceid"
)

// Category is the coarse reason a verification did not pass.
type Category string

// The categories of a failed or expired verification.
const (
	CategoryLiveness   Category = "liveness"    // the selfie video or liveness check failed
	CategoryCompare    Category = "compare"     // the face did not match, or the reference photo is unusable
	CategoryDocument   Category = "document"    // the identity document check failed
	CategoryTimeout    Category = "timeout"     // the user took too long (1409)
	CategoryUserExit   Category = "user_exit"   // the user left the page (1410)
	CategoryRetryLimit Category = "retry_limit" // attempts used up (16)
	CategoryExpired    Category = "expired"     // the BizToken expired (15)
	CategorySystem     Category = "system"      // a fault on Tencent's side, or a code we do not know
)

// Tencent's result codes the status model treats specially.
const (
	codePassed      int64 = 0
	codeExpired     int64 = 15 // the token was never used within its start window
	codeNotFinished int64 = 17 // the user is still on Tencent's page
)

// Outcome is a Tencent result read as the product understands it.
type Outcome struct {
	Status   Status
	Category Category // empty for pending and passed
	// Code is the raw ErrorCode. It is nil only when Tencent returned none; code 17
	// ("not finished") is pending yet keeps its code.
	Code *int64
	// Message names the sentence the end user is shown (see the catalogue); it never
	// depends on anything from the request or from the result data.
	Message MessageID
}

// CodeInfo returns the category and message of a result ErrorCode, and whether the code
// is in Tencent's table. Code 0 is "passed" and 17 is pending, both with an empty category.
func CodeInfo(code int64) (Category, MessageID, bool) {
	if code == codePassed {
		return "", MsgPassed, true
	}
	e, ok := resultCodes[code]
	if !ok {
		return CategorySystem, MsgFailedUnknown, false
	}
	return e.category, e.message, true
}

// ResultCodes lists every ErrorCode of Tencent's table that CodeInfo knows, 0 included,
// in ascending order.
func ResultCodes() []int64 {
	codes := []int64{codePassed}
	for c := range resultCodes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// Interpret reads a result ErrorCode: nil is pending, 0 passed, 15 expired, 17 ("process
// not finished") pending, every other code failed with its category (the document
// warnings -9101 to -9109 are document failures); codes outside Tencent's table are
// failed/system with the code kept.
func Interpret(errorCode *int64) Outcome {
	if errorCode == nil {
		return Outcome{Status: StatusPending, Message: MsgPending}
	}
	code := *errorCode
	cat, msg, _ := CodeInfo(code)
	o := Outcome{Status: StatusFailed, Category: cat, Code: &code, Message: msg}
	switch code {
	case codePassed:
		o.Status, o.Category = StatusPassed, ""
	case codeExpired:
		o.Status = StatusExpired
	case codeNotFinished:
		// Tencent answers 17 while the user is still on its page; treating it as a
		// failure would end sessions that may yet pass.
		o.Status, o.Category = StatusPending, ""
	}
	return o
}

// expiredOutcome is the outcome of a token Tencent no longer knows: the user never
// finished within its windows. It carries no code because Tencent gave none.
func expiredOutcome() Outcome {
	o := Interpret(new(codeExpired))
	o.Code = nil
	return o
}

// InterpretResult is Interpret refined by the document check: a failure that is not
// about the flow itself (timeout, exit, retry limit, expiry) becomes a document failure
// when an OCRResult says IsPass false, with the advice of its first known warning
// (WarnCardInfos). Tencent's code table has no document codes; in the OCR modes
// (CheckMode 1 and 4) the document step comes first and reports through IsPass, so its
// false value is the most specific reason available.
func InterpretResult(r *faceid.GetWebVerificationResultIntlResponse) Outcome {
	if r == nil {
		return Interpret(nil)
	}
	o := Interpret(r.ErrorCode)
	if o.Status != StatusFailed {
		return o
	}
	switch o.Category {
	case CategoryTimeout, CategoryUserExit, CategoryRetryLimit, CategoryExpired:
		return o
	}
	for _, ocr := range r.OCRResult {
		if ocr.IsPass == nil || *ocr.IsPass {
			continue
		}
		o.Category, o.Message = CategoryDocument, MsgDocument
		// WarnCardInfos name the warning as a positive number (9102); its advice is
		// more useful than the general message.
		for _, w := range ocr.WarnCardInfos {
			if e, ok := resultCodes[-w]; ok && w > 0 && e.category == CategoryDocument {
				o.Message = e.message
				break
			}
		}
		break
	}
	return o
}
