package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/qrcode"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/sandbox/sandboxtest"
	"github.com/facegate/facegate/pkg/storage"
	"github.com/facegate/facegate/pkg/webhook"
)

// The bucket permissions in template.yaml and deploy/cam are checked against what the
// code does, not against a list written next to them: each function's core runs whole
// verifications (both flows, a pass with media, a result that turns terminal at
// /result, a reload of the callback, a user who never comes back, a merchant lookup by
// reference and a deletion; a browser start with a start token, an idempotent backend
// start and its repeat, a handoff from a desktop to a phone, a start that leaves its
// write-ahead marker behind) and the sweeper runs as time passes (Tencent checks,
// webhook deliveries that fail and are retried, expiry, retention, spent start tokens,
// stale markers, idempotency keys and handoffs), over a store that records which object
// prefixes each function reads, writes, deletes and lists.
//
// Listing is recorded per folder ("List due/"): S3's ListBucket can be limited to key
// prefixes (the s3:prefix condition). A read also records listing of its folder: a
// read of a missing key is answered 404 only to a caller that may list it, 403
// otherwise, and S3 evaluates that permission with the key as s3:prefix.

// grantSet is what one function did to the bucket, as "GetObject sessions/" and the like,
// and the Tencent actions it called, as "faceid:GetWebVerificationResultIntl".
type grantSet map[string]bool

// memObjects is the bucket the functions share in these runs.
type memObjects struct {
	mu      sync.Mutex
	objects map[string][]byte
}

// recordingStore is one function's view of the bucket; every call is recorded as the
// permission it needs.
type recordingStore struct {
	bucket *memObjects
	grants grantSet
	mu     *sync.Mutex
	// failDelete, when set, makes a Delete of the keys it picks fail (after recording the
	// permission the call needed), as a store fault would.
	failDelete func(key string) bool
}

// keys lists the bucket's keys under prefix.
func (b *memObjects) keys(prefix string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var keys []string
	for k := range b.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// folder is the first segment of a key or prefix, with its slash: what a grant names.
func folder(key string) string {
	f, _, _ := strings.Cut(key, "/")
	return f + "/"
}

func (s *recordingStore) record(grants ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range grants {
		s.grants[g] = true
	}
}

func (s *recordingStore) Create(_ context.Context, key string, data []byte) error {
	s.record("PutObject " + folder(key))
	s.bucket.mu.Lock()
	defer s.bucket.mu.Unlock()
	if _, ok := s.bucket.objects[key]; ok {
		return storage.ErrExists
	}
	s.bucket.objects[key] = bytes.Clone(data)
	return nil
}

// Get needs read access, and listing of the key's folder for the 404 of a missing key.
func (s *recordingStore) Get(_ context.Context, key string) ([]byte, error) {
	s.record("GetObject "+folder(key), "List "+folder(key))
	s.bucket.mu.Lock()
	defer s.bucket.mu.Unlock()
	b, ok := s.bucket.objects[key]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return bytes.Clone(b), nil
}

func (s *recordingStore) Delete(_ context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	s.record("DeleteObject " + folder(key))
	if s.failDelete != nil && s.failDelete(key) {
		return errors.New("injected store fault")
	}
	s.bucket.mu.Lock()
	defer s.bucket.mu.Unlock()
	delete(s.bucket.objects, key)
	return nil
}

// List needs listing of the prefix's folder.
func (s *recordingStore) List(_ context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := storage.CheckList(prefix, limit); err != nil {
		return nil, false, err
	}
	s.record("List " + folder(prefix))
	s.bucket.mu.Lock()
	var keys []string
	for k := range s.bucket.objects {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	s.bucket.mu.Unlock()
	slices.Sort(keys)
	if len(keys) > limit {
		return keys[:limit], true, nil
	}
	return keys, false, nil
}

func (s *recordingStore) PutMedia(_ context.Context, key string, body io.Reader, _ int64, _ string) error {
	s.record("PutObject " + folder(key))
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	s.bucket.mu.Lock()
	defer s.bucket.mu.Unlock()
	s.bucket.objects[key] = b
	return nil
}

// MediaURL needs read access: a presigned GET is authorised as the role that signed it.
// Links are only made for stored media, so no listing.
func (s *recordingStore) MediaURL(_ context.Context, key string, _ time.Duration) (string, error) {
	s.record("GetObject " + folder(key))
	return "https://bucket.example.com/" + key + "?signed", nil
}

// recordingFaceID is one function's Tencent client; every API action called is recorded.
// (Upload is a PUT to the URL CreateUploadUrl made, not an action of its own.)
type recordingFaceID struct {
	core.FaceID
	store *recordingStore // where the grants are recorded
}

func (f recordingFaceID) ApplyWebVerificationBizTokenIntl(ctx context.Context, req *faceid.ApplyWebVerificationBizTokenIntlRequest) (*faceid.ApplyWebVerificationBizTokenIntlResponse, error) {
	f.store.record("faceid:ApplyWebVerificationBizTokenIntl")
	return f.FaceID.ApplyWebVerificationBizTokenIntl(ctx, req)
}

func (f recordingFaceID) GetWebVerificationResultIntl(ctx context.Context, bizToken string) (*faceid.GetWebVerificationResultIntlResponse, error) {
	f.store.record("faceid:GetWebVerificationResultIntl")
	return f.FaceID.GetWebVerificationResultIntl(ctx, bizToken)
}

func (f recordingFaceID) CreateUploadUrl(ctx context.Context, targetAction string) (*faceid.CreateUploadUrlResponse, error) {
	f.store.record("faceid:CreateUploadUrl")
	return f.FaceID.CreateUploadUrl(ctx, targetAction)
}

func (f recordingFaceID) ApplyWebVerificationToken(ctx context.Context, req *faceid.ApplyWebVerificationTokenRequest) (*faceid.ApplyWebVerificationTokenResponse, error) {
	f.store.record("faceid:ApplyWebVerificationToken")
	return f.FaceID.ApplyWebVerificationToken(ctx, req)
}

func (f recordingFaceID) GetWebVerificationResult(ctx context.Context, bizToken string) (*faceid.GetWebVerificationResultResponse, error) {
	f.store.record("faceid:GetWebVerificationResult")
	return f.FaceID.GetWebVerificationResult(ctx, bizToken)
}

// bucketGrants leaves out the Tencent actions of a function's grants: what an S3 role
// is held to (on Lambda, Tencent is called with a key, not a role).
func bucketGrants(grants []string) []string {
	return slices.DeleteFunc(slices.Clone(grants), func(g string) bool { return strings.HasPrefix(g, "faceid:") })
}

// grantClock is the time all the functions of a grant run share, moved on by the run.
type grantClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *grantClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *grantClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// observedGrants runs verifications through the four functions' cores and returns what
// each did to the bucket, with media storage on or off.
func observedGrants(t *testing.T, media bool) map[string][]string {
	t.Helper()
	const merchantKey = "merchant-key-for-grant-tests"
	const webhookSecret = "grant-test-webhook-secret-0123456789abcdef"
	startTokenSecret := []byte("grant-test-start-token-secret-0123456789")
	sb := sandboxtest.New(t, sandbox.Options{})
	client, err := faceid.New(faceid.Config{Endpoint: sb.Endpoint(), Scheme: "http",
		Credentials: faceid.StaticCredentials(sandbox.TestSecretID, sandbox.TestSecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	// The merchant's endpoint refuses each event's first delivery, so retries happen too.
	var seenMu sync.Mutex
	seen := map[string]int{}
	receiver := httptest.NewServer(webhook.Handler([]string{webhookSecret}, func(_ context.Context, e webhook.Event) error {
		seenMu.Lock()
		defer seenMu.Unlock()
		if seen[e.ID]++; seen[e.ID] == 1 {
			return errors.New("first delivery refused")
		}
		return nil
	}))
	t.Cleanup(receiver.Close)

	bucket := &memObjects{objects: map[string][]byte{}}
	bucket.objects["uploads/photo.jpg"] = compareJPEG(t)
	clock := &grantClock{now: time.Now()}
	var mu sync.Mutex
	grants := map[string]grantSet{}
	handlers := map[string]http.Handler{}
	stores := map[string]*recordingStore{}
	var sweeper *core.Service

	// sweep runs the sweeper once and fails the test if the run failed.
	sweep := func(what string) core.SweepReport {
		t.Helper()
		rep, err := sweeper.Sweep(context.Background())
		if err != nil {
			t.Fatalf("sweep (%s): %v", what, err)
		}
		return rep
	}

	for _, flow := range []core.Flow{core.FlowIntl, core.FlowLegacy} {
		for _, fn := range functionNames {
			if grants[fn] == nil {
				grants[fn] = grantSet{}
			}
			store := &recordingStore{bucket: bucket, grants: grants[fn], mu: &mu}
			stores[fn] = store
			svc, err := core.New(core.Config{
				CallbackURL:          flowCallbackURL,
				ReturnTo:             []string{flowReturnTo},
				TicketSecrets:        [][]byte{[]byte("grant-test-ticket-secret-0123456789abcdef")},
				TokenKeys:            [][]byte{[]byte("grant-test-token-key-0123456789abcdef")},
				MerchantKeys:         []string{merchantKey},
				StartTokenSecrets:    [][]byte{startTokenSecret},
				CompareImagePrefixes: []string{"uploads/"},
				Flow:                 flow,
				Policy:               core.Policy{Modes: []int64{2, 3}, DefaultMode: 3},
				CookieSecure:         true,
				StoreMedia:           media,
				Webhook:              core.Webhook{URL: receiver.URL, Secrets: []string{webhookSecret}},
			}, core.Deps{FaceID: recordingFaceID{FaceID: client, store: store}, Store: store, Now: clock.Now, QRCode: qrcode.SVG})
			if err != nil {
				t.Fatal(err)
			}
			if fn == "sweep" {
				sweeper = svc
				continue
			}
			if handlers[fn], err = svc.Handler(fn); err != nil {
				t.Fatal(err)
			}
		}
		// do sends one request to a function; hdr are extra header names and values.
		do := func(fn, method, target string, body any, auth bool, hdr ...string) *httptest.ResponseRecorder {
			t.Helper()
			var r io.Reader
			if body != nil {
				b, _ := json.Marshal(body)
				r = bytes.NewReader(b)
			}
			req := httptest.NewRequest(method, "https://"+flowHost+target, r)
			req.Header.Set("Accept", "application/json")
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			if auth {
				req.Header.Set("Authorization", "Bearer "+merchantKey)
			}
			for i := 0; i+1 < len(hdr); i += 2 {
				req.Header.Set(hdr[i], hdr[i+1])
			}
			w := httptest.NewRecorder()
			handlers[fn].ServeHTTP(w, req)
			return w
		}
		start := func(body map[string]any) (token, session string) {
			t.Helper()
			w := do("start", http.MethodPost, "/start", body, true)
			var out struct{ Token, Session string }
			if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &out) != nil || out.Token == "" {
				t.Fatalf("%s start: %d %s", flow, w.Code, w.Body)
			}
			return out.Token, out.Session
		}
		pass := func(token string) {
			t.Helper()
			if err := sb.SetOutcome(token, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
				t.Fatal(err)
			}
		}
		q := url.QueryEscape
		reference := "order-" + string(flow)

		// A pass, reported at /callback, the callback URL reloaded, then read by the merchant.
		passed, passedSession := start(map[string]any{"returnTo": flowReturnTo, "compareImageKey": "uploads/photo.jpg", "reference": reference})
		pass(passed)
		for range 2 {
			if w := do("callback", http.MethodGet, "/callback?token="+q(passed), nil, false); w.Code != http.StatusFound {
				t.Fatalf("%s callback: %d %s", flow, w.Code, w.Body)
			}
		}
		if w := do("result", http.MethodGet, "/result?token="+q(passed), nil, true); w.Code != http.StatusOK {
			t.Fatalf("%s result: %d %s", flow, w.Code, w.Body)
		}

		// Still pending at /callback; finished by the time the merchant asks /result.
		late, _ := start(map[string]any{"returnTo": flowReturnTo, "compareImageKey": "uploads/photo.jpg", "reference": reference})
		if w := do("callback", http.MethodGet, "/callback?token="+q(late), nil, false); w.Code != http.StatusFound {
			t.Fatalf("%s pending callback: %d %s", flow, w.Code, w.Body)
		}
		pass(late)
		clock.advance(5 * time.Second) // past the callback's Tencent-read slot
		w := do("result", http.MethodGet, "/result?token="+q(late), nil, true)
		var res struct{ Status string }
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &res) != nil || res.Status != "passed" {
			t.Fatalf("%s late result: %d %s", flow, w.Code, w.Body)
		}

		// A user who passes and never comes back, and one who never finishes. That start's
		// write-ahead marker is left behind (its removal meets a store fault), as by a start
		// that died half way; the sweeper removes it once it is stale.
		gone, goneSession := start(map[string]any{"returnTo": flowReturnTo, "compareImageKey": "uploads/photo.jpg", "reference": reference})
		pass(gone)
		var faulted atomic.Bool
		stores["start"].failDelete = func(key string) bool {
			return strings.HasPrefix(key, "probes/") && faulted.CompareAndSwap(false, true)
		}
		start(map[string]any{"returnTo": flowReturnTo, "compareImageKey": "uploads/photo.jpg"})
		stores["start"].failDelete = nil
		if !faulted.Load() || len(bucket.keys("probes/")) != 1 {
			t.Fatalf("%s: the start left no write-ahead marker: %v", flow, bucket.keys("probes/"))
		}

		// A browser starts with a start token the merchant signed: it is spent (a second
		// start with it is refused).
		token, err := core.SignStartToken(startTokenSecret, core.StartOptions{ReturnTo: flowReturnTo, CompareImageKey: "uploads/photo.jpg"}, clock.Now().Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if w := do("start", http.MethodPost, "/start", map[string]any{"startToken": token}, false); w.Code != http.StatusCreated || len(w.Result().Cookies()) != 1 {
			t.Fatalf("%s start with a start token: %d %s", flow, w.Code, w.Body)
		}
		if w := do("start", http.MethodPost, "/start", map[string]any{"startToken": token}, false); w.Code != http.StatusConflict {
			t.Fatalf("%s start token spent twice: %d %s", flow, w.Code, w.Body)
		}

		// A backend start with an Idempotency-Key, and its retry, answered from the record;
		// then one that fails, which frees its key.
		idem := "Idempotency-Key"
		first := do("start", http.MethodPost, "/start", map[string]any{"returnTo": flowReturnTo, "compareImageKey": "uploads/photo.jpg"}, true, idem, "grant-"+string(flow))
		again := do("start", http.MethodPost, "/start", map[string]any{"returnTo": flowReturnTo, "compareImageKey": "uploads/photo.jpg"}, true, idem, "grant-"+string(flow))
		var firstRes, againRes core.StartResponse
		_ = json.Unmarshal(first.Body.Bytes(), &firstRes)
		_ = json.Unmarshal(again.Body.Bytes(), &againRes)
		if first.Code != http.StatusCreated || again.Code != http.StatusCreated || again.Header().Get("Idempotent-Replayed") != "true" ||
			firstRes.Session == "" || againRes.Session != firstRes.Session {
			t.Fatalf("%s idempotent start: %d %s, again %d %s", flow, first.Code, first.Body, again.Code, again.Body)
		}
		if w := do("start", http.MethodPost, "/start", map[string]any{"returnTo": "https://elsewhere.example.com/"}, true, idem, "grant-failed-"+string(flow)); w.Code != http.StatusBadRequest {
			t.Fatalf("%s failed idempotent start: %d %s", flow, w.Code, w.Body)
		}

		// A desktop asks for a handoff; the phone opens the link, passes and lands on the
		// callback; the desktop follows the status until it is done.
		created := do("start", http.MethodPost, "/start", map[string]any{"returnTo": flowReturnTo, "compareImageKey": "uploads/photo.jpg", "handoff": true}, true)
		var hr core.HandoffResponse
		if created.Code != http.StatusCreated || json.Unmarshal(created.Body.Bytes(), &hr) != nil {
			t.Fatalf("%s handoff: %d %s", flow, created.Code, created.Body)
		}
		status := func(want string) {
			t.Helper()
			var st core.HandoffStatus
			if w := do("result", http.MethodGet, requestURI(t, hr.StatusURL), nil, false); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &st) != nil || st.State != want {
				t.Fatalf("%s handoff status: %d %s, want %s", flow, w.Code, w.Body, want)
			}
		}
		status("waiting")
		phone := do("start", http.MethodGet, requestURI(t, hr.URL), nil, false, "Accept", "text/html")
		loc, _ := url.Parse(phone.Header().Get("Location"))
		cookies := phone.Result().Cookies()
		if phone.Code != http.StatusFound || loc == nil || loc.Query().Get("token") == "" || len(cookies) != 1 {
			t.Fatalf("%s phone opening: %d %s", flow, phone.Code, phone.Header())
		}
		pass(loc.Query().Get("token"))
		if w := do("callback", http.MethodGet, "/callback?token="+q(loc.Query().Get("token")), nil, false, "Cookie", cookies[0].String()); w.Code != http.StatusOK {
			t.Fatalf("%s phone callback: %d %s", flow, w.Code, w.Body)
		}
		status("done")

		// The sweeper's first checks (2 minutes in): the gone user's result is read from
		// Tencent, the unfinished session stays pending, and every finished verification's
		// first delivery is refused; a minute later the retries are taken.
		clock.advance(3 * time.Minute)
		if rep := sweep("first checks"); rep.TencentCalls < 2 || rep.Undelivered < 3 {
			t.Fatalf("%s first sweep: %+v", flow, rep)
		}
		clock.advance(time.Minute)
		if rep := sweep("retries"); rep.Delivered < 3 {
			t.Fatalf("%s second sweep: %+v", flow, rep)
		}
		if w := do("result", http.MethodGet, "/result?session="+goneSession, nil, true); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"passed"`) {
			t.Fatalf("%s the sweeper did not store the gone user's result: %d %s", flow, w.Code, w.Body)
		}

		// The merchant looks its reference up, then deletes two verifications.
		if w := do("result", http.MethodGet, "/result?reference="+q(reference), nil, true); w.Code != http.StatusOK || strings.Count(w.Body.String(), `"session"`) != 3 {
			t.Fatalf("%s lookup: %d %s", flow, w.Code, w.Body)
		}
		// One session the callback finished, one the sweeper checked (its claims go too).
		for _, session := range []string{passedSession, goneSession} {
			if w := do("result", http.MethodDelete, "/result?session="+session, nil, true); w.Code != http.StatusNoContent {
				t.Fatalf("%s delete: %d %s", flow, w.Code, w.Body)
			}
		}

		// The unfinished session expires at 72 hours (its event delivered at the second
		// attempt); everything finished 72 hours ago (the retention) is purged, the
		// deletion's tombstone included; 72 hours later the expired one goes too.
		clock.advance(73 * time.Hour)
		if rep := sweep("expiry and retention"); rep.Finished < 1 || rep.Purged < 3 {
			t.Fatalf("%s expiry sweep: %+v", flow, rep)
		}
		clock.advance(time.Minute)
		if rep := sweep("the expiry's retry"); rep.Delivered < 1 {
			t.Fatalf("%s expiry retry sweep: %+v", flow, rep)
		}
		clock.advance(73 * time.Hour)
		sweep("last retention")

		// Spent start tokens, the stale marker, the idempotency records and the handoff
		// are gone with the time.
		for _, prefix := range []string{"starttokens/", "probes/", "idem/", "handoffs/"} {
			if keys := bucket.keys(prefix); len(keys) != 0 {
				t.Fatalf("%s: the sweeper left %v", flow, keys)
			}
		}
	}
	out := map[string][]string{}
	for fn, g := range grants {
		out[fn] = sortedNames(g)
	}
	// The runs must have done what every deployment needs, or they proved nothing.
	for fn, musts := range map[string][]string{
		"start": {"PutObject sessions/", "PutObject due/", "PutObject refs/", "PutObject probes/", "DeleteObject probes/",
			"PutObject starttokens/", "PutObject idem/", "GetObject idem/", "DeleteObject idem/", "PutObject handoffs/", "GetObject handoffs/"},
		"callback": {"PutObject results/", "PutObject outbox/", "PutObject checks/"},
		"result":   {"PutObject results/", "DeleteObject results/", "List refs/", "PutObject checks/", "GetObject handoffs/"},
		"sweep": {"List due/", "List outbox/", "PutObject results/", "PutObject delivered/", "DeleteObject sessions/",
			"DeleteObject starttokens/", "DeleteObject probes/", "GetObject idem/", "DeleteObject idem/", "DeleteObject handoffs/",
			"faceid:GetWebVerificationResultIntl", "faceid:GetWebVerificationResult"},
	} {
		for _, must := range musts {
			if !slices.Contains(out[fn], must) {
				t.Fatalf("%s never did %s: %v", fn, must, out[fn])
			}
		}
	}
	if media && !slices.Contains(out["result"], "GetObject media/") {
		t.Fatalf("with media on, result handed out no media link: %v", out["result"])
	}
	return out
}

// requestURI is the path and query of an absolute link the core handed out.
func requestURI(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

// compareJPEG is a small real JPEG, the kind of photo a merchant uploads for comparison.
func compareJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
