package sandbox

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"time"
)

// maxControlBody caps control-API request bodies.
const maxControlBody = 64 << 10

// controlRoutes adds the test-control API: unsigned JSON endpoints that script the sandbox
// the way a user and a clock would. They exist only in the sandbox.
func (s *Sandbox) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /_sandbox/outcome", s.controlOutcome)
	mux.HandleFunc("GET /_sandbox/faults", s.controlGetFaults)
	mux.HandleFunc("PUT /_sandbox/faults", s.controlPutFaults)
	mux.HandleFunc("GET /_sandbox/tokens", s.controlTokens)
	mux.HandleFunc("GET /_sandbox/tokens/{token}", s.controlToken)
	mux.HandleFunc("GET /_sandbox/clock", s.controlGetClock)
	mux.HandleFunc("POST /_sandbox/clock", s.controlAdvanceClock)
}

// controlFaults is Faults on the wire, latency in milliseconds. A PUT that leaves out
// ThrottleCode gets RequestLimitExceeded.
type controlFaults struct {
	LatencyMs         int64
	InternalErrorRate float64
	ThrottleRate      float64
	DropRate          float64
	DropAfterRate     float64
	ThrottleCode      string
}

// TokenState is what the control API reports about a BizToken (GET /_sandbox/tokens/{token}).
type TokenState struct {
	BizToken        string
	Action          string // the apply action that issued the token
	State           string // issued, started, finished, start_expired or expired
	IssuedAt        time.Time
	StartedAt       *time.Time `json:",omitempty"`
	FinishedAt      *time.Time `json:",omitempty"`
	StartDeadline   time.Time  // the page must be opened by then
	ResultDeadline  time.Time  // results are readable until then
	Outcome         *Outcome   `json:",omitempty"`
	ErrorCode       *int64     `json:",omitempty"` // the stored final code, once finished
	CheckMode       int64
	IDCardType      string `json:",omitempty"`
	Language        string
	ThemeColor      string
	AutoSkip        bool
	HasCompareImage bool
	Outcomes        []string // the outcomes that fit this token
	ResultReads     int      // result actions the sandbox answered for this token
}

// TokenState reports the state of bizToken, or ErrUnknownToken.
func (s *Sandbox) TokenState(bizToken string) (TokenState, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.lookupLocked(bizToken)
	if !ok {
		return TokenState{}, ErrUnknownToken
	}
	return s.tokenStateLocked(ss, now), nil
}

// maxListedTokens caps the list of GET /_sandbox/tokens.
const maxListedTokens = 100

// RecentTokens reports the state of the BizTokens the sandbox holds, newest first, at
// most 100. It finds the token of an apply whose answer was lost (Faults.DropAfterRate),
// as a merchant would look it up in Tencent's console.
func (s *Sandbox) RecentTokens() []TokenState {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sessions := make([]*session, 0, len(s.tokens))
	for _, ss := range s.tokens {
		sessions = append(sessions, ss)
	}
	slices.SortFunc(sessions, func(a, b *session) int { return cmp.Compare(b.seq, a.seq) })
	out := make([]TokenState, 0, min(len(sessions), maxListedTokens))
	for _, ss := range sessions[:min(len(sessions), maxListedTokens)] {
		out = append(out, s.tokenStateLocked(ss, now))
	}
	return out
}

// tokenStateLocked must be called with s.mu held.
func (s *Sandbox) tokenStateLocked(ss *session, now time.Time) TokenState {
	st := TokenState{
		BizToken: ss.token, Action: actionApplyIntl, State: s.state(ss, now), IssuedAt: ss.issued,
		StartDeadline: s.startDeadline(ss), ResultDeadline: s.resultDeadline(ss),
		CheckMode: ss.cfg.checkMode, IDCardType: ss.cfg.idCardType, Language: ss.cfg.language,
		ThemeColor: ss.cfg.themeColor, AutoSkip: ss.cfg.autoSkip, HasCompareImage: ss.cfg.hasCompareImage,
		Outcomes: outcomesFor(ss), ResultReads: ss.reads,
	}
	if ss.legacy {
		st.Action = actionApplyLegacy
	}
	if !ss.started.IsZero() {
		st.StartedAt = ptr(ss.started)
	}
	if !ss.finished.IsZero() {
		st.FinishedAt, st.Outcome, st.ErrorCode = ptr(ss.finished), ptr(ss.outcome), ptr(ss.verdict.errorCode)
	}
	return st
}

func writeControlJSON(w http.ResponseWriter, status int, v any) {
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeControlError(w http.ResponseWriter, status int, code, msg string) {
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeControlJSON(w, status, struct {
		Error body `json:"error"`
	}{body{code, msg}})
}

// decodeControl reads a strict JSON body into dst.
func decodeControl(w http.ResponseWriter, r *http.Request, dst any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil || dec.More() {
		writeControlError(w, http.StatusBadRequest, "bad_request", "The body must be one JSON object with the documented fields.")
		return false
	}
	return true
}

// writeTokenError maps the token errors to HTTP statuses.
func writeTokenError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrUnknownToken):
		writeControlError(w, http.StatusNotFound, "unknown_token", err.Error())
	case errors.Is(err, ErrTokenExpired):
		writeControlError(w, http.StatusGone, "token_expired", err.Error())
	case errors.Is(err, ErrAlreadyFinished):
		writeControlError(w, http.StatusConflict, "already_finished", err.Error())
	default:
		writeControlError(w, http.StatusBadRequest, "invalid_outcome", err.Error())
	}
}

func (s *Sandbox) controlOutcome(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BizToken string
		Outcome  Outcome
	}
	if !decodeControl(w, r, &req) {
		return
	}
	if err := s.SetOutcome(req.BizToken, req.Outcome); err != nil {
		writeTokenError(w, err)
		return
	}
	s.writeTokenState(w, req.BizToken)
}

func (s *Sandbox) controlTokens(w http.ResponseWriter, _ *http.Request) {
	writeControlJSON(w, http.StatusOK, struct{ Tokens []TokenState }{s.RecentTokens()})
}

func (s *Sandbox) controlToken(w http.ResponseWriter, r *http.Request) {
	s.writeTokenState(w, r.PathValue("token"))
}

func (s *Sandbox) writeTokenState(w http.ResponseWriter, token string) {
	st, err := s.TokenState(token)
	if err != nil {
		writeTokenError(w, err)
		return
	}
	writeControlJSON(w, http.StatusOK, st)
}

func (s *Sandbox) currentFaults() controlFaults {
	f := s.faults.Load()
	return controlFaults{f.Latency.Milliseconds(), f.InternalErrorRate, f.ThrottleRate, f.DropRate, f.DropAfterRate, f.ThrottleCode}
}

func (s *Sandbox) controlGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeControlJSON(w, http.StatusOK, s.currentFaults())
}

func (s *Sandbox) controlPutFaults(w http.ResponseWriter, r *http.Request) {
	var f controlFaults
	if !decodeControl(w, r, &f) {
		return
	}
	for _, rate := range []float64{f.InternalErrorRate, f.ThrottleRate, f.DropRate, f.DropAfterRate} {
		if math.IsNaN(rate) || rate < 0 || rate > 1 {
			writeControlError(w, http.StatusBadRequest, "bad_request", "Rates must be from 0 to 1.")
			return
		}
	}
	if f.ThrottleCode != "" && !slices.Contains(ThrottleCodes, f.ThrottleCode) {
		writeControlError(w, http.StatusBadRequest, "bad_request", "ThrottleCode must be RequestLimitExceeded or FailedOperation.RequestLimitExceeded.")
		return
	}
	if f.LatencyMs < 0 || f.LatencyMs > int64(time.Hour/time.Millisecond) {
		writeControlError(w, http.StatusBadRequest, "bad_request", "LatencyMs must be from 0 to one hour.")
		return
	}
	s.SetFaults(Faults{
		Latency:           time.Duration(f.LatencyMs) * time.Millisecond,
		InternalErrorRate: f.InternalErrorRate, ThrottleRate: f.ThrottleRate, DropRate: f.DropRate,
		DropAfterRate: f.DropAfterRate, ThrottleCode: f.ThrottleCode,
	})
	writeControlJSON(w, http.StatusOK, s.currentFaults())
}

type clockState struct {
	Now           time.Time
	OffsetSeconds float64
}

func (s *Sandbox) clockState() clockState {
	return clockState{Now: s.now(), OffsetSeconds: time.Duration(s.offset.Load()).Seconds()}
}

func (s *Sandbox) controlGetClock(w http.ResponseWriter, _ *http.Request) {
	writeControlJSON(w, http.StatusOK, s.clockState())
}

// controlAdvanceClock adds AdvanceSeconds (may be negative) to the sandbox clock. It is a
// test-only lever: it moves token windows, link expiry and the rate limiter, but not the
// signature check, so clients signing with the real time keep working.
func (s *Sandbox) controlAdvanceClock(w http.ResponseWriter, r *http.Request) {
	var req struct{ AdvanceSeconds int64 }
	if !decodeControl(w, r, &req) {
		return
	}
	const limit = 10 * 365 * 24 * 3600
	if req.AdvanceSeconds < -limit || req.AdvanceSeconds > limit {
		writeControlError(w, http.StatusBadRequest, "bad_request", "AdvanceSeconds must be within ten years.")
		return
	}
	s.advanceClock(time.Duration(req.AdvanceSeconds) * time.Second)
	writeControlJSON(w, http.StatusOK, s.clockState())
}
