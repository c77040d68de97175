package core

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CallbackHandler returns the handler of the callback function: GET /callback?token=,
// where Tencent sends the user's browser when the verification is done.
func (s *Service) CallbackHandler() http.Handler {
	methods := methodsOf("callback")
	return secure(s.endpoint(callbackPage, func(w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodGet {
			return methodNotAllowed(w, r, methods)
		}
		token, err := callbackToken(r.URL.RawQuery)
		if err != nil {
			return err
		}
		land, err := s.callback(r.Context(), r, token)
		if isCode(err, CodeStorageUnavailable) && callbackPage(r) {
			s.logRefusal(r, asError(err))
			s.waitingPage(w, r)
			return nil
		}
		if err != nil {
			return err
		}
		if land.phone != nil {
			s.writePage(w, *land.phone)
			return nil
		}
		redirect(w, land.returnTo)
		return nil
	}))
}

// callbackPage says whether a callback error is answered as a page: the callback is a
// browser navigation, so it answers pages unless the caller asked for JSON.
func callbackPage(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	accept := r.Header.Get("Accept")
	return !(strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html"))
}

// callback finishes the browser's part: it checks the binding, learns the result (see
// settle), and returns where to send the browser. Pending or an unavailable Tencent is not an error here: the
// browser goes back with status pending and a ticket to poll /result with. Once the
// session is known, every refusal goes back to the merchant's page too, with
// status=error and its code, so the user never meets a dead end.
//
// The binding cookie is not cleared: it lives as long as a user may take on Tencent's page
// (StartWindow plus BindingFinishTime) and no longer, so a user who comes back pending,
// finishes and opens the link again is still recognised, and so is one who reopens the
// callback of a finished verification.
func (s *Service) callback(ctx context.Context, r *http.Request, token string) (callbackLanding, error) {
	hash := tokenHash(token)
	sess, err := s.loadSession(ctx, hash)
	if err != nil {
		return callbackLanding{}, err
	}
	back := func(err error) (callbackLanding, error) {
		return callbackLanding{}, &returnError{returnTo: sess.ReturnTo, err: err}
	}
	if sess.BindingHash != "" && !s.cookie.bound(r, sess.BindingHash) {
		return back(errorf(CodeBindingMismatch, "This verification was started in another browser. Please start again on this device."))
	}
	res, err := s.settle(ctx, token, hash, sess)
	if err != nil {
		return back(err)
	}
	if sess.Handoff != "" {
		return callbackLanding{phone: s.backToComputer(r, sess, res)}, nil
	}
	status := StatusPending
	if res != nil {
		status = res.Status
	}
	ticket := signTicketHash(s.cfg.TicketSecrets[0], hash, status, s.now().Add(s.cfg.TicketTTL))
	return callbackLanding{returnTo: appendQuery(sess.ReturnTo, url.Values{
		"token":  {token},
		"ticket": {ticket},
		"status": {string(status)},
	})}, nil
}

// settle is the callback's one look at the result. A user arriving here has usually just
// finished, with nothing stored yet, so the callback asks Tencent first (within the
// session's read slot) and stores a terminal answer with a create-only write, whose
// conflict returns what another writer stored first: one store read, the session's,
// on the common path. The stored result is read instead when the slot is taken or the
// session's lifetime is over. Tencent unavailable is pending, not an error: the return
// page polls /result.
func (s *Service) settle(ctx context.Context, token, hash string, sess *sessionRecord) (*resultRecord, error) {
	if !s.now().Before(sess.ExpiresAt) {
		res, err := s.loadResult(ctx, hash)
		if err == nil && res == nil {
			err = errorf(CodeTokenExpired, "This verification has expired. Please start again.")
		}
		return res, err
	}
	claimed, err := s.claimCheck(ctx, hash, s.now())
	if err != nil {
		return nil, err
	}
	if !claimed {
		return s.loadResult(ctx, hash)
	}
	res, err := s.fetchResult(ctx, token, hash, sess, s.cfg.CallbackTimeout)
	switch {
	case isDeleted(err) || isCode(err, CodeStorageUnavailable):
		return nil, err
	case err != nil:
		e := asError(err)
		s.log.WarnContext(ctx, "result not available at callback; answering pending",
			"session", shortHash(hash), "code", e.Code, "err", logErr(e.Err))
	case res != nil:
		s.queueOrLog(ctx, hash, res)
		return res, nil
	}
	// Tencent says pending (or did not answer): what is stored stands, if anything is; a
	// terminal status is never downgraded.
	return s.loadResult(ctx, hash)
}

// callbackLanding is where the callback leaves the browser: the merchant's returnTo, or,
// for a phone that took over from a computer, a page of ours.
type callbackLanding struct {
	returnTo string
	phone    *page
}

// backToComputer is the phone's last page of a handoff: the verification goes on, or
// ended, on the computer that asked for it; the phone gets no token and no ticket.
//
// Without a result (Tencent had none yet, or another read of the session held its check
// slot) it says the computer will show it: the phone's user has just left Tencent's page,
// and the sweeper finishes the verification for the computer if nobody asks again.
func (s *Service) backToComputer(r *http.Request, sess *sessionRecord, res *resultRecord) *page {
	lang := pageLanguage(r, sess.Options.Language)
	msg := MsgUIResultOnComputer
	switch {
	case res == nil:
	case res.MessageID != "":
		msg = res.MessageID
	case res.Status == StatusPassed:
		msg = MsgPassed
	default:
		msg = MsgFailedUnknown
	}
	return &page{status: http.StatusOK, lang: lang, title: MsgUIBackToComputer.Text(lang), lines: []string{msg.Text(lang)}}
}

// maxCallbackRetries is how often the waiting page reloads before it gives up.
const maxCallbackRetries = 3

// waitingPage answers a callback that could not read the store: the page reloads itself a
// few times (the parameter fg_retry counts, and the callback ignores it), then tells the
// user their verification is safe and where to go.
func (s *Service) waitingPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLanguage(r, "")
	attempt, _ := strconv.Atoi(r.URL.Query().Get("fg_retry"))
	w.Header().Set("Retry-After", strconv.Itoa(refreshSeconds))
	p := page{
		status: http.StatusServiceUnavailable, lang: lang, code: CodeStorageUnavailable,
		title: CodeStorageUnavailable.Title().Text(lang),
		link:  s.homeLink(lang),
	}
	if attempt < maxCallbackRetries {
		q := r.URL.Query()
		q.Set("fg_retry", strconv.Itoa(attempt+1))
		p.lines = []string{MsgUIRetryPage.Text(lang)}
		p.refresh = &pageLink{href: "?" + q.Encode()}
	} else {
		p.lines = []string{MsgUISafeToClose.Text(lang)}
	}
	s.writePage(w, p)
}
