package core

import (
	"context"
	"net/http"
	"net/url"
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
		loc, err := s.callback(r.Context(), r, token)
		if err != nil {
			return err
		}
		s.cookie.clear(w)
		redirect(w, loc)
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

// callback finishes the browser's part: it checks the binding, reads the result once (a
// stored terminal result needs no Tencent call), stores a terminal result and returns
// where to send the browser. Pending or an unavailable Tencent is not an error here: the
// browser goes back with status pending and a ticket to poll /result with.
func (s *Service) callback(ctx context.Context, r *http.Request, token string) (string, error) {
	hash := tokenHash(token)
	sess, err := s.loadSession(ctx, hash)
	if err != nil {
		return "", err
	}
	if sess.BindingHash != "" && !s.cookie.bound(r, sess.BindingHash) {
		return "", errorf(CodeBindingMismatch, "This verification was started in another browser. Please start again on this device.")
	}
	res, err := s.loadResult(ctx, hash)
	if err != nil {
		return "", err
	}
	if res == nil {
		if !s.now().Before(sess.ExpiresAt) {
			return "", errorf(CodeTokenExpired, "This verification has expired. Please start again.")
		}
		res, err = s.checkTencent(ctx, token, hash, sess, s.cfg.CallbackTimeout)
		if err != nil {
			e := asError(err)
			s.log.WarnContext(ctx, "result not available at callback; answering pending",
				"session", shortHash(hash), "code", e.Code, "err", e.Err)
			res = nil
		}
	}
	status := StatusPending
	if res != nil {
		status = res.Status
	}
	ticket := signTicketHash(s.cfg.TicketSecrets[0], hash, status, s.now().Add(s.cfg.TicketTTL))
	return appendQuery(sess.ReturnTo, url.Values{
		"token":  {token},
		"ticket": {ticket},
		"status": {string(status)},
	}), nil
}
