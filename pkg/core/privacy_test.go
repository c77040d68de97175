package core_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// secretSet collects the values that must never appear in a log line. Long values (images,
// videos) also contribute their head and tail, so a log of part of one is caught too.
type secretSet struct{ vals []string }

func (s *secretSet) keep(vals ...string) {
	for _, v := range vals {
		if len(v) < 6 {
			continue // too short to search for without false alarms ("M", "2024")
		}
		s.vals = append(s.vals, v)
		if len(v) > 96 {
			s.vals = append(s.vals, v[:48], v[len(v)-48:])
		}
	}
}

// check searches every log line for every secret, after making sure the logs hold the lines
// the flows must have produced (otherwise a silent logger would pass).
func (s *secretSet) check(t *testing.T, logs string, lines ...string) {
	t.Helper()
	for _, want := range lines {
		if !strings.Contains(logs, want) {
			t.Fatalf("logs lack %q; the check below would prove nothing:\n%s", want, logs)
		}
	}
	for _, v := range s.vals {
		if strings.Contains(logs, v) {
			t.Errorf("a log line contains %q", clip(v))
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", logs)
	}
}

// TestLogsCarryNoSecrets runs every endpoint through every outcome and many refusals,
// collecting each value that must never be logged (what the callers sent, what Tencent
// answered, what the service handed out), then searches every log line for them.
func TestLogsCarryNoSecrets(t *testing.T) {
	st := newStack(t, stackOptions{
		newStore: s3Store,
		config: func(c *core.Config) {
			c.StoreMedia = true
			c.StartTokenSecrets = [][]byte{startSecret}
		},
	})
	var secrets secretSet
	keep := secrets.keep
	keep(string(ticketSecret), string(startSecret), merchantKey, sandbox.TestSecretKey)
	keep(jpegBase64)

	for _, c := range outcomeCases {
		opts := c.opts
		opts.ReturnTo = returnTo
		opts.Extra = "private extra " + c.name
		opts.Reference = "private-ref-" + strings.ReplaceAll(c.name, " ", "-")
		rec := st.postJSON("/start", opts, "Authorization", "Bearer "+merchantKey)
		if rec.Code != http.StatusCreated {
			t.Fatalf("%s: start %d %s", c.name, rec.Code, rec.Body)
		}
		var resp core.StartResponse
		decodeBody(t, rec, &resp)
		keep(resp.Token, resp.VerificationURL, opts.Extra, opts.Reference)
		st.setOutcome(resp.Token, sandbox.Outcome{Result: c.outcome, ErrorCode: c.code})
		land := st.mustCallback(&browser{token: resp.Token})
		keep(land.ticket, land.url.String())
		st.summary(resp.Token, land.ticket)
		res, full := st.fullResult(resp.Token)
		keepDocumentValues(t, full.Body.Bytes(), keep)
		for _, m := range res.Media {
			keep(m.URL) // presigned: whoever holds it reads the image
		}
		// Wrong and tampered credentials for the same token.
		st.summary(resp.Token, land.ticket+"x")
		st.get("/result?token="+resp.Token, "Authorization", "Bearer wrong-"+merchantKey)
	}

	// A browser start with a start token: cookie, token and start token must stay out too.
	opts := core.StartOptions{ReturnTo: returnTo, Mode: 3, Extra: "browser extra"}
	tok, err := core.SignStartToken(startSecret, opts, st.clock.Now().Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	keep(tok)
	b := st.startGet(url.Values{"startToken": {tok}})
	keep(b.token, b.cookie.Value)
	st.callback(&browser{token: b.token}) // binding mismatch
	st.callback(&browser{token: b.token, cookie: &http.Cookie{Name: b.cookie.Name, Value: b.cookie.Value + "x"}})
	land := st.mustCallback(b) // pending
	keep(land.ticket)
	st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, StartToken: tok + "x"})
	st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, CompareImage: "data:image/jpeg;base64," + jpegBase64, StartToken: tok})
	st.get("/callback?token=UNKNOWN-" + b.token[:8])

	// Upstream failure paths log their causes; those must be clean too.
	st.sandbox.SetFaults(sandbox.Faults{InternalErrorRate: 1})
	st.nextSlot()
	st.summary(b.token, land.ticket)
	st.nextSlot()
	st.mustCallback(&browser{token: b.token, cookie: b.cookie})
	st.sandbox.SetFaults(sandbox.Faults{})

	// Everything Tencent handed the service: tokens, page URLs, best frames, videos,
	// document images and fields.
	seen := st.faceid.seen()
	if len(seen) < 3*len(outcomeCases) {
		t.Fatalf("only %d sensitive values seen in Tencent's answers; the flows did not run", len(seen))
	}
	keep(seen...)
	secrets.check(t, st.logs.String(), "verification started", "verification finished", "request refused", "result not available at callback")
}

// TestLegacyLogsCarryNoSecrets does the same for the upload-URL flow, whose answers carry
// other things worth stealing: the upload URL and the links to the video and best frame.
func TestLegacyLogsCarryNoSecrets(t *testing.T) {
	st := newStack(t, stackOptions{config: func(c *core.Config) { c.Flow = core.FlowLegacy }})
	if err := st.store.inner.Create(t.Context(), "uploads/private.jpg", jpegImage); err != nil {
		t.Fatal(err)
	}
	var secrets secretSet
	secrets.keep(string(ticketSecret), merchantKey, sandbox.TestSecretKey, jpegBase64)
	for i, opts := range []core.StartOptions{
		{ReturnTo: returnTo, CompareImage: jpegBase64, Extra: "legacy private extra"},
		{ReturnTo: returnTo, CompareImageKey: "uploads/private.jpg", Reference: "legacy-private-ref"},
	} {
		b := st.startPost(opts)
		secrets.keep(b.token, b.cookie.Value, opts.Extra, opts.Reference)
		st.callback(&browser{token: b.token}) // binding mismatch
		outcome := sandbox.ResultPass
		if i == 1 {
			outcome = sandbox.ResultLivenessFail
		}
		st.setOutcome(b.token, sandbox.Outcome{Result: outcome})
		land := st.mustCallback(b)
		secrets.keep(land.ticket, land.url.String())
		st.summary(b.token, land.ticket)
		st.fullResult(b.token)
	}
	seen := st.faceid.seen()
	if len(seen) < 6 {
		t.Fatalf("only %d sensitive values seen in Tencent's answers; the flows did not run", len(seen))
	}
	secrets.keep(seen...)
	secrets.check(t, st.logs.String(), "verification started", "verification finished", "request refused")
}

// keepDocumentValues adds every string and number inside the document data of a full
// result (names, ID numbers, birthdays) to the values that must not be logged.
func keepDocumentValues(t *testing.T, body []byte, keep func(...string)) {
	t.Helper()
	var res core.Result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Documents {
		var v any
		if err := json.Unmarshal(d.NormalCardInfo, &v); err != nil {
			t.Fatal(err)
		}
		walkStrings(v, func(s string) { keep(s) })
	}
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case map[string]any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	}
}

func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

// TestSweepAndWebhooksCarryNoSecrets: the sweeper's logs and the webhook bodies it sends
// hold no token, token key, secret, image, video or document field. Webhooks carry the
// merchant's own reference and Extra by design; those stay out of the logs.
func TestSweepAndWebhooksCarryNoSecrets(t *testing.T) {
	st, rcv := sweepStack(t, stackOptions{config: func(c *core.Config) { c.StoreMedia = true }, newStore: s3Store})
	var (
		mu     sync.Mutex // the sweeper delivers from several workers at once
		bodies []string
	)
	rcv.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	var inLogs, inWebhooks secretSet
	mine := map[string]bool{} // the merchant's own Extra and reference, which webhooks carry
	both := func(v ...string) {
		inLogs.keep(v...)
		for _, x := range v {
			if !mine[x] {
				inWebhooks.keep(x)
			}
		}
	}
	both(string(ticketSecret), string(tokenKey), webhookSecret, merchantKey, sandbox.TestSecretKey)
	for _, c := range outcomeCases {
		opts := c.opts
		opts.ReturnTo, opts.Extra, opts.Reference = returnTo, "private extra "+c.name, "private-ref-"+strings.ReplaceAll(c.name, " ", "-")
		rec := st.postJSON("/start", opts, "Authorization", "Bearer "+merchantKey)
		var resp core.StartResponse
		decodeBody(t, rec, &resp)
		both(resp.Token, resp.VerificationURL)
		inLogs.keep(opts.Extra, opts.Reference)
		mine[opts.Extra], mine[opts.Reference] = true, true
		st.setOutcome(resp.Token, sandbox.Outcome{Result: c.outcome, ErrorCode: c.code})
	}
	st.sweepUntilQuiet(3*time.Minute, 5)
	mu.Lock() // the receiver's handler may still be returning from the last delivery
	defer mu.Unlock()
	if len(bodies) != len(outcomeCases) {
		t.Fatalf("%d webhooks for %d verifications", len(bodies), len(outcomeCases))
	}
	// Every stored session record holds its token sealed: nothing in the bucket spells it.
	for _, key := range st.keys("sessions/") {
		data, err := st.store.Get(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range inWebhooks.vals {
			if len(tok) == 36 && strings.Contains(string(data), tok) {
				t.Fatalf("a session record holds a BizToken in clear")
			}
		}
	}
	seen := st.faceid.seen()
	if len(seen) < len(outcomeCases) {
		t.Fatalf("only %d sensitive values seen in Tencent's answers; the sweeps did not run", len(seen))
	}
	both(seen...)
	inLogs.check(t, st.logs.String(), "verification started", "verification finished", "webhook delivered", "sweep finished")
	inWebhooks.check(t, strings.Join(bodies, "\n"), `"type":"verification.passed"`, `"type":"verification.failed"`)
}
