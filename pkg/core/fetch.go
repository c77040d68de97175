package core

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/facegate/facegate/pkg/faceid"
)

// Attempt is one liveness/compare attempt as the merchant sees it.
type Attempt struct {
	Seq             string   `json:"seq,omitempty"`
	Code            *int64   `json:"code,omitempty"`
	Message         string   `json:"message,omitempty"`
	LivenessCode    *int64   `json:"livenessCode,omitempty"`
	LivenessMessage string   `json:"livenessMessage,omitempty"`
	CompareCode     *int64   `json:"compareCode,omitempty"`
	CompareMessage  string   `json:"compareMessage,omitempty"`
	Similarity      *float64 `json:"similarity,omitempty"`
	// At is when Tencent received the attempt.
	At           *time.Time `json:"at,omitempty"`
	LivenessTags []string   `json:"livenessTags,omitempty"`
}

// Document is the document (OCR) data of one attempt, never its images. NormalCardInfo
// is Tencent's card data as raw JSON, so card types Tencent adds pass through untouched.
type Document struct {
	IsPass           *bool           `json:"isPass,omitempty"`
	NormalCardInfo   json.RawMessage `json:"normalCardInfo,omitempty"`
	WarnCardInfos    []int64         `json:"warnCardInfos,omitempty"`
	OriginalCardInfo *string         `json:"originalCardInfo,omitempty"`
}

// fetchResult makes the one Tencent call a request may make for a session without a
// stored result, bounded by timeout when positive (the store writes that follow are not).
// A terminal answer is stored (with its media, when configured) and the stored copy
// returned; pending returns a nil result; failures are upstream errors.
func (s *Service) fetchResult(ctx context.Context, token, hash string, sess *sessionRecord, timeout time.Duration) (*resultRecord, error) {
	tctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	rec, media, err := s.readTencent(tctx, token, sess)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, nil
	}
	if s.media != nil && len(media) > 0 {
		if rec.Media, err = s.putMedia(ctx, hash, media); err != nil {
			return nil, err
		}
	}
	saved, err := s.saveResult(ctx, hash, rec)
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "verification finished", "session", shortHash(hash), "status", saved.Status, "category", saved.Category)
	return saved, nil
}

// checkTencent is the Tencent read of the callback and /result. It draws from the same
// budget as the sweeper: one read per session and 5-second slot, whoever asks, so a
// client polling its own verification (or 200 racing readers) costs Tencent at most one
// call per slot and nobody else's share. A caller that does not win the slot gets the
// stored state: pending. A terminal result's event is queued at once, so the merchant
// hears of it at the next sweep; if queuing fails, the sweeper queues it later.
func (s *Service) checkTencent(ctx context.Context, token, hash string, sess *sessionRecord, timeout time.Duration) (*resultRecord, error) {
	claimed, err := s.claimCheck(ctx, hash, s.now())
	if err != nil || !claimed {
		return nil, err
	}
	res, err := s.fetchResult(ctx, token, hash, sess, timeout)
	if err != nil || res == nil {
		return res, err
	}
	s.queueOrLog(ctx, hash, res)
	return res, nil
}

// queueOrLog queues a terminal result's event for the callback and /result; if that
// fails, the sweeper's next look at the session queues it.
func (s *Service) queueOrLog(ctx context.Context, hash string, res *resultRecord) {
	if err := s.queueEvent(ctx, hash, res); err != nil {
		s.log.WarnContext(ctx, "webhook event not queued; the sweeper will queue it", "session", shortHash(hash), "err", logErr(err))
	}
}

// readTencent calls Tencent once, through the session's flow, and turns a terminal answer
// into a result record. A token Tencent no longer knows is an expired verification.
func (s *Service) readTencent(ctx context.Context, token string, sess *sessionRecord) (*resultRecord, []mediaItem, error) {
	rd, err := s.sessionFlow(sess).read(ctx, token)
	if err != nil {
		var fe *faceid.Error
		if errors.As(err, &fe) && fe.Kind == faceid.KindTokenExpired {
			// Tencent no longer knows the token's result: the user never finished in time.
			return s.newResult(sess, expiredOutcome(), nil, nil), nil, nil
		}
		return nil, nil, upstreamError(err)
	}
	if rd.outcome.Status == StatusPending {
		return nil, nil, nil
	}
	return s.newResult(sess, rd.outcome, rd.details, rd.ocr), rd.media, nil
}

func (s *Service) newResult(sess *sessionRecord, out Outcome, details []faceid.VerificationDetail, ocr []faceid.OCRResult) *resultRecord {
	rec := &resultRecord{
		Version:     schemaVersion,
		Flow:        sess.Flow,
		Status:      out.Status,
		Category:    string(out.Category),
		Code:        out.Code,
		Message:     out.Message.Text(DefaultLanguage),
		MessageID:   out.Message,
		Language:    sess.Options.Language,
		Extra:       sess.Extra,
		Reference:   sess.Reference,
		CreatedAt:   sess.CreatedAt,
		CompletedAt: s.now().UTC(),
		ExpiresAt:   sess.ExpiresAt,
	}
	for _, d := range details {
		a := Attempt{
			Code:            d.ErrorCode,
			Message:         deref(d.ErrorMsg),
			LivenessCode:    d.LivenessErrorCode,
			LivenessMessage: deref(d.LivenessErrorMsg),
			CompareCode:     d.CompareErrorCode,
			CompareMessage:  deref(d.CompareErrorMsg),
			Similarity:      d.Similarity,
			Seq:             deref(d.Seq),
			LivenessTags:    d.LivenessInfoTag,
		}
		if d.ReqTimestamp != nil {
			at := time.UnixMilli(*d.ReqTimestamp).UTC()
			a.At = &at
		}
		rec.Attempts = append(rec.Attempts, a)
	}
	for _, o := range ocr {
		rec.Documents = append(rec.Documents, Document{
			IsPass:           o.IsPass,
			NormalCardInfo:   nullToNil(o.NormalCardInfo),
			WarnCardInfos:    o.WarnCardInfos,
			OriginalCardInfo: o.OriginalCardInfo,
		})
	}
	return rec
}

// upstreamError maps a failed Tencent call to what the caller can do about it.
func upstreamError(err error) *Error {
	var fe *faceid.Error
	if !errors.As(err, &fe) {
		var ve *faceid.ValidationError
		if errors.As(err, &ve) {
			return &Error{Code: CodeUpstreamRejected, Message: "rejected", Err: err}
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return &Error{Code: CodeUpstreamUnavailable, Message: "unavailable", RetryAfter: 2 * time.Second, Err: err}
		}
		return internalError(err)
	}
	switch fe.Kind {
	case faceid.KindThrottled:
		return &Error{Code: CodeUpstreamUnavailable, Message: "throttled", RetryAfter: time.Second, Err: err}
	case faceid.KindUnavailable:
		return &Error{Code: CodeUpstreamUnavailable, Message: "unavailable", RetryAfter: 2 * time.Second, Err: err}
	case faceid.KindAuth, faceid.KindNotActivated, faceid.KindConfig:
		return &Error{Code: CodeUpstreamMisconfigured, Message: "misconfigured", Err: err}
	default: // bad parameter, illegal token, and anything new
		return &Error{Code: CodeUpstreamRejected, Message: "rejected", Err: err}
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nullToNil(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return m
}
