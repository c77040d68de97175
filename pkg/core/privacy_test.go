package core_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// TestLogsCarryNoSecrets runs every endpoint through every outcome and many refusals,
// collecting each value that must never be logged, then searches every log line for them.
func TestLogsCarryNoSecrets(t *testing.T) {
	st := newStack(t, stackOptions{
		newStore: s3Store,
		config: func(c *core.Config) {
			c.StoreMedia = true
			c.StartTokenSecrets = [][]byte{startSecret}
		},
	})
	var secrets []string
	keep := func(vals ...string) {
		for _, v := range vals {
			if len(v) >= 6 {
				secrets = append(secrets, v)
			}
		}
	}
	keep(string(ticketSecret), string(startSecret), merchantKey, sandbox.TestSecretKey)
	keep(jpegBase64, jpegBase64[:40], jpegBase64[len(jpegBase64)-40:])

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
		st.setOutcome(resp.Token, sandbox.Outcome{Result: c.outcome})
		land := st.mustCallback(&browser{token: resp.Token})
		keep(land.ticket, land.url.String())
		st.summary(resp.Token, land.ticket)
		_, full := st.fullResult(resp.Token)
		keepDocumentValues(t, full.Body.Bytes(), keep)
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
	st.summary(b.token, land.ticket)
	st.mustCallback(&browser{token: b.token, cookie: b.cookie})
	st.sandbox.SetFaults(sandbox.Faults{})

	logs := st.logs.String()
	for _, want := range []string{"verification started", "verification finished", "request refused", "result not available at callback"} {
		if !strings.Contains(logs, want) {
			t.Fatalf("logs lack %q; the check below would prove nothing:\n%s", want, logs)
		}
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a log line contains %q", clip(s))
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", logs)
	}
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
