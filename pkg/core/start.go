package core

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/pkg/faceid"
)

// Limits of the caller's own fields.
const (
	MaxExtraRunes     = faceid.MaxExtraRunes
	MaxReferenceRunes = 128
)

// StartOptions are the options of /start: the JSON body of POST /start, or the query
// parameters of the same names on GET /start (where compareImage is not accepted).
type StartOptions struct {
	// ReturnTo is where the callback sends the browser; it must match the allowlist.
	ReturnTo string `json:"returnTo"`
	// Extra is passed through Tencent and returned with the result (at most 1000 characters).
	Extra string `json:"extra,omitempty"`
	// Reference is the merchant's own reference (at most 128 characters), kept with the session.
	Reference string `json:"reference,omitempty"`
	// Language of Tencent's page: en, zh-cn, zh-tc, th or id, within the policy.
	Language string `json:"lang,omitempty"`
	// Mode is Tencent's CheckMode (1 document+liveness+compare, 2 liveness+compare, 3
	// liveness, 4 document), within the policy.
	Mode int64 `json:"mode,omitempty"`
	// DocumentType is Tencent's IDCardType for modes 1 and 4, within the policy.
	DocumentType string `json:"documentType,omitempty"`
	// RuleID is a console business process, within the policy.
	RuleID string `json:"ruleId,omitempty"`
	// CompareImage is the reference photo as base64 (no data: prefix), POST only.
	CompareImage string `json:"compareImage,omitempty"`
	// CompareImageKey names the reference photo in the bucket, under an allowed prefix.
	CompareImageKey string `json:"compareImageKey,omitempty"`
	// StartToken is a merchant-signed start token (see SignStartToken).
	StartToken string `json:"startToken,omitempty"`
	// Handoff, on POST /start, asks for a link that starts the verification on another
	// device (a phone) instead of here; see HandoffResponse.
	Handoff bool `json:"handoff,omitempty"`
}

// StartResponse is the body of a successful POST /start.
type StartResponse struct {
	// Token is the BizToken; a merchant backend keeps it to ask /result later.
	Token string `json:"token"`
	// Session is the verification's opaque id, as webhooks and /result?session= name it.
	Session string `json:"session"`
	// VerificationURL is Tencent's page, where the user's browser goes next.
	VerificationURL string `json:"verificationUrl"`
	// ExpiresAt is when the verification can no longer be started on that page.
	ExpiresAt time.Time `json:"expiresAt"`
	// Flow is the Tencent flow used.
	Flow Flow `json:"flow"`
	// Bound tells whether the answer set the browser-binding cookie (not for merchant backends).
	Bound bool `json:"bound"`
}

// StartHandler returns the handler of the start function: GET /start for a page that
// navigates (302 to Tencent's page), POST /start for JSON callers (201).
func (s *Service) StartHandler() http.Handler {
	methods := methodsOf("start")
	return secure(s.cors(methods, s.endpoint(wantsHTML, func(w http.ResponseWriter, r *http.Request) error {
		switch r.Method {
		case http.MethodGet:
			return s.serveStartGet(w, r)
		case http.MethodPost:
			return s.serveStartPost(w, r)
		}
		return methodNotAllowed(w, r, methods)
	})))
}

func (s *Service) serveStartGet(w http.ResponseWriter, r *http.Request) error {
	backend, err := s.merchantAuth(r)
	if err != nil {
		return err
	}
	if id, secret, ok, err := handoffQuery(r.URL.RawQuery); ok || err != nil {
		if err != nil {
			return err
		}
		res, nonce, err := s.openHandoff(r.Context(), id, secret)
		if err != nil {
			return err
		}
		s.cookie.set(w, nonce)
		redirect(w, res.VerificationURL)
		return nil
	}
	opts, err := startOptionsFromQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	res, nonce, err := s.start(r.Context(), opts, caller{backend: backend})
	if err != nil {
		if returnTo := s.startReturnTo(opts); returnTo != "" {
			return &returnError{returnTo: returnTo, err: err}
		}
		return err
	}
	if nonce != "" {
		s.cookie.set(w, nonce)
	}
	redirect(w, res.VerificationURL)
	return nil
}

func (s *Service) serveStartPost(w http.ResponseWriter, r *http.Request) error {
	backend, err := s.merchantAuth(r)
	if err != nil {
		return err
	}
	var opts StartOptions
	if err := decodeJSON(w, r, MaxStartBody, &opts); err != nil {
		return err
	}
	if opts.Handoff {
		res, err := s.createHandoff(r.Context(), r, opts, backend)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, res)
		return nil
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if !backend {
			return errorf(CodeInvalidRequest, "Idempotency-Key goes with the merchant key: only a backend start can be repeated.")
		}
		res, replayed, err := s.idempotentStart(r.Context(), key, opts)
		if err != nil {
			return err
		}
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		writeJSON(w, http.StatusCreated, res)
		return nil
	}
	res, nonce, err := s.start(r.Context(), opts, caller{backend: backend})
	if err != nil {
		return err
	}
	if nonce != "" {
		s.cookie.set(w, nonce)
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// startReturnTo is the merchant page a refused navigation to /start goes back to: the
// returnTo it named (or its start token did), when that is on the allowlist.
func (s *Service) startReturnTo(opts StartOptions) string {
	returnTo := opts.ReturnTo
	if returnTo == "" && opts.StartToken != "" && len(s.cfg.StartTokenSecrets) > 0 {
		if p, err := verifyStartToken(s.cfg.StartTokenSecrets, opts.StartToken, s.now()); err == nil {
			returnTo = p.ReturnTo
		}
	}
	if returnTo == "" || s.allow.Check(returnTo) != nil {
		return ""
	}
	return returnTo
}

// handoffQuery reads a phone's opening of a handoff link: GET /start?handoff=&k=. ok says
// the query is one; it then carries nothing else.
func handoffQuery(raw string) (id, secret string, ok bool, err error) {
	if !strings.Contains(raw, "handoff=") {
		return "", "", false, nil
	}
	q, err := parseQuery(raw, maxShortQuery, []string{"handoff", "k"}, false)
	if err != nil {
		return "", "", true, err
	}
	return q.Get("handoff"), q.Get("k"), true, nil
}

// startQueryParams are the options GET /start accepts; anything else is refused.
var startQueryParams = []string{"returnTo", "extra", "reference", "lang", "mode", "documentType", "ruleId", "compareImageKey", "startToken"}

func startOptionsFromQuery(raw string) (StartOptions, error) {
	var o StartOptions
	q, err := parseQuery(raw, maxQuery, append(startQueryParams, "compareImage"), false)
	if err != nil {
		return o, err
	}
	if q.Has("compareImage") {
		return o, errorf(CodeInvalidRequest, "compareImage is accepted only in the body of POST /start.")
	}
	o.ReturnTo, o.Extra, o.Reference = q.Get("returnTo"), q.Get("extra"), q.Get("reference")
	o.Language, o.DocumentType, o.RuleID = q.Get("lang"), q.Get("documentType"), q.Get("ruleId")
	o.CompareImageKey, o.StartToken = q.Get("compareImageKey"), q.Get("startToken")
	if m := q.Get("mode"); m != "" {
		n, err := strconv.ParseInt(m, 10, 64)
		if err != nil || n < 1 || n > 4 {
			return o, errorf(CodeInvalidOption, "mode must be 1, 2, 3 or 4.")
		}
		o.Mode = n
	}
	return o, nil
}

// caller is who asks /start: a merchant backend (its key), or a browser.
type caller struct {
	backend bool
	// authorized says the start was authorised before (a handoff, at its creation).
	authorized bool
	// wrote says the store already took a write for this start (an idempotency record,
	// a handoff's claim), so the write-ahead check is done.
	wrote bool
	// handoff names the handoff this start comes from, if any.
	handoff string
}

// start runs one start: check and resolve the options, make sure the store takes writes
// (and spend a start token) before anything billed, call Tencent, record the session. It
// returns the answer and, unless a merchant backend called, the binding nonce to set.
func (s *Service) start(ctx context.Context, opts StartOptions, who caller) (*StartResponse, string, error) {
	var exp time.Time
	if !who.authorized {
		var err error
		if opts, exp, err = s.authorizeStart(opts, who.backend); err != nil {
			return nil, "", err
		}
	}
	f := s.startFlow()
	p, err := s.resolve(ctx, f, opts)
	if err != nil {
		return nil, "", err
	}
	if opts.StartToken != "" {
		if err := s.spendStartToken(ctx, opts.StartToken, exp); err != nil {
			return nil, "", err
		}
	} else if !who.wrote {
		done, err := s.writeAhead(ctx)
		if err != nil {
			return nil, "", err
		}
		defer done()
	}
	var nonce, binding string
	if !who.backend {
		if nonce, binding, err = s.newNonce(); err != nil {
			return nil, "", internalError(err)
		}
	}
	token, verifyURL, err := f.apply(ctx, p)
	if err != nil {
		return nil, "", err
	}
	now := s.now().UTC()
	rec := &sessionRecord{
		Version:     schemaVersion,
		Flow:        s.cfg.Flow,
		CreatedAt:   now,
		StartBy:     now.Add(s.cfg.StartWindow),
		ExpiresAt:   now.Add(s.cfg.SessionTTL),
		ReturnTo:    p.opts.ReturnTo,
		Extra:       p.opts.Extra,
		Reference:   p.opts.Reference,
		BindingHash: binding,
		Handoff:     who.handoff,
		Options: recordOptions{
			Language:     p.opts.Language,
			Mode:         p.mode,
			DocumentType: p.docType,
			RuleID:       p.ruleID,
			CompareImage: p.imageSource,
		},
	}
	hash := tokenHash(token)
	if rec.Token, err = s.tokens.seal(token, hash, s.rand); err != nil {
		return nil, "", internalError(err)
	}
	if err := s.recordSession(ctx, hash, rec); err != nil {
		return nil, "", err
	}
	s.index(ctx, hash, rec)
	s.log.InfoContext(ctx, "verification started", "session", shortHash(hash), "flow", s.cfg.Flow,
		"mode", p.mode, "lang", p.opts.Language, "bound", !who.backend)
	return &StartResponse{Token: token, Session: hash, VerificationURL: verifyURL, ExpiresAt: rec.StartBy, Flow: s.cfg.Flow, Bound: !who.backend}, nonce, nil
}

// index writes a new session's entries in the sweeper's schedule and, when it has one,
// its reference's folder. The session is already recorded and the user already on the
// way, so a failure here is logged (with the session's short hash, for an operator) rather
// than answered: without its schedule the session is still finished by its user's callback
// or a merchant's read.
func (s *Service) index(ctx context.Context, hash string, rec *sessionRecord) {
	keys := []string{firstDue(hash, rec.CreatedAt)}
	if rec.Reference != "" {
		keys = append(keys, refKey(rec.Reference, rec.CreatedAt, hash))
	}
	for _, key := range keys {
		if err := s.createMarker(ctx, key, nil); err != nil {
			s.log.ErrorContext(ctx, "session recorded, but not indexed", "session", shortHash(hash), "err", logErr(err))
		}
	}
}
