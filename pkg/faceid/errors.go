package faceid

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// Kind is what a caller can do about an Error: the coarse class of a Tencent error code
// or a transport failure.
type Kind string

// The kinds of Error.
const (
	// KindTokenExpired is InvalidParameterValue.BizTokenExpired: the BizToken is past its window.
	KindTokenExpired Kind = "token_expired"
	// KindTokenIllegal is InvalidParameterValue.BizTokenIllegal: Tencent does not know the BizToken.
	KindTokenIllegal Kind = "token_illegal"
	// KindThrottled is RequestLimitExceeded (20 requests/second per action) and
	// FailedOperation.RequestLimitExceeded; retryable, and retried by the Client.
	KindThrottled Kind = "throttled"
	// KindAuth is AuthFailure.*: wrong, unknown or expired keys, a bad signature or clock skew.
	KindAuth Kind = "auth"
	// KindNotActivated is UnauthorizedOperation.*: the service is not activated or in
	// arrears, or (NonAuthorize) the account's identity verification is not done.
	KindNotActivated Kind = "not_activated"
	// KindBadParameter is a request Tencent (or the upload target) refused as invalid.
	KindBadParameter Kind = "bad_parameter"
	// KindUnavailable is InternalError*, network failures, timeouts and 5xx; retryable.
	KindUnavailable Kind = "unavailable"
	// KindConfig is missing or invalid local configuration: no usable credential (then
	// nothing was sent), or a region, endpoint or version Tencent does not serve
	// (UnsupportedRegion, InvalidAction, NoSuchVersion).
	KindConfig Kind = "config"
)

// Error is a failed call: a Tencent error code, a transport failure or a local
// configuration problem. Code and RequestID are safe to log. Message is Tencent's text
// (or, for failures on this side of the wire, a fixed description) with any BizToken of the
// call removed; it never contains secrets or response bodies.
type Error struct {
	Kind      Kind
	Code      string // Tencent's error code, e.g. "InvalidParameterValue.BizTokenExpired"
	Message   string
	RequestID string // Tencent's RequestId, when the service answered
	Action    string // the API action, e.g. "GetWebVerificationResultIntl"; "" outside a call
	Err       error  // the underlying cause (a *ConfigError, a network error, ...), if any
}

// Error describes the failure without any token or secret.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("faceid: ")
	if e.Action != "" {
		b.WriteString(e.Action)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Kind))
	if e.Code != "" {
		b.WriteString(" (")
		b.WriteString(e.Code)
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	var ce *ConfigError
	switch {
	case errors.As(e.Err, &ce):
		// Said without ConfigError's own prefix, which would repeat "faceid".
		b.WriteString(": ")
		b.WriteString(ce.Field)
		b.WriteString(": ")
		b.WriteString(ce.Reason)
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RequestID != "" {
		b.WriteString(" [RequestId ")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	return b.String()
}

// Unwrap returns the underlying cause, so errors.Is(err, context.Canceled) and
// errors.As(err, **ConfigError) work.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same call may succeed later unchanged: throttling and
// unavailability only.
func (e *Error) Retryable() bool {
	return e.Kind == KindThrottled || e.Kind == KindUnavailable
}

// ConfigError is a missing or invalid local setting. Field names the setting, such as
// an environment variable. Client methods return it wrapped in an *Error of KindConfig.
type ConfigError struct {
	Field  string
	Reason string
}

// Error names the setting.
func (e *ConfigError) Error() string {
	return "faceid: configuration: " + e.Field + ": " + e.Reason
}

// ValidationError is a request parameter that Tencent would reject (or that would make
// the verification misbehave), found before any network call. Field is the JSON path of
// the parameter, such as "Config.ActionList".
type ValidationError struct {
	Field  string
	Reason string
}

// Error names the field; it never repeats the value, which may be an image or PII.
func (e *ValidationError) Error() string {
	return "faceid: invalid " + e.Field + ": " + e.Reason
}

// KindOf returns the Kind of a Tencent error code. Unknown codes are KindUnavailable
// unless their prefix says otherwise, so a new server-side code is treated as a
// failure of the service rather than of the caller's input.
func KindOf(code string) Kind {
	switch code {
	case "InvalidParameterValue.BizTokenExpired":
		return KindTokenExpired
	case "InvalidParameterValue.BizTokenIllegal":
		return KindTokenIllegal
	case "FailedOperation.ImageSizeTooLarge", "OperationDenied", "RequestSizeLimitExceeded":
		return KindBadParameter
	case "FailedOperation.RequestLimitExceeded":
		// Throttling too, though outside the RequestLimitExceeded family (and so not
		// retried by the SDK's own throttling retry).
		return KindThrottled
	case "UnsupportedRegion", "InvalidAction", "NoSuchVersion", "UnsupportedProtocol":
		// Tencent's common codes for a wrong Region, Endpoint or API version: the
		// deployment's settings are wrong, and retrying cannot help.
		return KindConfig
	}
	switch {
	case hasCodePrefix(code, "RequestLimitExceeded"):
		return KindThrottled
	case hasCodePrefix(code, "AuthFailure"):
		return KindAuth
	case hasCodePrefix(code, "UnauthorizedOperation"):
		return KindNotActivated
	case hasCodePrefix(code, "InvalidParameter"), hasCodePrefix(code, "InvalidParameterValue"),
		hasCodePrefix(code, "MissingParameter"), hasCodePrefix(code, "UnknownParameter"),
		hasCodePrefix(code, "UnsupportedOperation"), hasCodePrefix(code, "OperationDenied"):
		return KindBadParameter
	}
	return KindUnavailable
}

// hasCodePrefix matches code against a dotted family: "AuthFailure" matches
// "AuthFailure" and "AuthFailure.X" but not "AuthFailureX".
func hasCodePrefix(code, family string) bool {
	return code == family || strings.HasPrefix(code, family+".")
}

// kindOfHTTPStatus classifies a non-200 answer from the API host (or a gateway in front
// of it), which Tencent itself never sends.
func kindOfHTTPStatus(status int) Kind {
	switch {
	case status == http.StatusTooManyRequests:
		return KindThrottled
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return KindAuth
	case status >= 400 && status < 500:
		return KindBadParameter
	}
	return KindUnavailable
}

// translate turns what the SDK returned into an *Error. status is the HTTP status of the
// last response (0 if none arrived); secrets lists strings (the BizToken) to scrub from
// Tencent's message.
func translate(action string, err error, status int, secrets ...string) *Error {
	var sdkErr *tcerr.TencentCloudSDKError
	if !errors.As(err, &sdkErr) {
		return &Error{Kind: KindUnavailable, Action: action, Message: "request failed", Err: causeOnly(err)}
	}
	if !strings.HasPrefix(sdkErr.Code, "ClientError") {
		msg := sdkErr.Message
		for _, s := range secrets {
			if s != "" {
				msg = strings.ReplaceAll(msg, s, "[redacted]")
			}
		}
		return &Error{Kind: KindOf(sdkErr.Code), Code: sdkErr.Code, Message: msg, RequestID: sdkErr.RequestId, Action: action}
	}
	// ClientError.* are the SDK's own failures. Their messages quote response bodies,
	// which may carry video, faces or document data, so they are replaced.
	e := &Error{Kind: KindUnavailable, Code: sdkErr.Code, Action: action, Err: causeOnly(sdkErr.Unwrap())}
	switch sdkErr.Code {
	case "ClientError.NetworkError":
		e.Message = "network failure"
	case "ClientError.HttpStatusCodeError":
		e.Kind = kindOfHTTPStatus(status)
		e.Message = fmt.Sprintf("HTTP status %d", status)
	case "ClientError.ParseJsonError":
		e.Message = "unreadable response"
	default:
		e.Message = "client failure"
	}
	return e
}

// causeOnly drops the URL that *url.Error adds to its text (an upload URL is a
// presigned credential) while keeping the cause reachable by errors.Is.
func causeOnly(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
