package core

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/facegate/facegate/pkg/storage"
)

// Guards around the billed Apply of /start: nothing is spent that the store could not
// record, a start token is spent once, a backend start repeated with its Idempotency-Key
// is answered with the first one's session, and a session Tencent issued is recorded
// even when the store stumbles.

// spendStartToken marks a start token as used. Its mark is create-only, so a token starts
// one verification, whichever function instance sees it first; the mark is also the
// write that proves the store takes writes before anything is billed.
func (s *Service) spendStartToken(ctx context.Context, token string, exp time.Time) error {
	key := timedKey(startTokensPrefix, exp, sha256Hex("facegate-start-token/v1\n"+token))
	err := s.store.Create(ctx, key, nil)
	switch {
	case errors.Is(err, storage.ErrExists):
		return errorf(CodeStartTokenUsed, "This start token was already used. Ask the merchant's page for a new one.")
	case err != nil:
		return storeError("spend start token", err)
	}
	return nil
}

// writeAhead proves the store takes writes before a billed Apply, with a marker deleted
// once the start is over; a marker the sweeper finds later is a start that died half way.
func (s *Service) writeAhead(ctx context.Context) (done func(), err error) {
	var id [8]byte
	if _, err := io.ReadFull(s.rand, id[:]); err != nil {
		return nil, internalError(err)
	}
	key := timedKey(probesPrefix, s.now(), hex.EncodeToString(id[:]))
	if err := s.store.Create(ctx, key, nil); err != nil {
		return nil, storeError("check the store takes writes", err)
	}
	return func() {
		if err := s.store.Delete(context.WithoutCancel(ctx), key); err != nil {
			s.log.WarnContext(ctx, "start marker not removed; the sweeper removes it", "err", logErr(err))
		}
	}, nil
}

// recordAttempts and recordBackoff shape the retries of the session write after a
// successful Apply: Tencent has issued a token, so a passing store fault must not lose it.
const recordAttempts = 3

var recordBackoff = [...]time.Duration{100 * time.Millisecond, 400 * time.Millisecond}

// recordSession writes the session record, retrying a failing store briefly. A session it
// still cannot record is logged with its short hash, so an operator can account for it.
func (s *Service) recordSession(ctx context.Context, hash string, rec *sessionRecord) error {
	var err error
	for i := range recordAttempts {
		if i > 0 {
			select {
			case <-time.After(recordBackoff[i-1]):
			case <-ctx.Done():
				i = recordAttempts
			}
		}
		if err = s.createSession(ctx, hash, rec); err == nil || !isCode(err, CodeStorageUnavailable) {
			return err
		}
	}
	s.log.ErrorContext(ctx, "verification started at Tencent but not recorded; the user was told to try again",
		"session", shortHash(hash), "err", logErr(asError(err).Err))
	return err
}

// Idempotent backend starts. The first POST /start with a key writes a create-only
// record of the key and the request; it starts the verification and writes its answer
// beside the record. A repeat with the same request waits for that answer and returns
// it; a different request with the same key is refused. Records live 24 hours.
const (
	idempotencyWindow  = 24 * time.Hour
	maxIdempotencyKey  = 255
	idempotencyMaxWait = 8 * time.Second
)

type idemRecord struct {
	Version   int       `json:"version"`
	Request   string    `json:"request"` // SHA-256 of the start options
	CreatedAt time.Time `json:"createdAt"`
}

type idemAnswer struct {
	Version int    `json:"version"`
	Sealed  string `json:"sealed"` // the StartResponse, sealed like tokens: it holds one
}

func (s *Service) idempotentStart(ctx context.Context, key string, opts StartOptions) (*StartResponse, bool, error) {
	if len(key) > maxIdempotencyKey || !printableASCII(key) {
		return nil, false, errorf(CodeInvalidRequest, "Idempotency-Key must be 1 to %d visible ASCII characters.", maxIdempotencyKey)
	}
	id := sha256Hex("facegate-idempotency/v1\n" + key)
	body, err := json.Marshal(opts)
	if err != nil {
		return nil, false, internalError(err)
	}
	request := sha256Hex(string(body))
	deadline := time.Now().Add(idempotencyMaxWait)
	for wait := 25 * time.Millisecond; ; wait = min(2*wait, 400*time.Millisecond) {
		data, _ := json.Marshal(idemRecord{Version: schemaVersion, Request: request, CreatedAt: s.now().UTC()})
		err := s.store.Create(ctx, idemKey(id), data)
		if err == nil {
			return s.firstIdempotentStart(ctx, id, opts)
		}
		if !errors.Is(err, storage.ErrExists) {
			return nil, false, storeError("write idempotency record", err)
		}
		res, retry, err := s.idempotentAnswer(ctx, id, request)
		if err != nil || res != nil {
			return res, res != nil, err
		}
		if !retry && time.Now().After(deadline) {
			return nil, false, &Error{Code: CodeIdempotencyInProgress, RetryAfter: time.Second,
				Message: "A start with this Idempotency-Key is still in progress. Try again in a moment."}
		}
		if !retry {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, false, storeError("wait for an idempotent start", ctx.Err())
			}
		}
	}
}

// idempotentAnswer reads what an earlier start with the key left: its answer (done),
// nothing yet (wait), or nothing at all (retry: it failed, or it is older than the window
// and was just removed).
func (s *Service) idempotentAnswer(ctx context.Context, id, request string) (*StartResponse, bool, error) {
	data, err := s.store.Get(ctx, idemKey(id))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, storeError("read idempotency record", err)
	}
	var rec idemRecord
	if err := decodeRecord(data, &rec, &rec.Version); err != nil {
		return nil, false, internalError(err)
	}
	if !s.now().Before(rec.CreatedAt.Add(idempotencyWindow)) {
		return nil, true, s.forgetIdempotency(ctx, id)
	}
	if rec.Request != request {
		return nil, false, errorf(CodeIdempotencyKeyReused, "This Idempotency-Key was used with a different request.")
	}
	data, err = s.store.Get(ctx, idemAnswerKey(id))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, storeError("read idempotent answer", err)
	}
	var ans idemAnswer
	if err := decodeRecord(data, &ans, &ans.Version); err != nil {
		return nil, false, internalError(err)
	}
	plain, err := s.tokens.openData(ans.Sealed, "facegate-idempotency/v1\n"+id)
	if err != nil {
		return nil, false, internalError(fmt.Errorf("idempotent answer: %w", err))
	}
	var res StartResponse
	if err := json.Unmarshal(plain, &res); err != nil {
		return nil, false, internalError(err)
	}
	return &res, false, nil
}

func (s *Service) firstIdempotentStart(ctx context.Context, id string, opts StartOptions) (*StartResponse, bool, error) {
	res, _, err := s.start(ctx, opts, caller{backend: true, wrote: true})
	if err != nil {
		// Nothing was started: free the key, so that a retry of this request can start.
		if ferr := s.forgetIdempotency(context.WithoutCancel(ctx), id); ferr != nil {
			s.log.WarnContext(ctx, "idempotency record of a failed start not removed; it expires with its window", "err", logErr(ferr))
		}
		return nil, false, err
	}
	plain, err := json.Marshal(res)
	if err == nil {
		var sealed string
		if sealed, err = s.tokens.sealData(plain, "facegate-idempotency/v1\n"+id, s.rand); err == nil {
			data, _ := json.Marshal(idemAnswer{Version: schemaVersion, Sealed: sealed})
			err = s.createMarker(ctx, idemAnswerKey(id), data)
		}
	}
	if err != nil {
		// The verification is started and recorded; only repeats of the request lose.
		s.log.ErrorContext(ctx, "idempotent answer not kept; a repeat of this request will wait and fail", "session", shortHash(res.Session), "err", logErr(err))
	}
	if err := s.createMarker(ctx, timedKey(duePrefix, s.now().Add(idempotencyWindow), id+".i"), nil); err != nil {
		s.log.WarnContext(ctx, "idempotency record not scheduled for removal", "err", logErr(err))
	}
	return res, false, nil
}

// forgetIdempotency removes a key's record and answer.
func (s *Service) forgetIdempotency(ctx context.Context, id string) error {
	for _, key := range []string{idemAnswerKey(id), idemKey(id)} {
		if err := s.store.Delete(ctx, key); err != nil {
			return storeError("delete idempotency record", err)
		}
	}
	return nil
}

func printableASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
