// Package faceid is a client for Tencent Cloud eKYC web (H5) verification.
//
// It covers the current flow (ApplyWebVerificationBizTokenIntl, then
// GetWebVerificationResultIntl) and the legacy upload-URL flow (CreateUploadUrl, a PUT of
// the compare image, ApplyWebVerificationToken, GetWebVerificationResult). Tencent
// removed the legacy web actions, and CreateUploadUrl's web target, on 2026-03-09; they
// stay here for accounts that still have them.
//
// Signing and profiles come from the tencentcloud-sdk-go common module; this package
// adds typed models, validation before any network call, retries of both of Tencent's
// throttling codes (the SDK's own retry knows only RequestLimitExceeded), and typed
// errors the caller can act on. What a result's codes mean is pkg/core's to say
// (outcome.go).
//
// Requests are validated locally first, so a bad parameter never costs a billed call.
// Credentials are fetched for every call, because the temporary keys of a Tencent SCF
// execution role rotate while a function instance stays warm.
//
// The client never logs. Errors carry Tencent's code and RequestId (safe to log) and never
// a BizToken, a secret, or response bodies (which may hold biometric or document data).
package faceid
