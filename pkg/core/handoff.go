package core

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/facegate/facegate/pkg/storage"
)

// Cross-device handoff: a desktop page asks /start for a handoff (with the merchant key or
// a start token, like any start), shows its link as a QR code, and follows the
// verification through a status that reveals only a summary. The phone opens the link
// once: that opening starts the verification with the options the merchant fixed at
// creation and binds it to the phone's browser, exactly as a direct start would. Nothing
// is billed until the phone opens the link.
//
//	handoffs/<id>.json     the options, the secrets' hashes, the expiry (create-only)
//	handoffs/<id>.claim    the phone's opening: create-only, so the link works once
//	handoffs/<id>.session  which session the opening started (or why it did not)

// HandoffTTL is how long a handoff link may wait for the phone.
const HandoffTTL = 10 * time.Minute

const handoffsPrefix = "handoffs/"

func handoffKey(id, part string) string { return handoffsPrefix + id + "." + part }

// HandoffResponse is the answer to POST /start with "handoff": true.
type HandoffResponse struct {
	// Handoff names the handoff; Watch is the desktop's secret for following it.
	Handoff string `json:"handoff"`
	// URL is the link for the phone (single use); QRCode is it as an SVG image.
	URL    string `json:"url"`
	QRCode string `json:"qrCode"`
	// StatusURL is where the desktop page follows the verification (GET, summary only).
	StatusURL string    `json:"statusUrl"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// HandoffStatus is what the desktop page may see: the state of the handoff and, once the
// verification is over, its summary and where to continue, as a direct flow's return.
type HandoffStatus struct {
	// State is waiting (for the phone), started (on the phone), done, expired (the link
	// was never opened in time) or error.
	State string `json:"state"`
	// Summary is the verification's, once started.
	*Summary
	// Code says why, when State is error.
	Code Code `json:"code,omitempty"`
	// Continue is returnTo with token, ticket and status, once done.
	Continue string `json:"continue,omitempty"`
}

type handoffRecord struct {
	Version   int          `json:"version"`
	Options   StartOptions `json:"options"`
	PhoneHash string       `json:"phone"` // SHA-256 of the phone link's secret
	WatchHash string       `json:"watch"` // SHA-256 of the desktop's secret
	CreatedAt time.Time    `json:"createdAt"`
	ExpiresAt time.Time    `json:"expiresAt"`
}

type handoffSession struct {
	Version int    `json:"version"`
	Session string `json:"session,omitempty"`
	Error   Code   `json:"error,omitempty"`
}

// createHandoff checks that opts could start a verification (authorisation, policy, the
// compare image's key) and records them for the phone. It spends a start token, but
// nothing at Tencent.
func (s *Service) createHandoff(ctx context.Context, r *http.Request, opts StartOptions, backend bool) (*HandoffResponse, error) {
	if opts.CompareImage != "" {
		return nil, errorf(CodeInvalidOption, "A handoff takes a compare image by compareImageKey, not inline.")
	}
	opts, exp, err := s.authorizeStart(opts, backend)
	if err != nil {
		return nil, err
	}
	if _, err := s.resolve(ctx, s.startFlow(), opts); err != nil {
		return nil, err
	}
	if opts.StartToken != "" {
		if err := s.spendStartToken(ctx, opts.StartToken, exp); err != nil {
			return nil, err
		}
		opts.StartToken = ""
	}
	var raw [3][32]byte
	for i := range raw {
		if _, err := io.ReadFull(s.rand, raw[i][:]); err != nil {
			return nil, internalError(err)
		}
	}
	id := hex.EncodeToString(raw[0][:]) // 64 hex digits, like a session id, for the due index
	phone := base64.RawURLEncoding.EncodeToString(raw[1][:])
	watch := base64.RawURLEncoding.EncodeToString(raw[2][:])
	now := s.now().UTC()
	rec := handoffRecord{Version: schemaVersion, Options: opts, PhoneHash: sha256Hex(phone), WatchHash: sha256Hex(watch),
		CreatedAt: now, ExpiresAt: now.Add(HandoffTTL)}
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, internalError(err)
	}
	if err := s.store.Create(ctx, handoffKey(id, "json"), data); err != nil {
		return nil, storeError("create handoff", err)
	}
	// Everything of the handoff goes once the retention has passed.
	if err := s.createMarker(ctx, timedKey(duePrefix, now.Add(s.cfg.Retention), id+".h"), nil); err != nil {
		s.log.WarnContext(ctx, "handoff not scheduled for removal", "err", logErr(err))
	}
	base := s.publicBase(r)
	link := base + "/start?" + url.Values{"handoff": {id}, "k": {phone}}.Encode()
	if s.qrCode == nil {
		return nil, internalError(errors.New("core: handoffs need Deps.QRCode, which this function was built without"))
	}
	svg, err := s.qrCode(link)
	if err != nil {
		return nil, internalError(err)
	}
	return &HandoffResponse{
		Handoff: id, URL: link, QRCode: svg, ExpiresAt: rec.ExpiresAt,
		StatusURL: base + "/result?" + url.Values{"handoff": {id}, "watch": {watch}}.Encode(),
	}, nil
}

// publicBase is the origin (and path prefix) the functions are reached at: the callback
// URL's, which the configuration fixes, never the request's Host.
func (s *Service) publicBase(*http.Request) string {
	u, _ := url.Parse(s.cfg.CallbackURL) // validated by Config.Validate
	path := u.Path
	if i := len(path) - len("/callback"); i >= 0 && path[i:] == "/callback" {
		path = path[:i]
	}
	return u.Scheme + "://" + u.Host + path
}

// loadHandoff reads a handoff whose secret (the phone's or the desktop's) is right.
func (s *Service) loadHandoff(ctx context.Context, id, secret string, phone bool) (*handoffRecord, error) {
	notFound := errorf(CodeHandoffNotFound, "This link is not valid.")
	if !validSessionID(id) || secret == "" || len(secret) > 64 {
		return nil, notFound
	}
	data, err := s.store.Get(ctx, handoffKey(id, "json"))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, notFound
	}
	if err != nil {
		return nil, storeError("read handoff", err)
	}
	var rec handoffRecord
	if err := decodeRecord(data, &rec, &rec.Version); err != nil {
		return nil, internalError(err)
	}
	want := rec.WatchHash
	if phone {
		want = rec.PhoneHash
	}
	if subtle.ConstantTimeCompare([]byte(sha256Hex(secret)), []byte(want)) != 1 {
		return nil, notFound
	}
	return &rec, nil
}

// openHandoff is the phone opening the link: once, within its lifetime, it starts the
// verification with the handoff's options, bound to this browser.
func (s *Service) openHandoff(ctx context.Context, id, secret string) (*StartResponse, string, error) {
	rec, err := s.loadHandoff(ctx, id, secret, true)
	if err != nil {
		return nil, "", err
	}
	if !s.now().Before(rec.ExpiresAt) {
		return nil, "", errorf(CodeHandoffExpired, "This link has expired.")
	}
	// The claim is create-only: a second opening (another tab, another phone, a copy of
	// the link) is refused. It is also the write made before the billed Apply.
	err = s.store.Create(ctx, handoffKey(id, "claim"), nil)
	if errors.Is(err, storage.ErrExists) {
		return nil, "", errorf(CodeHandoffUsed, "This link was already used.")
	}
	if err != nil {
		return nil, "", storeError("claim handoff", err)
	}
	res, nonce, err := s.start(ctx, rec.Options, caller{authorized: true, wrote: true, handoff: id})
	out := handoffSession{Version: schemaVersion}
	if err != nil {
		out.Error = asError(err).Code
	} else {
		out.Session = res.Session
	}
	data, _ := json.Marshal(out)
	if werr := s.createMarker(ctx, handoffKey(id, "session"), data); werr != nil && err == nil {
		s.log.ErrorContext(ctx, "handoff started but not linked; the desktop will wait", "session", shortHash(res.Session), "err", logErr(werr))
	}
	return res, nonce, err
}

// handoffStatus is what the desktop sees: a summary, never the data, and once the
// verification is done, where to continue.
func (s *Service) handoffStatus(ctx context.Context, id, watch string) (*HandoffStatus, error) {
	rec, err := s.loadHandoff(ctx, id, watch, false)
	if err != nil {
		return nil, err
	}
	data, err := s.store.Get(ctx, handoffKey(id, "session"))
	if errors.Is(err, storage.ErrNotFound) {
		if !s.now().Before(rec.ExpiresAt) {
			return &HandoffStatus{State: "expired"}, nil
		}
		return &HandoffStatus{State: "waiting"}, nil
	}
	if err != nil {
		return nil, storeError("read handoff", err)
	}
	var hs handoffSession
	if err := decodeRecord(data, &hs, &hs.Version); err != nil {
		return nil, internalError(err)
	}
	if hs.Session == "" {
		return &HandoffStatus{State: "error", Code: hs.Error}, nil
	}
	// The store only, never Tencent: the phone's callback writes the result when Tencent
	// sends the phone back, and the sweeper when it never comes back. A desktop polling
	// for the whole session so spends no Tencent quota, and never takes the read slot of
	// the session that the phone's callback needs.
	res, err := s.loadResult(ctx, hs.Session)
	if err != nil {
		return nil, err
	}
	if res == nil {
		sum := pendingSummary(rec.Options.Language)
		return &HandoffStatus{State: "started", Summary: &sum}, nil
	}
	sum := summaryOf(res, nil)
	sess, err := s.loadSession(ctx, hs.Session)
	if err != nil {
		return nil, err
	}
	token, err := s.tokens.open(sess.Token, hs.Session)
	if err != nil {
		return nil, internalError(errors.New("handoff session's token does not open"))
	}
	ticket := signTicketHash(s.cfg.TicketSecrets[0], hs.Session, res.Status, s.now().Add(s.cfg.TicketTTL))
	return &HandoffStatus{State: "done", Summary: &sum, Continue: appendQuery(rec.Options.ReturnTo, url.Values{
		"token": {token}, "ticket": {ticket}, "status": {string(res.Status)},
	})}, nil
}

// forgetHandoff removes everything of a handoff; the retention's due entry calls it.
func (s *Service) forgetHandoff(ctx context.Context, id string) error {
	for _, part := range []string{"session", "claim", "json"} {
		if err := s.store.Delete(ctx, handoffKey(id, part)); err != nil {
			return storeError("delete handoff", err)
		}
	}
	return nil
}
