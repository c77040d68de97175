package core

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/facegate/facegate/pkg/faceid"
)

// Flow selects which Tencent actions start and read a verification.
type Flow string

// The flows.
const (
	// FlowIntl is ApplyWebVerificationBizTokenIntl + GetWebVerificationResultIntl (current).
	FlowIntl Flow = "intl"
	// FlowLegacy is CreateUploadUrl + upload + ApplyWebVerificationToken +
	// GetWebVerificationResult, the upload-URL flow of older accounts.
	FlowLegacy Flow = "legacy"
)

// flow is one of Tencent's ways to start and read a verification. Each lives in its own
// file (intl.go, legacy.go); the rest of the core does not know which one it talks to.
type flow interface {
	// choose applies the flow's rules and the policy to the caller's page options.
	choose(p *plan) error
	// prepare builds and checks everything the apply will send, so a request Tencent
	// would refuse is refused before anything is spent.
	prepare(p *plan) error
	// apply starts the verification at Tencent: the BizToken and the page to send the user to.
	apply(ctx context.Context, p *plan) (token, verifyURL string, err error)
	// read asks Tencent once for a token's result.
	read(ctx context.Context, token string) (reading, error)
}

// reading is one answer of Tencent's result action, as the core needs it. The media are
// the answer's images and video, kept in memory only until stored.
type reading struct {
	outcome Outcome
	details []faceid.VerificationDetail
	ocr     []faceid.OCRResult
	media   []mediaItem
}

// checkApplied refuses an apply answer we could not safely act on: the browser is about
// to be redirected to verifyURL, and the token names objects.
func checkApplied(token, verifyURL string) (string, string, error) {
	if !validToken(token) {
		return "", "", &Error{Code: CodeUpstreamRejected, Message: "rejected", Err: errors.New("apply returned a malformed BizToken")}
	}
	u, err := url.Parse(verifyURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", "", &Error{Code: CodeUpstreamRejected, Message: "rejected", Err: errors.New("apply returned an unusable VerificationURL")}
	}
	return token, verifyURL, nil
}

// callerFields are the request fields whose Tencent-side validation failures are the
// caller's; any other field failing is our configuration's fault.
var callerFields = map[string]string{
	"Extra":             "extra",
	"RuleId":            "ruleId",
	"Config.Language":   "lang",
	"Config.CheckMode":  "mode",
	"Config.IDCardType": "documentType",
}

// validationError maps a request the client refused before sending it.
func validationError(err error) *Error {
	var ve *faceid.ValidationError
	if errors.As(err, &ve) {
		if ve.Field == "CompareImageBase64" || ve.Field == "image" {
			return &Error{Code: CodeInvalidImage, Message: msgInvalidImage, Err: err}
		}
		if name, ok := callerFields[ve.Field]; ok {
			return &Error{Code: CodeInvalidOption, Message: fmt.Sprintf("The option %s is not valid: %s.", name, ve.Reason), Err: err}
		}
	}
	return internalError(fmt.Errorf("request rejected before sending: %w", err))
}

// applyError maps a failed start call; an image Tencent finds too large is the caller's.
func applyError(err error) *Error {
	var fe *faceid.Error
	if errors.As(err, &fe) && fe.Code == "FailedOperation.ImageSizeTooLarge" {
		return &Error{Code: CodeImageTooLarge, Message: "Tencent refused the compare image as too large.", Err: err}
	}
	var ve *faceid.ValidationError
	if errors.As(err, &ve) {
		return validationError(err)
	}
	return upstreamError(err)
}
