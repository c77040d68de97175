package faceid

// Status is where a verification stands.
type Status string

// The statuses of a verification.
const (
	StatusPending Status = "pending" // no result yet: the user has not finished
	StatusPassed  Status = "passed"  // ErrorCode 0, the only pass
	StatusFailed  Status = "failed"  // any other code; Category says why
	StatusExpired Status = "expired" // the BizToken expired before it was used (code 15)
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

// Outcome is a result read as the product understands it.
type Outcome struct {
	Status   Status
	Category Category // empty for pending and passed
	// Code is the raw ErrorCode. It is nil only when Tencent returned none; code 17
	// ("not finished") is pending yet keeps its code.
	Code *int64
	// Message is a short English sentence the end user can act on; it never contains
	// anything from the request or from the result data.
	Message string
}

// Messages of outcomes outside the code table.
const (
	msgPending = "Your verification is not finished yet."
	msgPassed  = "Your identity has been verified."
	msgUnknown = "Verification failed. Please try again."
)

// codeEntry is one row of the result code table.
type codeEntry struct {
	category Category
	message  string
}

const (
	msgSystem      = "Something went wrong on our side. Please try again in a few minutes."
	msgVideo       = "We couldn't process your video. Check your connection and try again."
	msgSpoof       = "We couldn't confirm a live person. Use your own face in front of the camera, not a photo or a screen."
	msgFaceVisible = "Keep your whole face inside the frame and try again."
	msgRefPhoto    = "The reference photo we have for you can't be used for comparison. Please contact the service that sent you here."
	msgNoMatch     = "Your face didn't match the reference photo. Try again in good light, facing the camera."
)

// resultCodes is the ErrorCode table of faceid-api.md, each with what the user can do.
var resultCodes = map[int64]codeEntry{
	1:  {CategorySystem, "The verification request was incomplete. Please start again."},
	2:  {CategorySystem, "The verification request was invalid. Please start again."},
	3:  {CategorySystem, "The verification request was invalid. Please start again."},
	4:  {CategorySystem, msgSystem},
	8:  {CategorySystem, msgSystem},
	9:  {CategorySystem, msgSystem},
	10: {CategorySystem, msgSystem},
	11: {CategorySystem, msgSystem},
	14: {CategorySystem, "This verification has already been completed."},
	15: {CategoryExpired, "This verification link has expired. Please start again."},
	16: {CategoryRetryLimit, "You've used all your attempts. Please start a new verification."},
	// 17 is mapped to pending by Interpret; the row gives it a message all the same.
	17:  {"", "Your verification is not finished yet. Please complete it on the verification page."},
	202: {CategorySystem, msgVideo},

	1001: {CategoryLiveness, msgSystem},
	1002: {CategoryLiveness, msgSpoof},
	1003: {CategoryLiveness, msgSpoof},
	1004: {CategoryLiveness, "We couldn't find your face. Face the camera in good light and try again."},
	1005: {CategoryLiveness, "The liveness check failed. Follow the on-screen instructions and try again."},
	1101: {CategoryLiveness, "We couldn't hear you. Allow microphone access and speak clearly."},
	1102: {CategoryLiveness, msgFaceVisible},
	1103: {CategoryLiveness, "We couldn't recognise what you said. Read the numbers aloud clearly in a quiet place."},
	1104: {CategoryLiveness, msgVideo},
	1105: {CategoryLiveness, msgVideo},
	1106: {CategoryLiveness, "Your voice was too quiet. Speak louder and try again."},
	1107: {CategoryLiveness, "The video was empty or the wrong length. Keep recording until the page says it's done."},
	1108: {CategoryLiveness, "The video quality was too low. Use a better camera or better light and try again."},
	1109: {CategoryLiveness, "We couldn't see your lips move. Read the numbers aloud clearly."},
	1201: {CategoryLiveness, "Move somewhere brighter and try again."},
	1202: {CategoryLiveness, "It's too bright. Move away from strong light and try again."},
	1203: {CategoryLiveness, "Your face is too close. Hold the phone a little further away."},
	1204: {CategoryLiveness, "Your face is too far to the right. Centre your face in the frame."},
	1205: {CategoryLiveness, "Your face is too far away. Hold the phone a little closer."},
	1206: {CategoryLiveness, "Your face is too far to the left. Centre your face in the frame."},
	1207: {CategoryLiveness, "We didn't see you blink. Blink when asked and try again."},
	1208: {CategoryLiveness, "We didn't see the requested action. Follow the on-screen instructions."},
	1209: {CategoryLiveness, "We didn't see you open your mouth. Open your mouth when asked."},
	1210: {CategoryLiveness, msgFaceVisible},
	1301: {CategoryLiveness, msgSpoof},
	1302: {CategoryLiveness, "The liveness check didn't pass. Try again in good light, facing the camera."},
	1303: {CategoryLiveness, "The video was too short. Keep still until the page says it's done."},
	1401: {CategoryLiveness, "The light check failed. Keep your face close to the screen in a dimmer place and try again."},
	1409: {CategoryTimeout, "The verification timed out. Please start again and finish within the time shown."},
	1410: {CategoryUserExit, "You left the verification before it finished. Start again when you're ready."},

	2001: {CategoryCompare, msgSystem},
	2004: {CategoryCompare, msgRefPhoto},
	2009: {CategoryCompare, msgRefPhoto},
	2010: {CategoryCompare, msgRefPhoto},
	2011: {CategoryCompare, msgNoMatch},
	2012: {CategoryCompare, "More than one face was seen. Make sure only you are in the frame."},
	2013: {CategoryCompare, msgFaceVisible},
	2014: {CategoryCompare, msgRefPhoto},
	2015: {CategoryCompare, msgNoMatch},
	2016: {CategoryCompare, msgNoMatch},

	// The document warnings of SelectedWarningCodes. The code table has no document
	// codes; when the document step intercepts a warning, its code is the most specific
	// answer there is, so these are read as document failures too.
	-9101: {CategoryDocument, "Part of your ID document was cut off. Keep all four edges inside the frame."},
	-9102: {CategoryDocument, "Please use your original ID document, not a photocopy."},
	-9103: {CategoryDocument, "Please photograph your original ID document, not a photo or a screen."},
	-9104: {CategoryDocument, "Your ID document image looks edited. Please use your original document."},
	-9107: {CategoryDocument, "There was glare on your ID document. Tilt it away from the light and try again."},
	-9108: {CategoryDocument, "Your ID document was blurry. Hold it still and in focus."},
	-9109: {CategoryDocument, msgDocument},
}

// msgDocument is shown when the document (OCR) step did not pass.
const msgDocument = "Your ID document couldn't be verified. Use the original document, flat, in good light and without glare."

// CodeInfo returns the category and user-facing message of a result ErrorCode, and
// whether the code is in Tencent's table. Code 0 is "passed" and 17 is pending, both with
// an empty category.
func CodeInfo(code int64) (Category, string, bool) {
	if code == 0 {
		return "", msgPassed, true
	}
	e, ok := resultCodes[code]
	if !ok {
		return CategorySystem, msgUnknown, false
	}
	return e.category, e.message, true
}

// Interpret reads a result ErrorCode: nil is pending, 0 passed, 15 expired, 17 ("process
// not finished") pending, every other code failed with its category (the document
// warnings -9101 to -9109 are document failures); codes outside Tencent's table are
// failed/system with the code kept.
func Interpret(errorCode *int64) Outcome {
	if errorCode == nil {
		return Outcome{Status: StatusPending, Message: msgPending}
	}
	code := *errorCode
	cat, msg, _ := CodeInfo(code)
	o := Outcome{Status: StatusFailed, Category: cat, Code: &code, Message: msg}
	switch code {
	case 0:
		o.Status, o.Category = StatusPassed, ""
	case 15:
		o.Status = StatusExpired
	case 17:
		// Tencent answers 17 while the user is still on its page; treating it as a
		// failure would end sessions that may yet pass.
		o.Status, o.Category = StatusPending, ""
	}
	return o
}

// InterpretResult is Interpret refined by the document check: a failure that is not
// about the flow itself (timeout, exit, retry limit, expiry) becomes a document failure
// when an OCRResult says IsPass false, with the advice of its first known warning
// (WarnCardInfos). Tencent's code table has no document codes; in the
// OCR modes (CheckMode 1 and 4) the document step comes first and reports through
// IsPass, so its false value is the most specific reason available.
func InterpretResult(r *GetWebVerificationResultIntlResponse) Outcome {
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
		o.Category, o.Message = CategoryDocument, msgDocument
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
