package core

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// maxTokenLength bounds a BizToken; Tencent's are 36-character UUIDs.
const maxTokenLength = 128

// validToken accepts the shape of a BizToken: 1-128 characters of letters, digits, '-',
// '_' and '.'. Anything else is refused before it reaches the store or Tencent.
func validToken(t string) bool {
	if t == "" || len(t) > maxTokenLength {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// tokenParams reads the token (and, where allowed, the ticket) from a short query string.
// Each must appear at most once; other parameters are refused unless ignoreOthers (the
// callback URL may carry the deployment's own parameters).
func tokenParams(raw string, allowTicket, ignoreOthers bool) (token, ticket string, err error) {
	if len(raw) > maxShortQuery {
		return "", "", errorf(CodeInvalidRequest, "The query string is longer than %d bytes.", maxShortQuery)
	}
	q, perr := url.ParseQuery(raw)
	if perr != nil {
		return "", "", errorf(CodeInvalidRequest, "The query string is malformed.")
	}
	for k, v := range q {
		known := k == "token" || allowTicket && k == "ticket"
		if !known {
			if ignoreOthers {
				continue
			}
			return "", "", errorf(CodeInvalidRequest, "Unknown query parameter %q.", clip(k, 40))
		}
		if len(v) != 1 {
			return "", "", errorf(CodeInvalidRequest, "The query parameter %q is repeated.", k)
		}
	}
	token, ticket = q.Get("token"), q.Get("ticket")
	if !validToken(token) {
		return "", "", errorf(CodeInvalidToken, "The verification token is missing or malformed.")
	}
	return token, ticket, nil
}

// Callback returns the handler of the callback function: GET /callback?token=, where
// Tencent sends the user's browser when the verification is done.
func (s *Service) Callback() http.Handler {
	methods := methodsOf("callback")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		if r.Method != http.MethodGet {
			s.methodNotAllowed(w, r, methods...)
			return
		}
		html := !prefersJSON(r)
		token, _, err := tokenParams(r.URL.RawQuery, false, true)
		if err != nil {
			s.writeError(w, r, err, html)
			return
		}
		loc, err := s.callback(r.Context(), r, token)
		if err != nil {
			s.writeError(w, r, err, html)
			return
		}
		s.cookie.clear(w)
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusFound)
	})
}

// prefersJSON reports whether a caller asked for JSON rather than a page; the callback is a
// browser navigation, so it answers pages unless asked otherwise.
func prefersJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
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
		res, err = s.fetchResult(ctx, token, hash, sess, s.cfg.CallbackTimeout)
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
