package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/facegate/facegate/pkg/storage"
)

// sweepDue takes one step of a session's schedule. Every path either deletes the entry
// after writing what follows it, or leaves it for the next run.
func (s *Service) sweepDue(ctx context.Context, r *sweepRun, key, name string) error {
	hash, step, ok := parseDueName(name)
	if !ok {
		return nil // not an entry of ours
	}
	r.count(func(rep *SweepReport) { rep.Due++ })
	if step.kind == 'h' { // a handoff's retention is over; hash names the handoff
		if err := s.forgetHandoff(ctx, hash); err != nil {
			return err
		}
		return s.store.Delete(ctx, key)
	}
	if step.kind == 'i' { // an idempotency key's 24 hours are over; hash names the key
		if err := s.expireIdempotency(ctx, hash); err != nil {
			return err
		}
		return s.store.Delete(ctx, key)
	}
	if step.kind == 'p' {
		if err := s.purge(ctx, hash); err != nil {
			return err
		}
		r.count(func(rep *SweepReport) { rep.Purged++ })
		return s.store.Delete(ctx, key)
	}
	res, err := s.loadResult(ctx, hash)
	switch {
	case isDeleted(err):
		return s.store.Delete(ctx, key) // deleted sessions are neither asked about nor told
	case err != nil:
		return err
	case res != nil:
		return s.finish(ctx, r, hash, res, key) // the callback or a reader got there first
	}
	sess, err := s.loadSession(ctx, hash)
	if isCode(err, CodeSessionNotFound) || isDeleted(err) {
		return s.store.Delete(ctx, key)
	}
	if err != nil {
		return err
	}
	if sess.Token == "" {
		// Started before tokens were kept: only its user or a token holder can finish it.
		return s.store.Delete(ctx, key)
	}
	now := s.now()
	if step.kind == 'e' || !now.Before(sess.ExpiresAt) {
		// Tencent's result window is over and nobody saw a final answer.
		res, err := s.saveResult(ctx, hash, s.newResult(sess, expiredOutcome(), nil, nil))
		if err != nil {
			return err
		}
		return s.finish(ctx, r, hash, res, key)
	}
	claimed, err := s.claimCheck(ctx, hash, now)
	if err != nil || !claimed {
		return err // somebody is asking Tencent about it right now: leave the entry
	}
	token, err := s.tokens.open(sess.Token, hash)
	if err != nil {
		// A key was removed from FACEGATE_TOKEN_KEYS while this session needed it.
		s.log.ErrorContext(ctx, "sweep: the session's token does not open with the configured keys; only its user can finish it",
			"session", shortHash(hash))
		return s.store.Delete(ctx, key)
	}
	if err := r.pace.wait(ctx, r.stopAt); err != nil {
		return err
	}
	r.count(func(rep *SweepReport) { rep.TencentCalls++ })
	res, err = s.fetchResult(ctx, token, hash, sess, sweepTencentTimeout)
	if err != nil || res == nil {
		// Still pending, or Tencent could not answer: either way the next check is due at
		// its time, and this one counted.
		if err != nil {
			s.log.WarnContext(ctx, "sweep: Tencent did not answer; the next check will ask again",
				"session", shortHash(hash), "check", step.check, "code", asError(err).Code)
		}
		if err := s.createMarker(ctx, nextCheck(hash, step.check, sess.CreatedAt, sess.ExpiresAt), nil); err != nil {
			return err
		}
		return s.store.Delete(ctx, key)
	}
	return s.finish(ctx, r, hash, res, key)
}

// finish is the end of a session's checks: its event is queued, its purge scheduled,
// and the entry deleted, in that order.
func (s *Service) finish(ctx context.Context, r *sweepRun, hash string, res *resultRecord, key string) error {
	r.count(func(rep *SweepReport) { rep.Finished++ })
	if err := s.queueEvent(ctx, hash, res); err != nil {
		return err
	}
	if err := s.createMarker(ctx, purgeDue(hash, res.CreatedAt, s.cfg.Retention), nil); err != nil {
		return err
	}
	return s.store.Delete(ctx, key)
}

// checkSlot is the length of the time slots in which a session is read from Tencent at
// most once, whoever asks.
const checkSlot = 5 * time.Second

// claimCheck claims the one Tencent read of a session in the current time slot. It is a
// create-only marker, so functions that share no memory agree on who asks.
func (s *Service) claimCheck(ctx context.Context, hash string, now time.Time) (bool, error) {
	slot := now.Unix() / int64(checkSlot/time.Second)
	err := s.store.Create(ctx, fmt.Sprintf("%s%010d", checksPrefix(hash), slot), nil)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, storage.ErrExists):
		return false, nil
	}
	return false, storeError("claim a check", err)
}

// createMarker creates key if it does not exist yet.
func (s *Service) createMarker(ctx context.Context, key string, data []byte) error {
	if err := s.store.Create(ctx, key, data); err != nil && !errors.Is(err, storage.ErrExists) {
		return storeError("write "+keyFolder(key)+" entry", err)
	}
	return nil
}

// keyFolder names the folder of a key, for messages that must not carry the rest of it.
func keyFolder(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i]
		}
	}
	return "object"
}

func isCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// expireIdempotency forgets an idempotency key whose window is over, unless the key was
// used again since (then its own entry forgets it later).
func (s *Service) expireIdempotency(ctx context.Context, id string) error {
	data, err := s.store.Get(ctx, idemKey(id))
	if errors.Is(err, storage.ErrNotFound) {
		return s.forgetIdempotency(ctx, id) // an answer without its record
	}
	if err != nil {
		return storeError("read idempotency record", err)
	}
	var rec idemRecord
	if err := decodeRecord(data, &rec, &rec.Version); err == nil && s.now().Before(rec.CreatedAt.Add(idempotencyWindow)) {
		return nil
	}
	return s.forgetIdempotency(ctx, id)
}

// sweepSpentToken removes the mark of a start token that has expired: the token is
// refused for its expiry from then on.
func (s *Service) sweepSpentToken(ctx context.Context, _ *sweepRun, key, _ string) error {
	return s.store.Delete(ctx, key)
}

// sweepProbe removes the marker of a start that died between its first write and the
// end: Tencent may have issued a token nobody recorded, which an operator may want to know.
func (s *Service) sweepProbe(ctx context.Context, _ *sweepRun, key, _ string) error {
	s.log.WarnContext(ctx, "sweep: a start ended without removing its marker; Tencent may have issued a token that was not recorded")
	return s.store.Delete(ctx, key)
}
