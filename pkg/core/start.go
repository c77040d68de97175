package core

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/storage"
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
}

// StartResponse is the body of a successful POST /start.
type StartResponse struct {
	// Token is the BizToken; a merchant backend keeps it to ask /result later.
	Token string `json:"token"`
	// VerificationURL is Tencent's page, where the user's browser goes next.
	VerificationURL string `json:"verificationUrl"`
	// ExpiresAt is when the verification can no longer be started on that page.
	ExpiresAt time.Time `json:"expiresAt"`
	// Flow is the Tencent flow used.
	Flow Flow `json:"flow"`
	// Bound tells whether the answer set the browser-binding cookie (not for merchant backends).
	Bound bool `json:"bound"`
}

// Start returns the handler of the start function: GET /start for a page that navigates
// (302 to Tencent's page), POST /start for JSON callers (201).
func (s *Service) Start() http.Handler {
	methods := methodsOf("start")
	return s.cors(methods, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			s.serveStartGet(w, r)
		case http.MethodPost:
			s.serveStartPost(w, r)
		default:
			s.methodNotAllowed(w, r, methods...)
		}
	}))
}

func (s *Service) serveStartGet(w http.ResponseWriter, r *http.Request) {
	html := wantsHTML(r)
	backend, err := s.merchantAuth(r)
	if err != nil {
		s.writeError(w, r, err, html)
		return
	}
	opts, err := startOptionsFromQuery(r.URL.RawQuery)
	if err != nil {
		s.writeError(w, r, err, html)
		return
	}
	res, nonce, err := s.start(r.Context(), opts, backend)
	if err != nil {
		s.writeError(w, r, err, html)
		return
	}
	if nonce != "" {
		s.cookie.set(w, nonce)
	}
	w.Header().Set("Location", res.VerificationURL)
	w.WriteHeader(http.StatusFound)
}

func (s *Service) serveStartPost(w http.ResponseWriter, r *http.Request) {
	backend, err := s.merchantAuth(r)
	if err != nil {
		s.writeError(w, r, err, false)
		return
	}
	var opts StartOptions
	if err := decodeJSON(w, r, MaxStartBody, &opts); err != nil {
		s.writeError(w, r, err, false)
		return
	}
	res, nonce, err := s.start(r.Context(), opts, backend)
	if err != nil {
		s.writeError(w, r, err, false)
		return
	}
	if nonce != "" {
		s.cookie.set(w, nonce)
	}
	writeJSON(w, http.StatusCreated, res)
}

// startQueryParams are the options GET /start accepts; anything else is refused.
var startQueryParams = []string{"returnTo", "extra", "reference", "lang", "mode", "documentType", "ruleId", "compareImageKey", "startToken"}

func startOptionsFromQuery(raw string) (StartOptions, error) {
	var o StartOptions
	if len(raw) > maxQuery {
		return o, errorf(CodeInvalidRequest, "The query string is longer than %d bytes.", maxQuery)
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return o, errorf(CodeInvalidRequest, "The query string is malformed.")
	}
	for k, v := range q {
		if k == "compareImage" {
			return o, errorf(CodeInvalidRequest, "compareImage is accepted only in the body of POST /start.")
		}
		if !slices.Contains(startQueryParams, k) {
			return o, errorf(CodeInvalidRequest, "Unknown query parameter %q.", clip(k, 40))
		}
		if len(v) != 1 {
			return o, errorf(CodeInvalidRequest, "The query parameter %q is repeated.", k)
		}
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

// plan is a start request resolved against the policy: exactly what Tencent will be asked.
type plan struct {
	opts        StartOptions // as allowed (start token applied)
	mode        int64        // 0: Tencent's default
	docType     string
	ruleID      string
	imageB64    string
	imageRaw    []byte // legacy flow only
	imageSource string
}

// start runs one start: check and resolve the options, call Tencent, record the session.
// It returns the answer and, unless a merchant backend called, the binding nonce to set.
func (s *Service) start(ctx context.Context, opts StartOptions, backend bool) (*StartResponse, string, error) {
	opts, err := s.authorizeStart(opts, backend)
	if err != nil {
		return nil, "", err
	}
	p, err := s.resolve(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	var nonce, binding string
	if !backend {
		if nonce, binding, err = s.newNonce(); err != nil {
			return nil, "", internalError(err)
		}
	}
	var token, verifyURL string
	if s.cfg.Flow == FlowLegacy {
		token, verifyURL, err = s.applyLegacy(ctx, p)
	} else {
		token, verifyURL, err = s.applyIntl(ctx, p)
	}
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
		Options: recordOptions{
			Language:     p.opts.Language,
			Mode:         p.mode,
			DocumentType: p.docType,
			RuleID:       p.ruleID,
			CompareImage: p.imageSource,
		},
	}
	hash := tokenHash(token)
	if err := s.createSession(ctx, hash, rec); err != nil {
		return nil, "", err
	}
	s.log.InfoContext(ctx, "verification started", "session", shortHash(hash), "flow", s.cfg.Flow,
		"mode", p.mode, "lang", p.opts.Language, "bound", !backend)
	return &StartResponse{Token: token, VerificationURL: verifyURL, ExpiresAt: rec.StartBy, Flow: s.cfg.Flow, Bound: !backend}, nonce, nil
}

// authorizeStart enforces the start-token requirement. A merchant backend (valid bearer
// key) needs no token; a browser needs one when start-token secrets are configured.
func (s *Service) authorizeStart(opts StartOptions, backend bool) (StartOptions, error) {
	if opts.StartToken == "" {
		if len(s.cfg.StartTokenSecrets) > 0 && !backend {
			return opts, errorf(CodeStartTokenRequired, "This deployment needs a start token from the merchant to start a verification.")
		}
		return opts, nil
	}
	if len(s.cfg.StartTokenSecrets) == 0 {
		return opts, errorf(CodeInvalidOption, "Start tokens are not enabled on this deployment.")
	}
	p, err := verifyStartToken(s.cfg.StartTokenSecrets, opts.StartToken, s.now())
	if err != nil {
		return opts, errorf(CodeInvalidStartToken, "The start token is not valid or has expired.")
	}
	return applyStartToken(opts, p)
}

// resolve checks every option against the rules and the policy and reads the compare image.
func (s *Service) resolve(ctx context.Context, o StartOptions) (*plan, error) {
	if err := s.allow.Check(o.ReturnTo); err != nil {
		return nil, err
	}
	if !utf8.ValidString(o.Extra) || utf8.RuneCountInString(o.Extra) > MaxExtraRunes {
		return nil, errorf(CodeInvalidOption, "extra must be text of at most %d characters.", MaxExtraRunes)
	}
	if !utf8.ValidString(o.Reference) || utf8.RuneCountInString(o.Reference) > MaxReferenceRunes ||
		strings.ContainsFunc(o.Reference, unicode.IsControl) {
		return nil, errorf(CodeInvalidOption, "reference must be text of at most %d characters without control characters.", MaxReferenceRunes)
	}
	if o.CompareImage != "" && o.CompareImageKey != "" {
		return nil, errorf(CodeInvalidOption, "Give compareImage or compareImageKey, not both.")
	}
	hasImage := o.CompareImage != "" || o.CompareImageKey != ""
	p := &plan{opts: o}
	pol := s.cfg.Policy

	if s.cfg.Flow == FlowLegacy {
		// The upload-URL flow has no page options; refuse rather than silently ignore them.
		for _, f := range []struct {
			name string
			set  bool
		}{{"lang", o.Language != ""}, {"mode", o.Mode != 0}, {"documentType", o.DocumentType != ""}, {"ruleId", o.RuleID != ""}} {
			if f.set {
				return nil, errorf(CodeInvalidOption, "%s is not available with the legacy verification flow.", f.name)
			}
		}
		// The upload-URL flow compares against the uploaded photo; it has no liveness-only mode.
		if !hasImage {
			return nil, errorf(CodeInvalidOption, "The legacy verification flow needs a compare image (compareImage or compareImageKey).")
		}
	} else {
		if o.Language != "" && !slices.Contains(pol.Languages, o.Language) {
			return nil, errorf(CodeInvalidOption, "lang %q is not offered here.", clip(o.Language, 16))
		}
		p.mode = o.Mode
		if p.mode != 0 && !slices.Contains(pol.Modes, p.mode) {
			return nil, errorf(CodeInvalidOption, "mode %d is not offered here.", p.mode)
		}
		if p.mode == 0 && hasImage {
			p.mode = 2
			if !slices.Contains(pol.Modes, p.mode) {
				return nil, errorf(CodeInvalidOption, "A compare image needs mode 2, which is not offered here.")
			}
		}
		if p.mode == 0 {
			p.mode = pol.DefaultMode
		}
		if p.mode == 0 && s.cfg.Verification != nil && s.cfg.Verification.CheckMode != nil {
			p.mode = *s.cfg.Verification.CheckMode
		}
		if hasImage && p.mode != 2 && p.mode != 0 {
			return nil, errorf(CodeInvalidOption, "A compare image is used only with mode 2.")
		}
		documentMode := p.mode == 1 || p.mode == 4
		switch {
		case o.DocumentType != "" && !documentMode:
			return nil, errorf(CodeInvalidOption, "documentType is used only with modes 1 and 4.")
		case o.DocumentType != "" && !slices.Contains(pol.DocumentTypes, o.DocumentType):
			return nil, errorf(CodeInvalidOption, "documentType %q is not offered here.", clip(o.DocumentType, 40))
		case o.DocumentType != "":
			p.docType = o.DocumentType
		case documentMode && s.cfg.Verification != nil && s.cfg.Verification.IDCardType != nil:
			p.docType = *s.cfg.Verification.IDCardType
		case documentMode && len(pol.DocumentTypes) > 0:
			p.docType = pol.DocumentTypes[0]
		case documentMode:
			return nil, errorf(CodeInvalidOption, "mode %d needs a documentType, and none is offered here.", p.mode)
		}
		p.ruleID = pol.DefaultRuleID
		if o.RuleID != "" {
			if !slices.Contains(pol.RuleIDs, o.RuleID) {
				return nil, errorf(CodeInvalidOption, "ruleId %q is not offered here.", clip(o.RuleID, 40))
			}
			p.ruleID = o.RuleID
		}
	}
	if err := s.loadImage(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// loadImage fills in the compare image from the request or the bucket, within the caps.
func (s *Service) loadImage(ctx context.Context, p *plan) error {
	o := p.opts
	switch {
	case o.CompareImage != "":
		if len(o.CompareImage) > MaxInlineImageBase64 {
			return errorf(CodeImageTooLarge, "compareImage is larger than %d base64 characters; upload it to the bucket and pass compareImageKey.", MaxInlineImageBase64)
		}
		p.imageB64, p.imageSource = o.CompareImage, "inline"
	case o.CompareImageKey != "":
		if len(s.cfg.CompareImagePrefixes) == 0 {
			return errorf(CodeInvalidOption, "compareImageKey is not enabled on this deployment.")
		}
		if !s.allowedImageKey(o.CompareImageKey) {
			return errorf(CodeInvalidOption, "compareImageKey must name an object under an allowed prefix.")
		}
		raw, err := s.store.Get(ctx, o.CompareImageKey)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return errorf(CodeImageNotFound, "There is no object at compareImageKey.")
		case errors.Is(err, storage.ErrTooLarge):
			return errorf(CodeImageTooLarge, "The object at compareImageKey is too large.")
		case err != nil:
			return internalError(fmt.Errorf("read compare image: %w", err))
		}
		if base64.StdEncoding.EncodedLen(len(raw)) > faceid.MaxCompareImageBase64 {
			return errorf(CodeImageTooLarge, "The object at compareImageKey is larger than Tencent's 8 MB base64 limit.")
		}
		p.imageB64, p.imageRaw, p.imageSource = base64.StdEncoding.EncodeToString(raw), raw, "object"
	default:
		return nil
	}
	// Tencent's own image rules (base64 form, JPEG/PNG/BMP) are checked before any call.
	probe := faceid.ApplyWebVerificationBizTokenIntlRequest{RedirectURL: s.cfg.CallbackURL, CompareImageBase64: p.imageB64}
	if err := probe.Validate(); err != nil {
		return errorf(CodeInvalidImage, "The compare image must be a JPEG, PNG or BMP image in base64 without a data: prefix.")
	}
	if s.cfg.Flow == FlowLegacy && p.imageRaw == nil {
		raw, err := base64.StdEncoding.DecodeString(p.imageB64)
		if err != nil {
			return errorf(CodeInvalidImage, "The compare image is not valid base64.")
		}
		p.imageRaw = raw
	}
	return nil
}

func (s *Service) allowedImageKey(key string) bool {
	if !validObjectKey(key) {
		return false
	}
	for _, prefix := range s.cfg.CompareImagePrefixes {
		if strings.HasPrefix(key, prefix) && len(key) > len(prefix) {
			return true
		}
	}
	return false
}

// validObjectKey accepts the keys every store accepts (storage.CheckKey) that are also made of
// letters, digits and "-_./" only: a key that comes from a caller stays plain ASCII.
func validObjectKey(key string) bool {
	return storage.CheckKey(key) == nil && !strings.ContainsFunc(key, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./", c))
	})
}

func (s *Service) applyIntl(ctx context.Context, p *plan) (token, verifyURL string, err error) {
	req := &faceid.ApplyWebVerificationBizTokenIntlRequest{
		RedirectURL:        s.cfg.CallbackURL,
		CompareImageBase64: p.imageB64,
		Extra:              p.opts.Extra,
		RuleId:             p.ruleID,
		Config:             s.verificationConfig(p),
	}
	if err := req.Validate(); err != nil {
		return "", "", validationError(err)
	}
	resp, err := s.faceID.ApplyWebVerificationBizTokenIntl(ctx, req)
	if err != nil {
		return "", "", applyError(err)
	}
	verifyURL = resp.VerificationURL
	if verifyURL == "" {
		verifyURL = resp.VerificationUrl
	}
	return checkApplied(resp.BizToken, verifyURL)
}

// verificationConfig is the deployment's base Config with the caller's choices applied.
func (s *Service) verificationConfig(p *plan) *faceid.WebVerificationConfigIntl {
	var c faceid.WebVerificationConfigIntl
	if s.cfg.Verification != nil {
		c = *s.cfg.Verification
	}
	if p.opts.Language != "" {
		c.Language = new(p.opts.Language)
	}
	if p.mode != 0 {
		c.CheckMode = new(p.mode)
	}
	if p.docType != "" {
		c.IDCardType = new(p.docType)
	}
	if c == (faceid.WebVerificationConfigIntl{}) {
		return nil
	}
	return &c
}

func (s *Service) applyLegacy(ctx context.Context, p *plan) (token, verifyURL string, err error) {
	req := &faceid.ApplyWebVerificationTokenRequest{RedirectUrl: s.cfg.CallbackURL}
	if p.imageRaw != nil {
		up, err := s.faceID.CreateUploadUrl(ctx, faceid.ActionApplyWebVerificationToken)
		if err != nil {
			return "", "", applyError(err)
		}
		md5hex, err := s.faceID.Upload(ctx, up.UploadUrl, p.imageRaw)
		if err != nil {
			return "", "", applyError(err)
		}
		req.CompareImageUrl, req.CompareImageMd5 = up.ResourceUrl, md5hex
	}
	if err := req.Validate(); err != nil {
		return "", "", validationError(err)
	}
	resp, err := s.faceID.ApplyWebVerificationToken(ctx, req)
	if err != nil {
		return "", "", applyError(err)
	}
	return checkApplied(resp.BizToken, resp.VerificationUrl)
}

// checkApplied refuses an apply answer we could not safely act on: the browser is about
// to be redirected to verifyURL, and the token names objects.
func checkApplied(token, verifyURL string) (string, string, error) {
	if !validToken(token) {
		return "", "", &Error{Code: CodeUpstreamRejected, Message: "rejected", Err: errors.New("apply returned a malformed BizToken")}
	}
	u, err := url.Parse(verifyURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", "", &Error{Code: CodeUpstreamRejected, Message: "rejected", Err: errors.New("apply returned an unusable VerificationURL")}
	}
	return token, verifyURL, nil
}

// callerFields are the request fields whose Tencent-side validation failures are the
// caller's; any other field failing is our configuration's fault.
var callerFields = map[string]string{
	"Extra":             "extra",
	"RuleId":            "ruleId",
	"Config.Language":   "lang",
	"Config.CheckMode":  "mode",
	"Config.IDCardType": "documentType",
}

func validationError(err error) *Error {
	var ve *faceid.ValidationError
	if errors.As(err, &ve) {
		if ve.Field == "CompareImageBase64" || ve.Field == "image" {
			return &Error{Code: CodeInvalidImage, Message: "The compare image must be a JPEG, PNG or BMP image in base64 without a data: prefix.", Err: err}
		}
		if name, ok := callerFields[ve.Field]; ok {
			return &Error{Code: CodeInvalidOption, Message: fmt.Sprintf("The option %s is not valid: %s.", name, ve.Reason), Err: err}
		}
	}
	return internalError(fmt.Errorf("request rejected before sending: %w", err))
}

// applyError maps a failed start call; an image Tencent finds too large is the caller's.
func applyError(err error) *Error {
	var fe *faceid.Error
	if errors.As(err, &fe) && fe.Code == "FailedOperation.ImageSizeTooLarge" {
		return &Error{Code: CodeImageTooLarge, Message: "Tencent refused the compare image as too large.", Err: err}
	}
	var ve *faceid.ValidationError
	if errors.As(err, &ve) {
		return validationError(err)
	}
	return upstreamError(err)
}

// clip shortens caller text echoed in a message, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
