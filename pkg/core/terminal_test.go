package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/storage"
)

// racingFaceID is a scripted Tencent for the race below: its result reads wait until
// `racers` of them are in flight, so every racer has read Tencent before any of them
// writes, and then each gets a different terminal answer (passed, failed, expired).
type racingFaceID struct {
	racers  int
	calls   atomic.Int64
	arrived sync.WaitGroup
	pending atomic.Bool // after the race: Tencent answers "not finished"
}

var errNotScripted = errors.New("not scripted")

func (f *racingFaceID) ApplyWebVerificationBizTokenIntl(context.Context, *faceid.ApplyWebVerificationBizTokenIntlRequest) (*faceid.ApplyWebVerificationBizTokenIntlResponse, error) {
	return &faceid.ApplyWebVerificationBizTokenIntlResponse{BizToken: "RACE-TOKEN-1", VerificationURL: "https://page.example.test/?token=RACE-TOKEN-1"}, nil
}

func (f *racingFaceID) GetWebVerificationResultIntl(context.Context, string) (*faceid.GetWebVerificationResultIntlResponse, error) {
	n := f.calls.Add(1)
	if f.pending.Load() {
		return &faceid.GetWebVerificationResultIntlResponse{}, nil
	}
	f.arrived.Done()
	// The wait is bounded only so that a broken core cannot hang the run; the assertions
	// below do not depend on it.
	done := make(chan struct{})
	go func() { f.arrived.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	switch n % 3 {
	case 0:
		return &faceid.GetWebVerificationResultIntlResponse{ErrorCode: new(int64(0))}, nil
	case 1:
		return &faceid.GetWebVerificationResultIntlResponse{ErrorCode: new(int64(2011))}, nil
	default:
		return nil, &faceid.Error{Kind: faceid.KindTokenExpired, Code: "InvalidParameterValue.BizTokenExpired"}
	}
}

func (f *racingFaceID) CreateUploadUrl(context.Context, string) (*faceid.CreateUploadUrlResponse, error) {
	return nil, errNotScripted
}

func (f *racingFaceID) Upload(context.Context, string, []byte) (string, error) {
	return "", errNotScripted
}

func (f *racingFaceID) ApplyWebVerificationToken(context.Context, *faceid.ApplyWebVerificationTokenRequest) (*faceid.ApplyWebVerificationTokenResponse, error) {
	return nil, errNotScripted
}

func (f *racingFaceID) GetWebVerificationResult(context.Context, string) (*faceid.GetWebVerificationResultResponse, error) {
	return nil, errNotScripted
}

// claimlessStore grants every claim of a Tencent read (checks/), as if each racer came
// in a slot of its own: the race below is between Tencent reads that did happen.
type claimlessStore struct{ storage.Store }

func (s claimlessStore) Create(ctx context.Context, key string, data []byte) error {
	if strings.HasPrefix(key, "checks/") {
		return nil
	}
	return s.Store.Create(ctx, key, data)
}

// TestTerminalStatusNeverDowngraded races callbacks and merchant reads of one session
// whose Tencent reads each come back with a different terminal status, on every store.
// Exactly one result is stored; every racer answers with it; and from then on nothing,
// not even Tencent changing its answer, moves the session off it.
func TestTerminalStatusNeverDowngraded(t *testing.T) {
	for storeName, newStore := range stores {
		t.Run(storeName, func(t *testing.T) {
			const callbacks, reads = 3, 6
			fake := &racingFaceID{racers: callbacks + reads}
			fake.arrived.Add(fake.racers)
			store := &countingStore{inner: claimlessStore{newStore(t)}}
			cfg := testConfig()
			svc, err := core.New(cfg, core.Deps{FaceID: fake, Store: store, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			h := svc.Routes()
			serve := func(req *http.Request) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			merchantRead := func() *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, "/result?token=RACE-TOKEN-1", nil)
				req.Header.Set("Authorization", "Bearer "+merchantKey)
				return serve(req)
			}
			// A backend start: no binding, so every racer may take the callback.
			start := httptest.NewRequest(http.MethodPost, "/start", strings.NewReader(`{"returnTo":"`+returnTo+`","mode":3}`))
			start.Header.Set("Content-Type", "application/json")
			start.Header.Set("Authorization", "Bearer "+merchantKey)
			if rec := serve(start); rec.Code != http.StatusCreated {
				t.Fatalf("start = %d %s", rec.Code, rec.Body)
			}

			statuses := make([]string, callbacks+reads)
			var wg sync.WaitGroup
			for i := range callbacks {
				wg.Go(func() {
					rec := serve(httptest.NewRequest(http.MethodGet, "/callback?token=RACE-TOKEN-1", nil))
					if loc, err := url.Parse(rec.Header().Get("Location")); rec.Code == http.StatusFound && err == nil {
						statuses[i] = loc.Query().Get("status")
					}
				})
			}
			for i := range reads {
				wg.Go(func() {
					var res core.Result
					if rec := merchantRead(); rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &res) == nil {
						statuses[callbacks+i] = string(res.Status)
					}
				})
			}
			wg.Wait()

			if got := fake.calls.Load(); got != int64(fake.racers) {
				t.Fatalf("%d Tencent reads, want one per racer (%d): the race did not happen", got, fake.racers)
			}
			var stored core.Result
			if rec := merchantRead(); rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &stored) != nil || !stored.Status.Terminal() {
				t.Fatalf("stored result: %d %s", rec.Code, rec.Body)
			}
			for i, s := range statuses {
				if s != string(stored.Status) {
					t.Fatalf("racer %d answered %q, but %q is stored (all: %v)", i, s, stored.Status, statuses)
				}
			}

			// Later: Tencent forgets the result (pending); the session stays terminal. The
			// merchant's reads never ask Tencent again; a callback (which asks Tencent first,
			// as a user arriving there has usually just finished) may, but what it stores
			// cannot change, and it answers the stored status.
			fake.pending.Store(true)
			calls := fake.calls.Load()
			for range 3 {
				var again core.Result
				if rec := merchantRead(); json.Unmarshal(rec.Body.Bytes(), &again) != nil || again.Status != stored.Status || *again.CompletedAt != *stored.CompletedAt {
					t.Fatalf("after the race: %d %s, want %s", rec.Code, rec.Body, stored.Status)
				}
			}
			if fake.calls.Load() != calls {
				t.Fatal("a merchant's read of a terminal session asked Tencent again")
			}
			for range 3 {
				rec := serve(httptest.NewRequest(http.MethodGet, "/callback?token=RACE-TOKEN-1", nil))
				if loc, _ := url.Parse(rec.Header().Get("Location")); loc == nil || loc.Query().Get("status") != string(stored.Status) {
					t.Fatalf("callback after the race: %d %s", rec.Code, rec.Header().Get("Location"))
				}
			}
			var final core.Result
			if rec := merchantRead(); json.Unmarshal(rec.Body.Bytes(), &final) != nil || final.Status != stored.Status || *final.CompletedAt != *stored.CompletedAt {
				t.Fatalf("after the callbacks: %s, want %s", rec.Body, stored.Status)
			}
		})
	}
}
