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

// maxStartRequest caps the body of POST /api/start: three short fields.
const maxStartRequest = 4 << 10

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
// reference for the order, and for face compare the sample photo on file.
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

// ServeHTTP answers POST /api/start with a StartResponse, or with facegate's error shape
// ({"error":{"code","message"}}) and one of its codes, whose words the page has.
func (m *Merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.URL.Path != "/api/start" {
		fail(w, http.StatusNotFound, "not_found", "There is nothing here.")
		return
	}
	if r.Method != http.MethodPost {
		h.Set("Allow", http.MethodPost)
		fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "Use POST.")
		return
	}
	// JSON only: a form post from another site cannot reach this without a CORS
	// preflight, which this backend never grants.
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		fail(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the choices as JSON.")
		return
	}
	var req StartRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxStartRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || !errors.Is(dec.Decode(&struct{}{}), io.EOF) {
		fail(w, http.StatusBadRequest, "invalid_request", "The body must be one JSON object with lang, mode and documentType.")
		return
	}
	opts, err := m.startOptions(r.Context(), req)
	var refused *refusal
	switch {
	case errors.As(err, &refused):
		fail(w, refused.status, refused.code, refused.message)
		return
	case err != nil:
		m.opts.Logger.ErrorContext(r.Context(), "demo backend: the sample compare photo could not be stored", "err", err)
		h.Set("Retry-After", "2")
		fail(w, http.StatusServiceUnavailable, "storage_unavailable", "The shop could not prepare the check. Try again in a moment.")
		return
	}
	token, err := core.SignStartToken(m.opts.StartTokenSecret, opts, m.opts.Now().Add(StartTokenLifetime))
	if err != nil {
		m.opts.Logger.ErrorContext(r.Context(), "demo backend: signing a start token", "err", err)
		fail(w, http.StatusInternalServerError, errbody.InternalCode, errbody.InternalMessage)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(StartResponse{StartURL: m.opts.Gateway + "/start?startToken=" + url.QueryEscape(token)})
}

// refusal is a request the backend will not sign for, with the error code the page shows
// the words of (the codes are facegate's, so the catalogue has them).
type refusal struct {
	status        int
	code, message string
}

func (e *refusal) Error() string { return e.code + ": " + e.message }

// startOptions are the options the backend signs for req.
func (m *Merchant) startOptions(ctx context.Context, req StartRequest) (core.StartOptions, error) {
	bad := func(format string, args ...any) (core.StartOptions, error) {
		return core.StartOptions{}, &refusal{http.StatusBadRequest, "invalid_option", fmt.Sprintf(format, args...)}
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
		return "", &refusal{http.StatusBadRequest, "invalid_option", "Face compare needs a store folder for compare photos, and none is configured."}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.photo != "" {
		return m.photo, nil
	}
	key := m.opts.CompareFolder + SampleCompareImageName
	// Create-only: a copy from an earlier run is the same picture, and is used as it is.
	if err := m.opts.Store.Create(ctx, key, SampleCompareImage()); err != nil && !errors.Is(err, storage.ErrExists) {
		return "", err
	}
	m.photo = key
	return key, nil
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
