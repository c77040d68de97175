package sandbox

import (
	"fmt"
	"slices"
	"time"
)

// sweepEvery is how often (on the sandbox clock) expired tokens and uploads are dropped.
const sweepEvery = time.Minute

// session is one BizToken and what happened to it.
type session struct {
	token    string
	seq      uint64 // issue order, for listing newest first
	legacy   bool
	issued   time.Time
	started  time.Time // page opened; zero until then
	finished time.Time // outcome recorded; zero until then
	begun    bool      // the user pressed Start on the page: it shows the choices
	redirect string
	extra    *string
	cfg      flowConfig
	outcome  Outcome
	verdict  *verdict // the stored result, so that repeated reads agree
	mediaID  string   // legacy media links name this, never the token
	reads    int      // result actions answered for this token
}

// Token states, as the control API reports them.
const (
	stateIssued       = "issued"        // not opened yet, still inside the start window
	stateStarted      = "started"       // page opened, no outcome yet: ErrorCode null
	stateFinished     = "finished"      // outcome recorded
	stateStartExpired = "start_expired" // never opened in time: reads as ErrorCode 15
	stateExpired      = "expired"       // past the result window: BizTokenExpired
)

// startDeadline is the last moment the page may be opened.
func (s *Sandbox) startDeadline(ss *session) time.Time {
	if ss.legacy {
		return ss.issued.Add(s.opts.LegacyTokenTTL)
	}
	return ss.issued.Add(s.opts.StartWindow)
}

// resultDeadline is the last moment results are readable.
func (s *Sandbox) resultDeadline(ss *session) time.Time {
	if ss.legacy {
		return ss.issued.Add(s.opts.LegacyTokenTTL)
	}
	return ss.issued.Add(s.opts.ResultWindow)
}

// forgetAt is when the session is dropped from memory. Until then an expired token reads
// as BizTokenExpired; after it, as BizTokenIllegal (the sandbox no longer knows it). The
// grace is one more result window, so a client that waits "a little too long" still sees
// the expired answer.
func (s *Sandbox) forgetAt(ss *session) time.Time {
	d := s.resultDeadline(ss)
	return d.Add(d.Sub(ss.issued))
}

func (s *Sandbox) state(ss *session, now time.Time) string {
	switch {
	case now.After(s.resultDeadline(ss)):
		return stateExpired
	case !ss.finished.IsZero():
		return stateFinished
	case !ss.started.IsZero():
		return stateStarted
	case now.After(s.startDeadline(ss)):
		return stateStartExpired
	}
	return stateIssued
}

// addSessionLocked stores a new session, sweeping first when it is time or when full.
// It must be called with s.mu held.
func (s *Sandbox) addSessionLocked(ss *session, now time.Time) *apiError {
	s.sweepLocked(now, false)
	if len(s.tokens) >= s.opts.MaxTokens {
		s.sweepLocked(now, true)
	}
	if len(s.tokens) >= s.opts.MaxTokens {
		return errorf(codeLimitExceeded, "The sandbox holds its maximum of %d BizTokens; wait for old ones to expire or restart it.", s.opts.MaxTokens)
	}
	s.issuedCount++
	ss.seq = s.issuedCount
	s.tokens[ss.token] = ss
	if ss.mediaID != "" {
		s.media[ss.mediaID] = ss
	}
	return nil
}

// sweepLocked drops sessions and uploads whose time is over, at most once a minute unless
// forced; a forced sweep (the token cap is reached) also drops expired tokens still kept
// for their BizTokenExpired answer. It must be called with s.mu held.
func (s *Sandbox) sweepLocked(now time.Time, force bool) {
	if since := now.Sub(s.lastSweep); !force && since >= 0 && since < sweepEvery {
		return
	}
	s.lastSweep = now
	for tok, ss := range s.tokens {
		if now.After(s.forgetAt(ss)) || force && now.After(s.resultDeadline(ss)) {
			delete(s.tokens, tok)
			if ss.mediaID != "" {
				delete(s.media, ss.mediaID)
			}
		}
	}
	for id, up := range s.uploads {
		if now.After(up.expires()) {
			s.upBytes -= int64(len(up.data))
			delete(s.uploads, id)
		}
	}
}

// lookupLocked finds a session by token. It must be called with s.mu held.
func (s *Sandbox) lookupLocked(token string) (*session, bool) {
	if !isBizToken(token) {
		return nil, false
	}
	ss, ok := s.tokens[token]
	return ss, ok
}

// openLocked is what opening the page does: the token must be known and usable, and the
// first opening starts the flow. A finished session is returned as it is (the page shows
// its result again). With ErrTokenExpired the session is returned too, for its language.
// It must be called with s.mu held.
func (s *Sandbox) openLocked(token string, now time.Time) (*session, error) {
	ss, ok := s.lookupLocked(token)
	if !ok {
		return nil, ErrUnknownToken
	}
	switch s.state(ss, now) {
	case stateExpired, stateStartExpired:
		return ss, ErrTokenExpired
	case stateIssued:
		ss.started = now
	}
	return ss, nil
}

// SetOutcome records an outcome for bizToken as if the user had finished on the hosted page
// (without the redirect). It answers ErrUnknownToken, ErrTokenExpired (the page can no longer
// be opened), ErrAlreadyFinished, or ErrInvalidOutcome when the outcome does not fit the
// token's check mode (for example compare_fail with CheckMode 3).
func (s *Sandbox) SetOutcome(bizToken string, o Outcome) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.openLocked(bizToken, now)
	if err != nil {
		return err
	}
	return s.finishLocked(ss, o, now)
}

// finishLocked records the outcome and builds the stored result. It must be called with
// s.mu held.
func (s *Sandbox) finishLocked(ss *session, o Outcome, now time.Time) error {
	if !ss.finished.IsZero() {
		return ErrAlreadyFinished
	}
	o, err := normalizeOutcome(ss, o)
	if err != nil {
		return err
	}
	if o.ErrorCode != nil {
		// The caller's variable may change after the call; the stored outcome must not.
		o.ErrorCode = ptr(*o.ErrorCode)
	}
	if ss.started.IsZero() {
		ss.started = now
	}
	ss.finished, ss.outcome = now, o
	ss.verdict = s.buildVerdict(ss, now)
	return nil
}

// outcomesFor lists the outcomes that fit a session, in the order the page shows them.
func outcomesFor(ss *session) []string {
	cfg := ss.cfg
	var out []string
	add := func(ok bool, r string) {
		if ok {
			out = append(out, r)
		}
	}
	add(true, ResultPass)
	add(cfg.ocr(), ResultDocument)
	add(cfg.liveness(), ResultLivenessFail)
	add(cfg.compare(), ResultCompareFail)
	add(cfg.ocr(), ResultDocumentFail)
	add(cfg.liveness(), ResultRetryLimit)
	add(true, ResultTimeout)
	add(true, ResultUserExit)
	return out
}

// normalizeOutcome checks o against the session and fills in default similarities.
func normalizeOutcome(ss *session, o Outcome) (Outcome, error) {
	if !slices.Contains(outcomesFor(ss), o.Result) {
		return o, fmt.Errorf("%w: %q does not apply to CheckMode %d (possible: %v)", ErrInvalidOutcome, o.Result, ss.cfg.checkMode, outcomesFor(ss))
	}
	switch o.Result {
	case ResultPass, ResultDocument:
		if o.Similarity == 0 {
			o.Similarity = 92.5
		}
		if o.Similarity < passSimilarity || o.Similarity > 100 {
			return o, fmt.Errorf("%w: a pass needs a similarity from %v to 100", ErrInvalidOutcome, passSimilarity)
		}
	case ResultCompareFail:
		if o.Similarity == 0 {
			o.Similarity = 41.3
		}
		if o.Similarity < 0 || o.Similarity >= passSimilarity {
			return o, fmt.Errorf("%w: compare_fail needs a similarity from 0 to below %v", ErrInvalidOutcome, passSimilarity)
		}
	default:
		o.Similarity = 0
	}
	return o, nil
}
