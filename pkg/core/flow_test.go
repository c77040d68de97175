package core_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/storage"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/cosstore"
	"github.com/facegate/facegate/pkg/s3store"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/storetest"
)

// s3Store is the S3 adapter through the real aws-sdk-go-v2 over loopback HTTP, against
// gofakes3 in process.
func s3Store(t testing.TB) storage.Store {
	t.Helper()
	srv := storetest.NewS3Server(t, nil)
	s, err := s3store.NewFromConfig(srv.Config(), srv.AWSConfig())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cosStore is the COS adapter through the real cos-go-sdk-v5 over loopback HTTP, against
// gofakes3 in process behind COS's production Host, create-only header and CRC64 answer.
func cosStore(t testing.TB) storage.Store {
	t.Helper()
	srv := storetest.NewCOSServer(t, nil)
	k := storetest.COSKey
	s, err := cosstore.NewFromConfig(srv.Config(), cosstore.StaticCredentials(k.SecretID, k.SecretKey, k.SessionToken), srv.Client.Transport)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var stores = map[string]func(testing.TB) storage.Store{
	"filestore": fileStore,
	"s3store":   s3Store,
	"cosstore":  cosStore,
}

type outcomeCase struct {
	name     string
	opts     core.StartOptions
	outcome  string
	status   core.Status
	category string
	code     *int64 // replaces the outcome's ErrorCode (a code no outcome produces)
}

var outcomeCases = []outcomeCase{
	{"pass", core.StartOptions{Mode: 3}, sandbox.ResultPass, core.StatusPassed, "", nil},
	{"pass with compare", core.StartOptions{CompareImage: jpegBase64}, sandbox.ResultPass, core.StatusPassed, "", nil},
	{"liveness failure", core.StartOptions{Mode: 3}, sandbox.ResultLivenessFail, core.StatusFailed, "liveness", nil},
	{"compare failure", core.StartOptions{Mode: 2, CompareImage: jpegBase64}, sandbox.ResultCompareFail, core.StatusFailed, "compare", nil},
	{"document pass", core.StartOptions{Mode: 4, DocumentType: "HKIDCard"}, sandbox.ResultDocument, core.StatusPassed, "", nil},
	{"document failure", core.StartOptions{Mode: 1}, sandbox.ResultDocumentFail, core.StatusFailed, "document", nil},
	{"user exit", core.StartOptions{}, sandbox.ResultUserExit, core.StatusFailed, "user_exit", nil},
	{"timeout", core.StartOptions{Mode: 3}, sandbox.ResultTimeout, core.StatusFailed, "timeout", nil},
	{"retry limit", core.StartOptions{Mode: 3}, sandbox.ResultRetryLimit, core.StatusFailed, "retry_limit", nil},
	{"unknown code", core.StartOptions{Mode: 3}, sandbox.ResultLivenessFail, core.StatusFailed, "system", new(int64(4321))},
}

// TestFlowEveryOutcomeEveryStore runs start → sandbox outcome → callback → result for every
// outcome on every store, checking what each party sees.
func TestFlowEveryOutcomeEveryStore(t *testing.T) {
	for storeName, newStore := range stores {
		st := newStack(t, stackOptions{newStore: newStore})
		for _, c := range outcomeCases {
			t.Run(storeName+"/"+c.name, func(t *testing.T) {
				st.t = t
				opts := c.opts
				opts.ReturnTo = returnTo
				opts.Extra = "order-" + c.name
				opts.Reference = "ref-42"
				b := st.startPost(opts)
				st.setOutcome(b.token, sandbox.Outcome{Result: c.outcome, ErrorCode: c.code})

				land := st.mustCallback(b)
				if land.status != string(c.status) || land.token != b.token || land.ticket == "" {
					t.Fatalf("landing = %+v, want status %s", land, c.status)
				}
				if got := land.url.Scheme + "://" + land.url.Host + land.url.Path; got != returnTo {
					t.Fatalf("landed on %s, want %s", got, returnTo)
				}

				sum, rec := st.summary(b.token, land.ticket)
				if rec.Code != http.StatusOK || sum.Status != c.status || sum.Category != c.category || sum.Message == "" {
					t.Fatalf("summary = %d %+v", rec.Code, sum)
				}
				if strings.Contains(rec.Body.String(), `"code"`) || strings.Contains(rec.Body.String(), "order-") {
					t.Fatalf("summary leaks merchant data: %s", rec.Body)
				}

				res, rec := st.fullResult(b.token)
				if rec.Code != http.StatusOK {
					t.Fatalf("full result = %d %s", rec.Code, rec.Body)
				}
				if res.Status != c.status || res.Category != c.category || res.Code == nil ||
					res.Extra != opts.Extra || res.Reference != "ref-42" || res.CompletedAt == nil {
					t.Fatalf("full result = %+v", res)
				}
				if c.status == core.StatusPassed && *res.Code != 0 {
					t.Fatalf("passed with code %d", *res.Code)
				}
				if c.code != nil && *res.Code != *c.code {
					t.Fatalf("raw code %d not kept (got %d)", *c.code, *res.Code)
				}
				switch c.outcome {
				case sandbox.ResultPass, sandbox.ResultLivenessFail, sandbox.ResultCompareFail, sandbox.ResultRetryLimit:
					if len(res.Attempts) == 0 || res.Attempts[0].Code == nil || res.Attempts[0].At == nil {
						t.Fatalf("attempts missing: %s", rec.Body)
					}
				}
				if c.outcome == sandbox.ResultRetryLimit && len(res.Attempts) < 2 {
					t.Fatalf("retry limit with %d attempts", len(res.Attempts))
				}
				if strings.Contains(c.name, "compare") {
					if res.Attempts[len(res.Attempts)-1].Similarity == nil {
						t.Fatalf("compare attempt without similarity: %+v", res.Attempts)
					}
				}
				if strings.HasPrefix(c.name, "document") {
					if len(res.Documents) == 0 || len(res.Documents[0].NormalCardInfo) == 0 || res.Documents[0].IsPass == nil {
						t.Fatalf("document result without card data: %s", rec.Body)
					}
					if strings.Contains(rec.Body.String(), "Base64") {
						t.Fatalf("document images returned inline: %s", rec.Body)
					}
				}
			})
		}
	}
}

// TestFlowGetStartNavigates covers GET /start: a 302 to Tencent's page and the cookie.
func TestFlowGetStartNavigates(t *testing.T) {
	st := newStack(t, stackOptions{})
	b := st.startGet(url.Values{"returnTo": {returnTo}, "lang": {"th"}, "mode": {"3"}, "extra": {"x y"}})
	loc := b.start.Header().Get("Location")
	if !strings.Contains(loc, "/reflect/?token=") || b.token == "" {
		t.Fatalf("Location = %q", loc)
	}
	if b.start.Body.Len() > 0 && strings.Contains(b.start.Body.String(), b.token) {
		t.Fatal("the redirect body repeats the token")
	}
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
	if land := st.mustCallback(b); land.status != "passed" {
		t.Fatalf("status = %s", land.status)
	}
}

// TestFlowPending: the callback before Tencent has a result answers pending and writes
// nothing; /result then reads Tencent once per request until the result is terminal.
func TestFlowPending(t *testing.T) {
	for storeName, newStore := range stores {
		t.Run(storeName, func(t *testing.T) {
			st := newStack(t, stackOptions{newStore: newStore})
			b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
			creates := st.store.creates.Load()

			land := st.mustCallback(b)
			if land.status != "pending" || land.ticket == "" {
				t.Fatalf("landing = %+v", land)
			}
			if st.store.creates.Load() != creates {
				t.Fatal("a pending callback wrote to the store")
			}
			sum, rec := st.summary(b.token, land.ticket)
			if sum.Status != core.StatusPending || rec.Header().Get("Retry-After") == "" {
				t.Fatalf("pending summary = %+v, Retry-After %q", sum, rec.Header().Get("Retry-After"))
			}
			res, rec := st.fullResult(b.token)
			if res.Status != core.StatusPending || res.Reference != "" || res.CompletedAt != nil || rec.Header().Get("Retry-After") == "" {
				t.Fatalf("pending full result = %+v", res)
			}
			if st.store.creates.Load() != creates {
				t.Fatal("a pending result wrote to the store")
			}

			st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultPass})
			// Within the slot the callback read Tencent in, a reader gets the stored state.
			calls := st.faceid.calls.Load()
			if sum, rec := st.summary(b.token, land.ticket); sum.Status != core.StatusPending || rec.Header().Get("Retry-After") == "" || st.faceid.calls.Load() != calls {
				t.Fatalf("a read in the same slot: %+v, %d Tencent calls", sum, st.faceid.calls.Load()-calls)
			}
			st.nextSlot()
			sum, _ = st.summary(b.token, land.ticket)
			if sum.Status != core.StatusPassed {
				t.Fatalf("after the outcome: %+v", sum)
			}
			if got := st.faceid.calls.Load() - calls; got != 1 {
				t.Fatalf("pending → passed took %d Tencent calls, want 1", got)
			}
			if got := st.store.creates.Load() - creates; got != 1 {
				t.Fatalf("pending → passed wrote %d objects, want 1", got)
			}
			// From now on the store answers; the pending ticket still reads the current status.
			calls = st.faceid.calls.Load()
			if sum, _ := st.summary(b.token, land.ticket); sum.Status != core.StatusPassed {
				t.Fatalf("second read: %+v", sum)
			}
			if st.faceid.calls.Load() != calls {
				t.Fatal("a terminal session called Tencent again")
			}
		})
	}
}

// TestFlowExpired: a BizToken never used within its start window reads as ErrorCode 15,
// and one past Tencent's result window as BizTokenExpired; both become a stored "expired".
func TestFlowExpired(t *testing.T) {
	for storeName, newStore := range stores {
		t.Run("unused token/"+storeName, func(t *testing.T) {
			st := newStack(t, stackOptions{newStore: newStore})
			b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
			st.clock.Advance(11 * time.Minute)
			land := st.mustCallback(b)
			if land.status != "expired" {
				t.Fatalf("status = %s", land.status)
			}
			calls := st.faceid.calls.Load()
			res, _ := st.fullResult(b.token)
			if res.Status != core.StatusExpired || res.Category != "expired" {
				t.Fatalf("result = %+v", res)
			}
			if sum, _ := st.summary(b.token, land.ticket); sum.Status != core.StatusExpired || sum.Category != "expired" {
				t.Fatalf("summary = %+v", sum)
			}
			if st.faceid.calls.Load() != calls {
				t.Fatal("an expired session called Tencent again")
			}
		})
	}
	t.Run("past the result window", func(t *testing.T) {
		st := newStack(t, stackOptions{sandbox: func(o *sandbox.Options) { o.ResultWindow = time.Hour }})
		b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
		st.clock.Advance(2 * time.Hour)
		res, rec := st.fullResult(b.token)
		if rec.Code != http.StatusOK || res.Status != core.StatusExpired || res.Code != nil {
			t.Fatalf("result = %d %+v", rec.Code, res)
		}
		// Terminal: the expired record is what everybody reads from now on.
		calls := st.faceid.calls.Load()
		if land := st.mustCallback(b); land.status != "expired" {
			t.Fatalf("callback status = %s", land.status)
		}
		if st.faceid.calls.Load() != calls {
			t.Fatal("expired session called Tencent again")
		}
	})
	t.Run("past the session's own lifetime", func(t *testing.T) {
		st := newStack(t, stackOptions{})
		b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
		st.clock.Advance(73 * time.Hour)
		creates, calls := st.store.creates.Load(), st.faceid.calls.Load()
		// The browser goes back to the merchant's page, told that the link expired.
		rec := st.callback(b)
		if rec.Code != http.StatusFound || !strings.HasSuffix(rec.Header().Get("Location"), "?code=token_expired&status=error") {
			t.Fatalf("callback = %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if _, rec := st.fullResult(b.token); rec.Code != http.StatusGone || errorCode(t, rec) != "token_expired" {
			t.Fatalf("result = %d %s", rec.Code, rec.Body)
		}
		if st.store.creates.Load() != creates || st.faceid.calls.Load() != calls {
			t.Fatal("an expired session wrote or called Tencent")
		}
	})
}

// TestFlowLegacy runs the upload-URL flow with a compare image and without one.
func TestFlowLegacy(t *testing.T) {
	st := newStack(t, stackOptions{config: func(c *core.Config) { c.Flow = core.FlowLegacy }})
	if err := st.store.inner.Create(context.Background(), "uploads/legacy.jpg", jpegImage); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		opts    core.StartOptions
		outcome string
		status  core.Status
		calls   int64
	}{
		{"with image", core.StartOptions{CompareImage: jpegBase64}, sandbox.ResultPass, core.StatusPassed, 3},
		{"image from the bucket", core.StartOptions{CompareImageKey: "uploads/legacy.jpg"}, sandbox.ResultLivenessFail, core.StatusFailed, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			st.t = t
			opts := c.opts
			opts.ReturnTo = returnTo
			opts.Extra = "legacy extra"
			calls := st.faceid.calls.Load()
			b := st.startPost(opts)
			if got := st.faceid.calls.Load() - calls; got != c.calls {
				t.Fatalf("legacy start made %d Tencent calls, want %d", got, c.calls)
			}
			st.setOutcome(b.token, sandbox.Outcome{Result: c.outcome})
			if land := st.mustCallback(b); land.status != string(c.status) {
				t.Fatalf("status = %s", land.status)
			}
			res, _ := st.fullResult(b.token)
			if res.Status != c.status || res.Flow != core.FlowLegacy || res.Extra != "legacy extra" {
				t.Fatalf("result = %+v", res)
			}
		})
	}
	st.t = t
	for name, opts := range map[string]core.StartOptions{
		"lang":     {ReturnTo: returnTo, Language: "th", CompareImage: jpegBase64},
		"mode":     {ReturnTo: returnTo, Mode: 2, CompareImage: jpegBase64},
		"no image": {ReturnTo: returnTo},
	} {
		rec := st.postJSON("/start", opts)
		if rec.Code != http.StatusBadRequest || errorCode(t, rec) != "invalid_option" {
			t.Errorf("legacy with %s = %d %s", name, rec.Code, rec.Body)
		}
	}
}

// TestFlowImageFromBucket reads the compare image from the store by key.
func TestFlowImageFromBucket(t *testing.T) {
	st := newStack(t, stackOptions{})
	if err := st.store.inner.Create(context.Background(), "uploads/user-1.jpg", jpegImage); err != nil {
		t.Fatal(err)
	}
	b := st.startPost(core.StartOptions{ReturnTo: returnTo, CompareImageKey: "uploads/user-1.jpg"})
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultCompareFail})
	if land := st.mustCallback(b); land.status != "failed" {
		t.Fatalf("status = %s", land.status)
	}
	for key, want := range map[string]string{
		"uploads/missing.jpg": "image_not_found",
		"sessions/x.json":     "invalid_option",
		"uploads/../x.jpg":    "invalid_option",
		"uploads/":            "invalid_option",
	} {
		rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, CompareImageKey: key})
		if rec.Code/100 != 4 || errorCode(t, rec) != want {
			t.Errorf("key %q: %d %s, want %s", key, rec.Code, rec.Body, want)
		}
	}
}

// TestFlowMerchantBackendStart: a merchant backend starts with its key and gets no cookie;
// the callback then needs none.
func TestFlowMerchantBackendStart(t *testing.T) {
	st := newStack(t, stackOptions{config: func(c *core.Config) { c.StartTokenSecrets = [][]byte{startSecret} }})
	rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}, "Authorization", "Bearer "+merchantKey)
	if rec.Code != http.StatusCreated || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("backend start = %d, %d cookies", rec.Code, len(rec.Result().Cookies()))
	}
	var resp core.StartResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Bound || resp.Token == "" {
		t.Fatalf("start response %+v %v", resp, err)
	}
	st.setOutcome(resp.Token, sandbox.Outcome{Result: sandbox.ResultPass})
	if land := st.mustCallback(&browser{token: resp.Token}); land.status != "passed" {
		t.Fatalf("status = %s", land.status)
	}
}

// TestFlowMedia stores media when configured and hands the merchant links, never bytes.
func TestFlowMedia(t *testing.T) {
	st := newStack(t, stackOptions{
		newStore: s3Store,
		config:   func(c *core.Config) { c.StoreMedia = true },
	})
	b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 1})
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultDocument})
	land := st.mustCallback(b)
	if st.store.puts.Load() == 0 {
		t.Fatal("no media stored")
	}
	res, rec := st.fullResult(b.token)
	if len(res.Media) == 0 {
		t.Fatalf("no media links: %s", rec.Body)
	}
	for _, m := range res.Media {
		u, err := url.Parse(m.URL)
		if err != nil || !strings.HasPrefix(m.URL, "http") || !strings.Contains(u.RawQuery, "X-Amz-Signature") || m.Size == 0 {
			t.Fatalf("media link %+v", m)
		}
		if !m.ExpiresAt.After(st.clock.Now()) || m.ExpiresAt.After(st.clock.Now().Add(6*time.Minute)) {
			t.Fatalf("media link expiry %v", m.ExpiresAt)
		}
	}
	for _, leak := range []string{"Base64", "/9j/", "AAAA"} {
		if strings.Contains(rec.Body.String(), leak) {
			t.Fatalf("full result carries media inline (%q)", leak)
		}
	}
	if _, rec := st.summary(b.token, land.ticket); strings.Contains(rec.Body.String(), "http") {
		t.Fatalf("summary carries links: %s", rec.Body)
	}
}

// TestRacingWritersAgree: many requests finishing the same session at once all answer the
// one stored result (the first Create wins; the others read it back).
func TestRacingWritersAgree(t *testing.T) {
	for storeName, newStore := range stores {
		t.Run(storeName, func(t *testing.T) {
			// Every reader wins a claim, as readers in different slots would: the race is
			// between writers of the result.
			st := newStack(t, stackOptions{newStore: func(t testing.TB) storage.Store { return claimlessStore{newStore(t)} }})
			b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
			st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultLivenessFail})
			bodies := make([]string, 8)
			var wg sync.WaitGroup
			for i := range bodies {
				wg.Go(func() {
					if rec := st.get("/result?token="+b.token, "Authorization", "Bearer "+merchantKey); rec.Code == http.StatusOK {
						bodies[i] = rec.Body.String()
					}
				})
			}
			wg.Wait()
			for i, body := range bodies {
				if body == "" || body != bodies[0] {
					t.Fatalf("answer %d differs:\n%s\n%s", i, body, bodies[0])
				}
			}
			if !strings.Contains(bodies[0], `"status":"failed"`) {
				t.Fatalf("answer %s", bodies[0])
			}
			// Later reads are the same stored record.
			if _, rec := st.fullResult(b.token); rec.Body.String() != bodies[0] {
				t.Fatalf("stored record differs: %s", rec.Body)
			}
		})
	}
}
