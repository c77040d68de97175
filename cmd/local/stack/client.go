package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client drives verifications through a stack's HTTP interfaces the way the parties of a
// real one do: the merchant's backend calls POST /start with its key, the user finishes
// on Tencent's page (here: the sandbox's control API), Tencent redirects the browser to
// /callback, and the return page reads /result with its ticket. The load generator and
// the tests use it.
type Client struct {
	Gateway string       // origin of the functions, e.g. http://localhost:8080
	Control string       // origin of the sandbox API, whose /_sandbox/ control API sets outcomes
	HTTP    *http.Client // must not follow redirects; see NewHTTPClient
	// MerchantKey is the merchant's bearer key POST /start is called with. Without one the
	// start is a browser's, which a deployment (and the stack) refuses without a start
	// token unless anonymous starts are switched on.
	MerchantKey string
}

// NewClient returns a Client for the stack that starts as the merchant's backend, with
// the stack's MerchantKey and an HTTP client of conns connections.
func (s *Stack) NewClient(conns int) *Client {
	return &Client{Gateway: s.Gateway, Control: s.SandboxAPI, HTTP: NewHTTPClient(conns), MerchantKey: s.MerchantKey()}
}

// MerchantKey is the first merchant key the functions were given (FACEGATE_MERCHANT_KEYS).
func (s *Stack) MerchantKey() string {
	key, _, _ := strings.Cut(s.Env("FACEGATE_MERCHANT_KEYS"), ",")
	return strings.TrimSpace(key)
}

// NewHTTPClient returns an HTTP client for Client: it keeps up to conns idle connections
// per host and never follows redirects (the redirects are what Client checks).
func NewHTTPClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        conns * 4,
			MaxIdleConnsPerHost: conns * 2,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// Started is the answer of POST /start that the rest of a verification needs.
type Started struct {
	// Token is the BizToken, taken from the verification URL where Tencent puts it.
	Token           string
	VerificationURL string
	// Cookies hold the browser-binding cookie when the gateway set one (never for a
	// start with the merchant key).
	Cookies []*http.Cookie
}

// Start calls POST /start with returnTo and returns the new session.
func (c *Client) Start(ctx context.Context, returnTo string) (*Started, error) {
	body, _ := json.Marshal(map[string]string{"returnTo": returnTo})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Gateway+"/start", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.MerchantKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.MerchantKey)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	data, err := readBody(res, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	var out struct {
		VerificationURL string `json:"verificationUrl"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	u, err := url.Parse(out.VerificationURL)
	if err != nil || u.Query().Get("token") == "" {
		return nil, errors.New("start: verificationUrl has no token")
	}
	return &Started{Token: u.Query().Get("token"), VerificationURL: out.VerificationURL, Cookies: res.Cookies()}, nil
}

// SetOutcome records what the user did on the sandbox's page ("pass", "liveness_fail",
// "user_exit", ... as sandbox.Outcome.Result).
func (c *Client) SetOutcome(ctx context.Context, token, result string) error {
	body, _ := json.Marshal(map[string]any{"BizToken": token, "Outcome": map[string]string{"Result": result}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Control+"/_sandbox/outcome", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	_, err = readBody(res, http.StatusOK)
	return err
}

// Returned is where /callback sent the browser back to.
type Returned struct {
	Location string // returnTo with token, ticket and status
	Ticket   string
	Status   string
}

// Callback follows Tencent's redirect to /callback with the session's cookies and returns
// the redirect to returnTo.
func (c *Client) Callback(ctx context.Context, s *Started) (*Returned, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Gateway+"/callback?token="+url.QueryEscape(s.Token), nil)
	if err != nil {
		return nil, err
	}
	for _, ck := range s.Cookies {
		req.AddCookie(ck)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	if _, err := readBody(res, http.StatusFound); err != nil {
		return nil, err
	}
	loc := res.Header.Get("Location")
	u, err := url.Parse(loc)
	if err != nil {
		return nil, errors.New("callback: bad Location")
	}
	q := u.Query()
	if q.Get("ticket") == "" {
		return nil, errors.New("callback: no ticket in the redirect")
	}
	return &Returned{Location: loc, Ticket: q.Get("ticket"), Status: q.Get("status")}, nil
}

// Summary is what the return page learns from GET /result with a ticket.
type Summary struct {
	Status   string `json:"status"`
	Category string `json:"category"`
	Message  string `json:"message"`
}

// Result reads the summary of token with ticket, as the return page does.
func (c *Client) Result(ctx context.Context, token, ticket string) (*Summary, error) {
	q := url.Values{"token": {token}, "ticket": {ticket}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Gateway+"/result?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	data, err := readBody(res, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out Summary
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	return &out, nil
}

// Verify runs one whole verification with the given outcome and returns the summary the
// return page would show.
func (c *Client) Verify(ctx context.Context, returnTo, outcome string) (*Summary, error) {
	s, err := c.Start(ctx, returnTo)
	if err != nil {
		return nil, err
	}
	if err := c.SetOutcome(ctx, s.Token, outcome); err != nil {
		return nil, err
	}
	r, err := c.Callback(ctx, s)
	if err != nil {
		return nil, err
	}
	return c.Result(ctx, s.Token, r.Ticket)
}

// readBody reads and closes res's body (so the connection is reused) and checks its status.
func readBody(res *http.Response, want int) ([]byte, error) {
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		// The error's machine code tells why; the URL is left out, as it may hold a token.
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return nil, fmt.Errorf("%s %s: status %d %s", res.Request.Method, res.Request.URL.Path, res.StatusCode,
			strings.TrimSpace(e.Error.Code))
	}
	return data, nil
}
