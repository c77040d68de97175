// Command merchant is a merchant's backend for facegate in Go: the standard library and
// facegate's pkg/webhook (standard library only), nothing else. It
//
//   - sends a user's browser to facegate with a start token it signs
//     (GET /kyc/start?user=…), or starts a verification itself with the merchant key and
//     an Idempotency-Key (POST /kyc/start?user=…&attempt=…);
//   - receives facegate's webhooks (POST /webhooks/facegate): checks the signature, drops
//     events it has seen, and fetches the full result with the merchant key;
//   - tells the user's app what it knows (GET /kyc/status?user=…);
//   - erases a user's verifications at facegate (POST /kyc/erase?user=…).
//
// Configuration comes from the environment: FACEGATE_URL (facegate's gateway, with any
// stage prefix), FACEGATE_MERCHANT_KEY (one of facegate's FACEGATE_MERCHANT_KEYS),
// FACEGATE_START_TOKEN_SECRET (one of FACEGATE_START_TOKEN_SECRETS),
// FACEGATE_WEBHOOK_SECRETS (facegate's, comma-separated), RETURN_TO (your return page,
// on facegate's FACEGATE_RETURN_TO allowlist) and PORT (default 8000).
//
// The user is named by a query parameter so that the example stays small; a real backend
// takes the user from its own login session, never from the request.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/facegate/facegate/pkg/webhook"
)

func main() {
	if err := run(os.Getenv, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// config is what the backend reads from its environment.
type config struct {
	facegateURL      string
	merchantKey      string
	startTokenSecret string
	webhookSecrets   []string
	returnTo         string
	port             string
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		facegateURL:      strings.TrimSuffix(getenv("FACEGATE_URL"), "/"),
		merchantKey:      getenv("FACEGATE_MERCHANT_KEY"),
		startTokenSecret: getenv("FACEGATE_START_TOKEN_SECRET"),
		returnTo:         getenv("RETURN_TO"),
		port:             getenv("PORT"),
	}
	for s := range strings.SplitSeq(getenv("FACEGATE_WEBHOOK_SECRETS"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.webhookSecrets = append(c.webhookSecrets, s)
		}
	}
	if c.port == "" {
		c.port = "8000"
	}
	var missing []string
	for name, v := range map[string]string{"FACEGATE_URL": c.facegateURL, "FACEGATE_MERCHANT_KEY": c.merchantKey,
		"FACEGATE_START_TOKEN_SECRET": c.startTokenSecret, "RETURN_TO": c.returnTo} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(c.webhookSecrets) == 0 {
		missing = append(missing, "FACEGATE_WEBHOOK_SECRETS")
	}
	if len(missing) > 0 {
		return config{}, fmt.Errorf("set %s", strings.Join(missing, ", "))
	}
	return c, nil
}

func run(getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	s := newShop(cfg)
	fmt.Fprintf(stdout, "merchant backend listening on :%s\n", cfg.port)
	srv := &http.Server{Addr: ":" + cfg.port, Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

// verification is what the backend keeps of one verification: what the user's app may
// see. The full result stays in the backend (here: only its number of attempts is kept).
type verification struct {
	Session  string   `json:"session"`
	Status   string   `json:"status"`
	Category string   `json:"category,omitempty"`
	Attempts int      `json:"attempts"`
	Events   []string `json:"events"`
}

// shop is the backend's state. A real one keeps it in its database.
type shop struct {
	cfg    config
	client *http.Client

	mu     sync.Mutex
	seen   map[string]bool            // ids of the events handled (a redelivery repeats one)
	byUser map[string][]*verification // by the reference given to facegate: the user id
}

func newShop(cfg config) *shop {
	return &shop{
		cfg:    cfg,
		client: &http.Client{Timeout: 15 * time.Second},
		seen:   map[string]bool{},
		byUser: map[string][]*verification{},
	}
}

func (s *shop) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kyc/start", s.startLink)
	mux.HandleFunc("POST /kyc/start", s.startFromBackend)
	mux.Handle("POST /webhooks/facegate", webhook.Handler(s.cfg.webhookSecrets, s.handleEvent))
	mux.HandleFunc("GET /kyc/status", s.status)
	mux.HandleFunc("POST /kyc/erase", s.erase)
	return mux
}

var (
	userPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	attemptPattern = regexp.MustCompile(`^[0-9]{1,9}$`)
)

// user returns the user a request is about, or answers 400.
func user(w http.ResponseWriter, r *http.Request) (string, bool) {
	u := r.URL.Query().Get("user")
	if !userPattern.MatchString(u) {
		http.Error(w, "user must be 1 to 64 letters, digits, - or _", http.StatusBadRequest)
		return "", false
	}
	return u, true
}

// startLink sends the browser to facegate's /start with a start token that fixes the
// return page and the user's reference. The token is single use and lives 10 minutes.
func (s *shop) startLink(w http.ResponseWriter, r *http.Request) {
	u, ok := user(w, r)
	if !ok {
		return
	}
	token, err := SignStartToken(s.cfg.startTokenSecret, StartOptions{ReturnTo: s.cfg.returnTo, Reference: u}, 10*time.Minute)
	if err != nil {
		http.Error(w, "cannot sign a start token", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, s.cfg.facegateURL+"/start?startToken="+url.QueryEscape(token), http.StatusFound)
}

// startFromBackend starts a verification with the merchant key. The Idempotency-Key is
// derived from the app's own attempt number, so a retried request (here, or by the app)
// gets the same verification instead of a second, billed one.
func (s *shop) startFromBackend(w http.ResponseWriter, r *http.Request) {
	u, ok := user(w, r)
	if !ok {
		return
	}
	attempt := r.URL.Query().Get("attempt")
	if !attemptPattern.MatchString(attempt) {
		http.Error(w, "attempt must be a number", http.StatusBadRequest)
		return
	}
	body, _ := json.Marshal(map[string]string{"returnTo": s.cfg.returnTo, "reference": u})
	var started struct {
		Session         string `json:"session"`
		VerificationURL string `json:"verificationUrl"`
	}
	err := s.call(r.Context(), http.MethodPost, "/start", body, "kyc-start-"+u+"-"+attempt, &started)
	if err != nil {
		log.Printf("start for %s: %v", u, err)
		http.Error(w, "facegate did not start the verification", http.StatusBadGateway)
		return
	}
	// The app sends the user's browser to verificationUrl.
	writeJSON(w, http.StatusCreated, started)
}

// handleEvent takes one verified webhook event. An error answers 500 and facegate sends
// the event again later, so the full result is fetched before the event counts as seen.
func (s *shop) handleEvent(ctx context.Context, e webhook.Event) error {
	s.mu.Lock()
	seen := s.seen[e.ID]
	s.mu.Unlock()
	if seen {
		return nil
	}
	var full struct {
		Status   string            `json:"status"`
		Category string            `json:"category"`
		Attempts []json.RawMessage `json:"attempts"`
	}
	err := s.call(ctx, http.MethodGet, "/result?session="+url.QueryEscape(e.Data.Session), nil, "", &full)
	var gone *apiError
	if errors.As(err, &gone) && gone.code == "session_deleted" {
		err, full.Status = nil, "" // erased meanwhile: nothing to keep
	}
	if err != nil {
		return fmt.Errorf("fetch the result of %s: %w", e.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[e.ID] {
		return nil
	}
	s.seen[e.ID] = true
	if full.Status == "" || e.Data.Reference == "" {
		return nil
	}
	v := s.find(e.Data.Reference, e.Data.Session)
	v.Status, v.Category, v.Attempts = full.Status, full.Category, len(full.Attempts)
	v.Events = append(v.Events, e.ID)
	log.Printf("%s: verification %s of %s is %s", e.ID, e.Data.Session, e.Data.Reference, full.Status)
	return nil
}

// find returns the user's record of session, adding one. The caller holds s.mu.
func (s *shop) find(u, session string) *verification {
	for _, v := range s.byUser[u] {
		if v.Session == session {
			return v
		}
	}
	v := &verification{Session: session, Events: []string{}}
	s.byUser[u] = append(s.byUser[u], v)
	return v
}

// status answers what the backend knows of the user's verifications.
func (s *shop) status(w http.ResponseWriter, r *http.Request) {
	u, ok := user(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	list := []verification{}
	for _, v := range s.byUser[u] {
		list = append(list, *v)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"user": u, "verifications": list})
}

// erase deletes every verification started with the user's reference at facegate, found
// a page at a time with GET /result?reference=, then forgets them here.
func (s *shop) erase(w http.ResponseWriter, r *http.Request) {
	u, ok := user(w, r)
	if !ok {
		return
	}
	deleted, after := 0, ""
	for {
		var page struct {
			Sessions []struct {
				Session string `json:"session"`
			} `json:"sessions"`
			Next string `json:"next"`
		}
		q := url.Values{"reference": {u}, "limit": {"50"}}
		if after != "" {
			q.Set("after", after)
		}
		if err := s.call(r.Context(), http.MethodGet, "/result?"+q.Encode(), nil, "", &page); err != nil {
			log.Printf("erase %s: %v", u, err)
			http.Error(w, "facegate did not list the verifications", http.StatusBadGateway)
			return
		}
		for _, p := range page.Sessions {
			if err := s.call(r.Context(), http.MethodDelete, "/result?session="+url.QueryEscape(p.Session), nil, "", nil); err != nil {
				log.Printf("erase %s: %v", u, err)
				http.Error(w, "facegate did not delete a verification", http.StatusBadGateway)
				return
			}
			deleted++
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	s.mu.Lock()
	delete(s.byUser, u)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"deleted": deleted})
}

// apiError is an error answer of facegate: {"error":{"code","message"}}.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

// call sends one request to facegate with the merchant key and decodes a 2xx answer into
// out. It tries up to three times, a second apart, when the network fails or facegate
// answers 503, with the same Idempotency-Key, so that a start is never doubled.
func (s *shop) call(ctx context.Context, method, path string, body []byte, idempotencyKey string, out any) error {
	var err error
	for try := range 3 {
		if try > 0 {
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var retry bool
		if retry, err = s.callOnce(ctx, method, path, body, idempotencyKey, out); !retry {
			return err
		}
	}
	return err
}

func (s *shop) callOnce(ctx context.Context, method, path string, body []byte, idempotencyKey string, out any) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, method, s.cfg.facegateURL+path, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.merchantKey)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return true, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return true, err
	}
	if res.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return res.StatusCode == http.StatusServiceUnavailable, &apiError{res.StatusCode, e.Error.Code, e.Error.Message}
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		return false, nil
	}
	return false, json.Unmarshal(data, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
