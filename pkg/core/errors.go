package core

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/facegate/facegate/internal/errbody"
)

// Code is a stable machine-readable error code. Clients switch on it; its wording never changes.
type Code string

// Error codes the HTTP API answers with. Each maps to one HTTP status in codeStatus.
const (
	CodeInvalidRequest        Code = "invalid_request"
	CodeInvalidToken          Code = "invalid_token"
	CodeInvalidReturnTo       Code = "invalid_return_to"
	CodeInvalidOption         Code = "invalid_option"
	CodeInvalidImage          Code = "invalid_image"
	CodeImageNotFound         Code = "image_not_found"
	CodeImageTooLarge         Code = "image_too_large"
	CodeBodyTooLarge          Code = "body_too_large"
	CodeUnsupportedMediaType  Code = "unsupported_media_type"
	CodeMethodNotAllowed      Code = "method_not_allowed"
	CodeNotFound              Code = "not_found"
	CodeUnauthorized          Code = "unauthorized"
	CodeStartTokenRequired    Code = "start_token_required"
	CodeInvalidStartToken     Code = "invalid_start_token"
	CodeStartTokenUsed        Code = "start_token_used"
	CodeIdempotencyKeyReused  Code = "idempotency_key_reused"
	CodeIdempotencyInProgress Code = "idempotency_in_progress"
	CodeHandoffNotFound       Code = "handoff_not_found"
	CodeHandoffUsed           Code = "handoff_used"
	CodeHandoffExpired        Code = "handoff_expired"
	CodeInvalidTicket         Code = "invalid_ticket"
	CodeBindingMismatch       Code = "binding_mismatch"
	CodeSessionNotFound       Code = "session_not_found"
	CodeTokenExpired          Code = "token_expired"
	CodeSessionDeleted        Code = "session_deleted"
	CodeUpstreamUnavailable   Code = "upstream_unavailable"
	CodeStorageUnavailable    Code = "storage_unavailable"
	CodeUpstreamRejected      Code = "upstream_rejected"
	CodeUpstreamMisconfigured Code = "upstream_misconfigured"
	CodeInternal              Code = "internal"
)

// codeStatus is the one place where an error code becomes an HTTP status.
var codeStatus = map[Code]int{
	CodeInvalidRequest:        http.StatusBadRequest,
	CodeInvalidToken:          http.StatusBadRequest,
	CodeInvalidReturnTo:       http.StatusBadRequest,
	CodeInvalidOption:         http.StatusBadRequest,
	CodeInvalidImage:          http.StatusBadRequest,
	CodeImageNotFound:         http.StatusBadRequest,
	CodeImageTooLarge:         http.StatusRequestEntityTooLarge,
	CodeBodyTooLarge:          http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType:  http.StatusUnsupportedMediaType,
	CodeMethodNotAllowed:      http.StatusMethodNotAllowed,
	CodeNotFound:              http.StatusNotFound,
	CodeUnauthorized:          http.StatusUnauthorized,
	CodeStartTokenRequired:    http.StatusUnauthorized,
	CodeInvalidStartToken:     http.StatusUnauthorized,
	CodeStartTokenUsed:        http.StatusConflict,
	CodeIdempotencyKeyReused:  http.StatusConflict,
	CodeIdempotencyInProgress: http.StatusConflict,
	CodeHandoffNotFound:       http.StatusNotFound,
	CodeHandoffUsed:           http.StatusConflict,
	CodeHandoffExpired:        http.StatusGone,
	CodeInvalidTicket:         http.StatusUnauthorized,
	CodeBindingMismatch:       http.StatusForbidden,
	CodeSessionNotFound:       http.StatusNotFound,
	CodeTokenExpired:          http.StatusGone,
	CodeSessionDeleted:        http.StatusGone,
	CodeUpstreamUnavailable:   http.StatusServiceUnavailable,
	CodeStorageUnavailable:    http.StatusServiceUnavailable,
	CodeUpstreamRejected:      http.StatusBadGateway,
	CodeUpstreamMisconfigured: http.StatusBadGateway,
	CodeInternal:              http.StatusInternalServerError,
}

// Codes lists every error code the API can answer with, in a stable order (for documentation
// and for the test that keeps openapi.yaml honest).
func Codes() []Code {
	return []Code{
		CodeInvalidRequest, CodeInvalidToken, CodeInvalidReturnTo, CodeInvalidOption, CodeInvalidImage,
		CodeImageNotFound, CodeImageTooLarge, CodeBodyTooLarge, CodeUnsupportedMediaType, CodeMethodNotAllowed,
		CodeNotFound, CodeUnauthorized, CodeStartTokenRequired, CodeInvalidStartToken, CodeStartTokenUsed,
		CodeIdempotencyKeyReused, CodeIdempotencyInProgress, CodeHandoffNotFound, CodeHandoffUsed, CodeHandoffExpired,
		CodeInvalidTicket,
		CodeBindingMismatch, CodeSessionNotFound, CodeTokenExpired, CodeSessionDeleted, CodeUpstreamUnavailable, CodeStorageUnavailable, CodeUpstreamRejected,
		CodeUpstreamMisconfigured, CodeInternal,
	}
}

// HTTPStatus returns the HTTP status the API answers code with (500 for an unknown code).
func (c Code) HTTPStatus() int {
	if s, ok := codeStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is the one error type of the core. Message is safe to show to the caller; Err is the
// cause, kept for logs only and never sent to a client.
type Error struct {
	Code    Code
	Message string
	// RetryAfter, when positive, is sent as a Retry-After header: the caller may try again then.
	RetryAfter time.Duration
	Err        error
}

// Error returns the code and message (and the cause, which is why it must never reach a client).
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status the error is answered with: its code's, from codeStatus alone.
func (e *Error) HTTPStatus() int {
	return e.Code.HTTPStatus()
}

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// storageRetryAfter is when a caller may retry after the store failed.
const storageRetryAfter = 2 * time.Second

// storeError is a failure of the session store (a permission, a full disk, an outage):
// nothing of ours, and retrying helps, so it is a 503 with Retry-After, never a 500.
// what names the operation for the log; it never holds a key.
func storeError(what string, err error) *Error {
	return &Error{Code: CodeStorageUnavailable, Message: "unavailable", RetryAfter: storageRetryAfter, Err: fmt.Errorf("%s: %w", what, err)}
}

// internalError wraps an unexpected failure; the client sees only a generic message.
func internalError(err error) *Error {
	return &Error{Code: CodeInternal, Message: errbody.InternalMessage, Err: err}
}

// publicMessage is the message a client may see: 5xx answers never carry detail beyond the
// fixed text of their code, whatever Message says.
func publicMessage(e *Error) string {
	if e.HTTPStatus() >= 500 {
		switch e.Code {
		case CodeUpstreamUnavailable:
			return "The verification service is busy or unavailable. Please try again shortly."
		case CodeStorageUnavailable:
			return "We cannot reach our records right now. Nothing was lost; please try again shortly."
		case CodeUpstreamRejected:
			return "The verification service rejected the request."
		case CodeUpstreamMisconfigured:
			return "The verification service is not configured correctly for this deployment."
		default:
			return errbody.InternalMessage
		}
	}
	return e.Message
}

// asError turns any error into an *Error, treating the unknown as internal.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return internalError(err)
}
