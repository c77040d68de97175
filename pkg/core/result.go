package core

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// pendingRetryAfter is the polling interval suggested while a verification is pending.
const pendingRetryAfter = 3 * time.Second

// Result is the merchant's full result: GET /result with the merchant key.
type Result struct {
	// Session is the verification's opaque id: webhooks name it, and GET and DELETE
	// /result?session= take it.
	Session string `json:"session"`
	Status  Status `json:"status"`
	// Category says why a verification failed or expired: liveness, compare, document,
	// timeout, user_exit, retry_limit, expired or system.
	Category string `json:"category,omitempty"`
	// Code is Tencent's raw ErrorCode.
	Code *int64 `json:"code,omitempty"`
	// Message is a short sentence the end user can act on.
	Message     string      `json:"message"`
	Flow        Flow        `json:"flow"`
	Reference   string      `json:"reference,omitempty"`
	Extra       string      `json:"extra,omitempty"`
	CreatedAt   time.Time   `json:"createdAt"`
	CompletedAt *time.Time  `json:"completedAt,omitempty"`
	ExpiresAt   time.Time   `json:"expiresAt"`
	Attempts    []Attempt   `json:"attempts,omitempty"`
	Documents   []Document  `json:"documents,omitempty"`
	Media       []MediaLink `json:"media,omitempty"`
}

// Summary is what the user's browser may see with a ticket: no codes, no data. Its message
// is in the language the user chose at start (Lang), as every page of the flow is.
type Summary struct {
	Status   Status `json:"status"`
	Category string `json:"category,omitempty"`
	Message  string `json:"message"`
	Lang     string `json:"lang"`
}

// ResultHandler returns the handler of the result function: GET /result?token= with
// either the merchant key (full result) or ?ticket= (summary); with the merchant key also
// GET /result?session= (full result), GET /result?reference= (the sessions of a merchant
// reference) and DELETE /result?session= or ?token= (delete a verification).
func (s *Service) ResultHandler() http.Handler {
	methods := methodsOf("result")
	// Browsers read results; only a merchant's backend deletes, so CORS allows GET alone.
	return secure(s.cors([]string{http.MethodGet}, s.endpoint(neverHTML, func(w http.ResponseWriter, r *http.Request) error {
		switch r.Method {
		case http.MethodGet:
			return s.serveResult(w, r)
		case http.MethodDelete:
			return s.serveDelete(w, r)
		}
		return methodNotAllowed(w, r, methods)
	})))
}

func (s *Service) serveResult(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	merchant, err := s.merchantAuth(r)
	if err != nil {
		return err
	}
	q, err := resultQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	if q.handoff != "" {
		st, err := s.handoffStatus(ctx, q.handoff, q.watch)
		if err != nil {
			return err
		}
		if st.State == "waiting" || st.State == "started" {
			w.Header().Set("Retry-After", strconv.Itoa(int(pendingRetryAfter/time.Second)))
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	}
	if q.reference != "" || q.session != "" {
		if !merchant {
			return errorf(CodeUnauthorized, "Looking up by session or reference needs the merchant key.")
		}
		if q.reference != "" {
			return s.serveReference(w, r, q)
		}
	}
	if !merchant {
		if q.ticket == "" {
			return errorf(CodeUnauthorized, "Send the merchant key, or the ticket the callback gave this browser.")
		}
		if _, err := verifyTicketHash(s.cfg.TicketSecrets, q.hash, q.ticket, s.now()); err != nil {
			return errorf(CodeInvalidTicket, "The ticket is not valid for this verification or has expired.")
		}
	}
	res, sess, err := s.lookup(ctx, q.token, q.hash)
	if err != nil {
		return err
	}
	if res == nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(pendingRetryAfter/time.Second)))
	}
	if !merchant {
		writeJSON(w, http.StatusOK, summaryOf(res, sess))
		return nil
	}
	out, err := s.fullResult(ctx, q.hash, res, sess)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) serveDelete(w http.ResponseWriter, r *http.Request) error {
	merchant, err := s.merchantAuth(r)
	if err != nil {
		return err
	}
	if !merchant {
		return errorf(CodeUnauthorized, "Deleting a verification needs the merchant key.")
	}
	q, err := resultQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	if q.hash == "" || q.ticket != "" || q.handoff != "" {
		return errorf(CodeInvalidRequest, "DELETE /result takes session or token, and nothing else.")
	}
	if err := s.deleteSession(r.Context(), q.hash); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lookup finds the result of a session: from the store when terminal (one read), else with
// one Tencent call, storing the result if it has become terminal. A nil result with its
// session means pending. token may be empty (a lookup by session id), and is then opened
// from the session record.
func (s *Service) lookup(ctx context.Context, token, hash string) (*resultRecord, *sessionRecord, error) {
	res, err := s.loadResult(ctx, hash)
	if err != nil || res != nil {
		return res, nil, err
	}
	sess, err := s.loadSession(ctx, hash)
	if err != nil {
		return nil, nil, err
	}
	if !s.now().Before(sess.ExpiresAt) {
		return nil, nil, errorf(CodeTokenExpired, "This verification has expired.")
	}
	if token == "" {
		if token, err = s.tokens.open(sess.Token, hash); err != nil {
			// Without its token (a session from before tokens were kept) only the stored
			// state can answer, and it says pending.
			return nil, sess, nil
		}
	}
	// The merchant's backend can wait for the client's own timeout.
	res, err = s.checkTencent(ctx, token, hash, sess, 0)
	if err != nil {
		return nil, nil, err
	}
	return res, sess, nil
}

// summaryOf is the user's view of a result (nil: pending), in the session's language.
func summaryOf(res *resultRecord, sess *sessionRecord) Summary {
	if res == nil {
		lang := ""
		if sess != nil {
			lang = sess.Options.Language
		}
		return pendingSummary(lang)
	}
	lang := knownLanguage(res.Language)
	msg := res.Message // results stored before message ids were kept say it in English
	if res.MessageID != "" {
		msg = res.MessageID.Text(lang)
	} else {
		lang = DefaultLanguage
	}
	return Summary{Status: res.Status, Category: res.Category, Message: msg, Lang: lang}
}

// pendingSummary is the summary of a verification without a result, in lang (a session's
// language; the default when empty or not in the catalogue).
func pendingSummary(lang string) Summary {
	lang = knownLanguage(lang)
	return Summary{Status: StatusPending, Message: MsgPending.Text(lang), Lang: lang}
}

func (s *Service) fullResult(ctx context.Context, hash string, res *resultRecord, sess *sessionRecord) (*Result, error) {
	if res == nil {
		return &Result{
			Session:   hash,
			Status:    StatusPending,
			Message:   MsgPending.Text(DefaultLanguage),
			Flow:      sess.Flow,
			Reference: sess.Reference,
			Extra:     sess.Extra,
			CreatedAt: sess.CreatedAt,
			ExpiresAt: sess.ExpiresAt,
		}, nil
	}
	links, err := s.mediaLinks(ctx, res.Media)
	if err != nil {
		return nil, err
	}
	completed := res.CompletedAt
	return &Result{
		Session:     hash,
		Status:      res.Status,
		Category:    res.Category,
		Code:        res.Code,
		Message:     res.Message,
		Flow:        res.Flow,
		Reference:   res.Reference,
		Extra:       res.Extra,
		CreatedAt:   res.CreatedAt,
		CompletedAt: &completed,
		ExpiresAt:   res.ExpiresAt,
		Attempts:    res.Attempts,
		Documents:   res.Documents,
		Media:       links,
	}, nil
}
