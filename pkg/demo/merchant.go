package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/facegate/facegate/internal/errbody"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/storage"
)

// StartTokenLifetime is how long a start token the demo backend signs stays valid: the
// page navigates to /start at once, so a few minutes cover a slow phone with room to spare.
const StartTokenLifetime = 5 * time.Minute

// maxStartRequest caps the body of POST /api/start and /api/handoff: three short fields.
const maxStartRequest = 4 << 10

// maxHandoffAnswer caps what the backend reads of facegate's answer to a handoff: the QR
// code's SVG is about 20 kB (10^3 bytes) for a link to a LAN address, and grows with the
// link's length.
const maxHandoffAnswer = 64 << 10

// handoffCallTimeout bounds the backend's call to facegate's POST /start, which records a
// handoff and calls nothing else (Tencent is called only when the phone opens the link).
const handoffCallTimeout = 10 * time.Second

// SampleCompareImageName is the object the backend keeps, under the compare-image folder,
// as the "photo on file" of face compare (mode 2).
const SampleCompareImageName = "demo-sample-reference.jpg"

// MerchantOptions configure the demo shop's backend.
type MerchantOptions struct {
	// StartTokenSecret signs start tokens: one of the secrets in the functions'
	// FACEGATE_START_TOKEN_SECRETS (at least core.MinSecretLength bytes).
	StartTokenSecret []byte
	// Gateway is the origin of facegate's functions and of the demo pages (mounted under
	// /demo/), e.g. http://localhost:8080: start links and return pages name it.
	Gateway string
	// Store and CompareFolder are where the sample "photo on file" for face compare is
	// kept: a folder the functions take compare images from (FACEGATE_COMPARE_IMAGE_PREFIXES,
	// e.g. uploads/). Without either, face compare is not offered.
	Store         storage.Store
	CompareFolder string
	// Client calls facegate's POST /start at Gateway for a handoff; nil is a client that
	// gives up after handoffCallTimeout and follows no redirect.
	Client *http.Client
	// Now is the clock of the tokens' expiry; nil is time.Now.
	Now func() time.Time
	// Logger receives the backend's failures; nil discards.
	Logger *slog.Logger
}

// Merchant is the backend half of the demo shop: what a merchant's own server does before
// a verification is billed. It serves POST /api/start: the page says which language,
// check mode and document type the user chose, and the backend answers with a start link,
// /start?startToken=…, whose token it signed with the start-token secret it shares with
// facegate, valid for StartTokenLifetime and good for one start. The token fixes the
// return page (which carries the language, so the return page speaks it too), a
// reference for the order, and for face compare the sample photo on file. It also serves
// POST /api/handoff, the same choices to be finished on a phone: it spends such a token on
// facegate's POST /start with "handoff": true and answers with the handoff.
//
// A real backend signs only for a user it knows (signed in, with an order to pay for);
// this one signs for anyone who can reach it, which is why the local stack that mounts it
// is for trying facegate, never for production. It is safe for concurrent use.
type Merchant struct {
	opts  MerchantOptions
	mu    sync.Mutex
	photo string // the sample photo's key once it is in the store
}

// NewMerchant checks opts and returns the backend. Mount it beside Handler, under the
// same folder: mux.Handle("/demo/api/", http.StripPrefix("/demo", merchant)).
func NewMerchant(opts MerchantOptions) (*Merchant, error) {
	if len(opts.StartTokenSecret) < core.MinSecretLength {
		return nil, fmt.Errorf("demo: the start token secret must be at least %d bytes", core.MinSecretLength)
	}
	u, err := url.Parse(opts.Gateway)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("demo: the gateway must be an origin such as http://localhost:8080, got %q", opts.Gateway)
	}
	if opts.CompareFolder != "" && !strings.HasSuffix(opts.CompareFolder, "/") {
		return nil, fmt.Errorf("demo: the compare folder %q must end with /", opts.CompareFolder)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Client == nil {
		// No redirect: the body carries a start token, which goes to facegate only.
		opts.Client = &http.Client{Timeout: handoffCallTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	return &Merchant{opts: opts}, nil
}

// StartRequest is the body of POST /api/start: what the user chose on the page.
type StartRequest struct {
	// Lang is the language of Tencent's page and of the return page (en, zh-cn, zh-tc,
	// th or id).
	Lang string `json:"lang"`
	// Mode is Tencent's CheckMode: 1 document and face, 2 face and the photo on file,
	// 3 face only, 4 document only.
	Mode int64 `json:"mode"`
	// DocumentType is Tencent's IDCardType, for modes 1 and 4 only.
	DocumentType string `json:"documentType,omitempty"`
}

// StartResponse is the answer of POST /api/start.
type StartResponse struct {
	// StartURL is where the page sends the browser: facegate's GET /start with the token.
	StartURL string `json:"startUrl"`
}

// ServeHTTP answers POST /api/start with a StartResponse and POST /api/handoff with a
// core.HandoffResponse, or with facegate's error shape ({"error":{"code","message"}}) and
// one of its codes, whose words the page has.
func (m *Merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	var serve func(http.ResponseWriter, *http.Request, StartRequest) error
	switch r.URL.Path {
	case "/api/start":
		serve = m.serveStart
	case "/api/handoff":
		serve = m.serveHandoff
	default:
		fail(w, http.StatusNotFound, "not_found", "There is nothing here.")
		return
	}
	req, err := decodeChoices(w, r)
	if err == nil {
		err = serve(w, r, req)
	}
	if err != nil {
		m.writeError(w, r, err)
	}
}

// decodeChoices reads what the user chose on the page: POST, JSON, one small object.
func decodeChoices(w http.ResponseWriter, r *http.Request) (StartRequest, error) {
	var req StartRequest
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return req, &refusal{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "Use POST."}
	}
	// JSON only: a form post from another site cannot reach this without a CORS
	// preflight, which this backend never grants.
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return req, &refusal{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", message: "Send the choices as JSON."}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxStartRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || !errors.Is(dec.Decode(&struct{}{}), io.EOF) {
		return req, &refusal{status: http.StatusBadRequest, code: "invalid_request", message: "The body must be one JSON object with lang, mode and documentType."}
	}
	return req, nil
}

// serveStart answers POST /api/start: the start link for the user's choices.
func (m *Merchant) serveStart(w http.ResponseWriter, r *http.Request, req StartRequest) error {
	token, err := m.signStart(r.Context(), req)
	if err != nil {
		return err
	}
	answer(w, http.StatusOK, StartResponse{StartURL: m.opts.Gateway + "/start?startToken=" + url.QueryEscape(token)})
	return nil
}

// serveHandoff answers POST /api/handoff, the desktop page's "Continue on your phone": the
// backend signs a start token for the user's choices, as for /api/start, and spends it at
// once itself, calling facegate's POST /start with {"startToken", "handoff": true}; the
// page gets facegate's answer: the phone's link, its QR code, the status URL and the
// expiry.
//
// The call is made here, server to server, rather than by the page with the token, as a
// real merchant's backend would make it: the token never reaches the browser, the page
// makes one call to its own backend, and a backend that holds the merchant key could send
// that instead of a token with nothing else changed (the demo backend signs tokens rather
// than hold the key, as for /api/start). The page then follows the status URL itself:
// it reveals a summary only, and is meant for the browser.
func (m *Merchant) serveHandoff(w http.ResponseWriter, r *http.Request, req StartRequest) error {
	token, err := m.signStart(r.Context(), req)
	if err != nil {
		return err
	}
	// The token alone says what to start: the options it fixes cannot be sent beside it.
	body, err := json.Marshal(struct {
		StartToken string `json:"startToken"`
		Handoff    bool   `json:"handoff"`
	}{token, true})
	if err != nil {
		return err
	}
	call, err := http.NewRequestWithContext(r.Context(), http.MethodPost, m.opts.Gateway+"/start", bytes.NewReader(body))
	if err != nil {
		return err
	}
	call.Header.Set("Content-Type", "application/json")
	call.Header.Set("Accept", "application/json")
	res, err := m.opts.Client.Do(call)
	if err != nil {
		return unreachable(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxHandoffAnswer+1))
	switch {
	case err != nil:
		return unreachable(err)
	case len(data) > maxHandoffAnswer:
		return unreachable(fmt.Errorf("POST /start answered more than %d bytes", maxHandoffAnswer))
	case res.StatusCode != http.StatusCreated:
		return relayed(res, data)
	}
	var handoff core.HandoffResponse
	if err := json.Unmarshal(data, &handoff); err != nil || handoff.URL == "" || handoff.QRCode == "" || handoff.StatusURL == "" {
		return unreachable(errors.New("POST /start answered 201 without a handoff"))
	}
	answer(w, http.StatusCreated, handoff)
	return nil
}

// signStart signs a start token for the user's choices.
func (m *Merchant) signStart(ctx context.Context, req StartRequest) (string, error) {
	opts, err := m.startOptions(ctx, req)
	if err != nil {
		return "", err
	}
	return core.SignStartToken(m.opts.StartTokenSecret, opts, m.opts.Now().Add(StartTokenLifetime))
}

// unreachable is a call to facegate that got no usable answer.
func unreachable(cause error) error {
	return &refusal{status: http.StatusBadGateway, code: string(core.CodeUpstreamUnavailable),
		message: "The shop could not reach the verification service. Try again in a moment.", retryAfter: "2", cause: cause}
}

// relayed is facegate's refusal of a handoff, passed on with its status and code (whose
// words the page has) and its message, which is written for clients and never carries
// internal text.
func relayed(res *http.Response, data []byte) error {
	var body errbody.Body
	if res.StatusCode < 400 || json.Unmarshal(data, &body) != nil || body.Error.Code == "" {
		return unreachable(fmt.Errorf("POST /start answered %d without an error code", res.StatusCode))
	}
	e := &refusal{status: res.StatusCode, code: body.Error.Code, message: body.Error.Message, retryAfter: res.Header.Get("Retry-After")}
	if res.StatusCode >= 500 {
		e.cause = fmt.Errorf("POST /start answered %d %s", res.StatusCode, body.Error.Code)
	}
	return e
}

// writeError answers err: a refusal with its status and code, anything else as an
// internal error. It alone logs, and only causes, which never hold a token.
func (m *Merchant) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var refused *refusal
	if !errors.As(err, &refused) {
		m.opts.Logger.ErrorContext(r.Context(), "demo backend", "path", r.URL.Path, "err", err)
		fail(w, http.StatusInternalServerError, errbody.InternalCode, errbody.InternalMessage)
		return
	}
	if refused.cause != nil {
		m.opts.Logger.WarnContext(r.Context(), "demo backend: "+refused.code, "path", r.URL.Path, "err", refused.cause)
	}
	if refused.retryAfter != "" {
		w.Header().Set("Retry-After", refused.retryAfter)
	}
	fail(w, refused.status, refused.code, refused.message)
}

// refusal is an error answer: a request the backend will not sign for, or facegate's
// refusal passed on, with the error code the page shows the words of (the codes are
// facegate's, so the catalogue has them).
type refusal struct {
	status        int
	code, message string
	retryAfter    string // seconds, for a refusal that passes by itself
	cause         error  // logged, never answered
}

func (e *refusal) Error() string { return e.code + ": " + e.message }

// startOptions are the options the backend signs for req.
func (m *Merchant) startOptions(ctx context.Context, req StartRequest) (core.StartOptions, error) {
	bad := func(format string, args ...any) (core.StartOptions, error) {
		return core.StartOptions{}, &refusal{status: http.StatusBadRequest, code: "invalid_option", message: fmt.Sprintf(format, args...)}
	}
	if !slices.Contains(core.Languages(), req.Lang) {
		return bad("lang must be one of %s.", strings.Join(core.Languages(), ", "))
	}
	if _, ok := core.CheckModeName(req.Mode); !ok {
		return bad("mode must be 1, 2, 3 or 4.")
	}
	documentMode := req.Mode == 1 || req.Mode == 4
	switch {
	case req.DocumentType != "" && !documentMode:
		return bad("documentType goes with modes 1 and 4 only.")
	case req.DocumentType != "" && !slices.Contains(faceid.IDCardTypes(), req.DocumentType):
		return bad("documentType must be one of Tencent's IDCardTypes.")
	}
	opts := core.StartOptions{
		// The return page learns the user's language from its own address, which the
		// token fixes, so it speaks that language even in another tab or after a reload.
		ReturnTo:     m.opts.Gateway + "/demo/return.html?lang=" + req.Lang,
		Reference:    "demo-" + randomHex(4),
		Language:     req.Lang,
		Mode:         req.Mode,
		DocumentType: req.DocumentType,
	}
	if req.Mode == 2 {
		key, err := m.samplePhoto(ctx)
		if err != nil {
			return core.StartOptions{}, err
		}
		opts.CompareImageKey = key
	}
	return opts, nil
}

// samplePhoto puts the sample photo on file into the store once and returns its key.
func (m *Merchant) samplePhoto(ctx context.Context) (string, error) {
	if m.opts.Store == nil || m.opts.CompareFolder == "" {
		return "", &refusal{status: http.StatusBadRequest, code: "invalid_option",
			message: "Face compare needs a store folder for compare photos, and none is configured."}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.photo != "" {
		return m.photo, nil
	}
	key := m.opts.CompareFolder + SampleCompareImageName
	// Create-only: a copy from an earlier run is the same picture, and is used as it is.
	if err := m.opts.Store.Create(ctx, key, SampleCompareImage()); err != nil && !errors.Is(err, storage.ErrExists) {
		return "", &refusal{status: http.StatusServiceUnavailable, code: "storage_unavailable",
			message: "The shop could not prepare the check. Try again in a moment.", retryAfter: "2",
			cause: fmt.Errorf("the sample compare photo could not be stored: %w", err)}
	}
	m.photo = key
	return key, nil
}

// answer writes v as the JSON answer with status.
func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write means the client left
}

func fail(w http.ResponseWriter, status int, code, message string) {
	errbody.SetHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(errbody.JSON(code, message))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails: crypto/rand crashes the program rather than return an error
	return hex.EncodeToString(b)
}

// sampleImage is the encoded sample photo, drawn once.
var sampleImage = sync.OnceValue(drawSampleImage)

// SampleCompareImage returns the sample "photo on file": a small JPEG drawn in code, a
// head and shoulders in outline, the same bytes on every run. It is no one's face, so
// Tencent itself would find no face to compare with; the sandbox checks only that it is a
// JPEG.
func SampleCompareImage() []byte { return bytes.Clone(sampleImage()) }

func drawSampleImage() []byte {
	const w, h = 120, 160
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	background := color.RGBA{0xd9, 0xe2, 0xec, 0xff}
	skin := color.RGBA{0xe0, 0xb8, 0x96, 0xff}
	shirt := color.RGBA{0x1a, 0x56, 0xc7, 0xff}
	inEllipse := func(x, y, cx, cy, rx, ry float64) bool {
		dx, dy := (x-cx)/rx, (y-cy)/ry
		return dx*dx+dy*dy <= 1
	}
	for y := range h {
		for x := range w {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			c := background
			switch {
			case inEllipse(fx, fy, 60, 66, 30, 38):
				c = skin
			case inEllipse(fx, fy, 60, 176, 56, 56):
				c = shirt
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		panic(err) // encoding an in-memory image into a buffer cannot fail
	}
	return buf.Bytes()
}
