package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/storage"
)

// TestAnonymousStartsAreOffByDefault: a deployment's configuration that says nothing about
// anonymous starts bills nothing for a browser that has neither a start token nor the
// merchant key.
func TestAnonymousStartsAreOffByDefault(t *testing.T) {
	st := newStack(t, stackOptions{config: func(c *core.Config) { c.AnonymousStarts = false }})
	q := url.Values{"returnTo": {returnTo}, "mode": {"3"}}
	for name, rec := range map[string]*http.Response{
		"GET":  st.get("/start?"+q.Encode(), "Accept", "application/json").Result(),
		"POST": st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}).Result(),
	} {
		if rec.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, rec.StatusCode)
		}
	}
	// A navigating page goes back to the merchant's page, which knows what to do.
	if rec := st.get("/start?"+q.Encode(), "Accept", "text/html"); rec.Code != http.StatusFound ||
		!strings.HasSuffix(rec.Header().Get("Location"), "?code=start_token_required&status=error") {
		t.Errorf("page: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}); errorCode(t, rec) != "start_token_required" {
		t.Fatalf("code %s", errorCode(t, rec))
	}
	if st.faceid.calls.Load() != 0 || st.store.creates.Load() != 0 {
		t.Fatalf("refused anonymous starts made %d Tencent calls and %d writes", st.faceid.calls.Load(), st.store.creates.Load())
	}
	// The merchant's backend starts with its key.
	if rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}, "Authorization", "Bearer "+merchantKey); rec.Code != http.StatusCreated {
		t.Fatalf("backend start: %d %s", rec.Code, rec.Body)
	}
}

// TestIdempotentBackendStart: 50 concurrent POST /start with one Idempotency-Key and one
// body create one Tencent session and all answer it; another body with the key is a 409.
func TestIdempotentBackendStart(t *testing.T) {
	for storeName, newStore := range stores {
		t.Run(storeName, func(t *testing.T) {
			st := newStack(t, stackOptions{newStore: newStore, sandbox: func(o *sandbox.Options) { o.Faults.Latency = 30 * time.Millisecond }})
			opts := core.StartOptions{ReturnTo: returnTo, Mode: 3, Reference: "order-42"}
			post := func(key string, o core.StartOptions) (int, core.StartResponse, string) {
				rec := st.postJSON("/start", o, "Authorization", "Bearer "+merchantKey, "Idempotency-Key", key)
				var sr core.StartResponse
				if rec.Code == http.StatusCreated {
					if err := json.Unmarshal(rec.Body.Bytes(), &sr); err != nil {
						t.Error(err)
					}
					return rec.Code, sr, ""
				}
				return rec.Code, sr, errorCode(t, rec)
			}
			var wg sync.WaitGroup
			sessions := make([]string, 50)
			var replays atomic.Int64
			for i := range sessions {
				wg.Go(func() {
					code, sr, ecode := post("order-42-attempt", opts)
					if code != http.StatusCreated {
						t.Errorf("racer %d: %d %s", i, code, ecode)
					}
					sessions[i] = sr.Session
					if sr.Token != "" {
						replays.Add(1)
					}
				})
			}
			wg.Wait()
			if calls := st.faceid.calls.Load(); calls != 1 {
				t.Fatalf("50 idempotent starts made %d Tencent calls, want 1", calls)
			}
			for i, s := range sessions {
				if s == "" || s != sessions[0] {
					t.Fatalf("racer %d got session %q, racer 0 %q", i, s, sessions[0])
				}
			}
			if code, _, ecode := post("order-42-attempt", core.StartOptions{ReturnTo: returnTo, Mode: 3, Reference: "order-43"}); code != http.StatusConflict || ecode != "idempotency_key_reused" {
				t.Fatalf("another body with the key: %d %s", code, ecode)
			}
			if rec := st.postJSON("/start", opts, "Idempotency-Key", "k"); rec.Code != http.StatusBadRequest {
				t.Fatalf("a key without the merchant key: %d", rec.Code)
			}
			// After the window the key is free again and starts anew.
			st.clock.Advance(25 * time.Hour)
			if code, sr, _ := post("order-42-attempt", opts); code != http.StatusCreated || sr.Session == sessions[0] {
				t.Fatalf("after 24 hours: %d session %q", code, sr.Session)
			}
		})
	}
}

// flakyStore fails the creates of one folder a number of times, then works.
type flakyStore struct {
	storage.Store
	folder string
	fails  atomic.Int64
}

var errFlaky = errors.New("disk full writing /srv/facegate/data/sessions/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.json")

func (f *flakyStore) Create(ctx context.Context, key string, data []byte) error {
	if strings.HasPrefix(key, f.folder) && f.fails.Add(-1) >= 0 {
		return errFlaky
	}
	return f.Store.Create(ctx, key, data)
}

// TestStoreFaultsAtStart: a store that takes no writes costs no Tencent call (the start
// writes before its billed Apply); a store that stumbles after the Apply is retried; one
// that keeps failing answers 503 with Retry-After, writes nothing half, and the log names
// the session by its short hash only, with no path of the machine.
func TestStoreFaultsAtStart(t *testing.T) {
	t.Run("no writes at all", func(t *testing.T) {
		st := newStack(t, stackOptions{newStore: func(testing.TB) storage.Store { return failingStore{} }})
		rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3})
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || errorCode(t, rec) != "storage_unavailable" {
			t.Fatalf("start: %d %s", rec.Code, rec.Body)
		}
		if st.faceid.calls.Load() != 0 {
			t.Fatal("a start spent a Tencent call on a store that takes no writes")
		}
	})
	t.Run("a passing fault is retried", func(t *testing.T) {
		var fs *flakyStore
		st := newStack(t, stackOptions{newStore: func(t testing.TB) storage.Store {
			fs = &flakyStore{Store: fileStore(t), folder: "sessions/"}
			fs.fails.Store(2)
			return fs
		}})
		b := st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
		if len(st.keys("sessions/")) != 1 || b.token == "" {
			t.Fatal("the session was not recorded after two failed writes")
		}
	})
	t.Run("a lasting fault", func(t *testing.T) {
		st := newStack(t, stackOptions{newStore: func(t testing.TB) storage.Store {
			fs := &flakyStore{Store: fileStore(t), folder: "sessions/"}
			fs.fails.Store(100)
			return fs
		}})
		rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3})
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("start: %d %s", rec.Code, rec.Body)
		}
		if len(rec.Result().Cookies()) != 0 {
			t.Fatal("a failed start set a cookie")
		}
		for _, prefix := range []string{"sessions/", "due/", "refs/", "probes/"} {
			if keys := st.keys(prefix); len(keys) != 0 {
				t.Errorf("a failed start left %v", keys)
			}
		}
		logs := st.logs.String()
		if !strings.Contains(logs, "not recorded") {
			t.Fatalf("the unrecorded session was not logged:\n%s", logs)
		}
		if regexp.MustCompile(`[0-9a-f]{64}`).MatchString(logs) || strings.Contains(logs, "/srv/") {
			t.Fatalf("a log line holds a full hash or a path:\n%s", logs)
		}
	})
}

// TestOrphanedStart: Tencent issues a token but its answer is lost on the way. The start
// answers 503 (retrying helps), records nothing, and leaves no marker behind.
func TestOrphanedStart(t *testing.T) {
	st := newStack(t, stackOptions{})
	st.sandbox.SetFaults(sandbox.Faults{DropAfterRate: 1})
	rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3})
	if rec.Code != http.StatusServiceUnavailable || errorCode(t, rec) != "upstream_unavailable" || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("start: %d %s", rec.Code, rec.Body)
	}
	if len(st.sandbox.RecentTokens()) != 1 {
		t.Fatal("the sandbox issued no token: the fault did not happen")
	}
	for _, prefix := range []string{"sessions/", "due/", "probes/"} {
		if keys := st.keys(prefix); len(keys) != 0 {
			t.Errorf("the orphaned start left %v", keys)
		}
	}
	// The user tries again and gets a verification.
	st.sandbox.SetFaults(sandbox.Faults{})
	st.startPost(core.StartOptions{ReturnTo: returnTo, Mode: 3})
}

// TestCallbackWaitsForTheStore: a user arriving at the callback while the store cannot be
// read gets a page that retries by itself a few times, then tells them their verification
// is safe and leads them home, in their language, never a dead 500.
func TestCallbackWaitsForTheStore(t *testing.T) {
	st := newStack(t, stackOptions{
		newStore: func(testing.TB) storage.Store { return failingStore{} },
		config:   func(c *core.Config) { c.Brand.HomeURL = "https://shop.example.test/account" },
	})
	get := func(q string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, callbackURL+"?token=ABC-1"+q, nil)
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Accept-Language", "id-ID,id;q=0.9")
		return st.do(req).Result()
	}
	first := get("")
	body := readAll(t, first)
	if first.StatusCode != http.StatusServiceUnavailable || first.Header.Get("Retry-After") == "" ||
		!strings.Contains(body, `http-equiv="refresh"`) || !strings.Contains(body, "fg_retry=1") ||
		!strings.Contains(body, html.EscapeString(core.MsgUIRetryPage.Text("id"))) {
		t.Fatalf("first arrival: %d %s", first.StatusCode, body)
	}
	last := get("&fg_retry=3")
	body = readAll(t, last)
	if strings.Contains(body, `http-equiv="refresh"`) || !strings.Contains(body, html.EscapeString(core.MsgUISafeToClose.Text("id"))) ||
		!strings.Contains(body, `href="https://shop.example.test/account"`) {
		t.Fatalf("after the retries: %d %s", last.StatusCode, body)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
