package core_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/qrtest"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// createHandoff asks for a handoff with the merchant key, as a merchant's desktop page's
// backend would, and checks that the QR code says the link.
func (st *stack) createHandoff(opts core.StartOptions) core.HandoffResponse {
	st.t.Helper()
	opts.Handoff = true
	rec := st.postJSON("/start", opts, "Authorization", "Bearer "+merchantKey)
	var hr core.HandoffResponse
	if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &hr) != nil {
		st.t.Fatalf("handoff = %d %s", rec.Code, rec.Body)
	}
	if len(rec.Result().Cookies()) != 0 {
		st.t.Fatal("creating a handoff bound the desktop")
	}
	text, err := qrtest.Decode(hr.QRCode)
	if err != nil || text != hr.URL {
		st.t.Fatalf("the QR code says %q (%v), the link is %q", text, err, hr.URL)
	}
	return hr
}

// open follows a link (the phone's, or the desktop's status) on the test stack.
func (st *stack) open(link string, hdr ...string) *httptest.ResponseRecorder {
	st.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		st.t.Fatal(err)
	}
	return st.get(u.Path+"?"+u.RawQuery, hdr...)
}

func (st *stack) handoffStatus(hr core.HandoffResponse) (core.HandoffStatus, *httptest.ResponseRecorder) {
	st.t.Helper()
	rec := st.open(hr.StatusURL)
	var hs core.HandoffStatus
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &hs); err != nil {
			st.t.Fatal(err)
		}
	}
	return hs, rec
}

// TestHandoffFromComputerToPhone: the desktop asks for a handoff and shows its QR code;
// the phone opens the link once and is bound; the phone's callback tells it to go back
// to the computer, which continues on returnTo with what a direct flow gets.
func TestHandoffFromComputerToPhone(t *testing.T) {
	for storeName, newStore := range stores {
		t.Run(storeName, func(t *testing.T) {
			st := newStack(t, stackOptions{newStore: newStore})
			hr := st.createHandoff(core.StartOptions{ReturnTo: returnTo, Mode: 3, Language: "th", Reference: "user-9"})
			if !strings.HasPrefix(hr.URL, "https://gw.example.test/start?") || time.Until(hr.ExpiresAt) > 11*time.Minute {
				t.Fatalf("handoff %+v", hr)
			}
			if hs, rec := st.handoffStatus(hr); hs.State != "waiting" || rec.Header().Get("Retry-After") == "" {
				t.Fatalf("before the phone: %+v", hs)
			}
			if st.faceid.calls.Load() != 0 {
				t.Fatal("creating a handoff called Tencent")
			}

			// The phone opens the link: the verification starts there, bound to the phone.
			phone := st.open(hr.URL, "Accept", "text/html")
			if phone.Code != http.StatusFound || !strings.Contains(phone.Header().Get("Location"), "/reflect/?token=") {
				t.Fatalf("phone = %d %s", phone.Code, phone.Header().Get("Location"))
			}
			pb := &browser{token: tokenInURL(t, phone.Header().Get("Location")), cookie: bindingCookie(t, phone)}
			ts, _ := st.sandbox.TokenState(pb.token)
			if ts.Language != "th" || ts.CheckMode != 3 {
				t.Fatalf("the phone's verification has %s/%d, not the handoff's options", ts.Language, ts.CheckMode)
			}
			// Once: a second opening, from any browser, is refused with a page in its language.
			again := st.open(hr.URL, "Accept", "text/html", "Accept-Language", "id")
			if again.Code != http.StatusConflict || !strings.Contains(again.Body.String(), `lang="id"`) ||
				!strings.Contains(again.Body.String(), `content="handoff_used"`) {
				t.Fatalf("second opening = %d %s", again.Code, again.Body)
			}
			// The desktop polls while the phone verifies, reading the store only: no
			// Tencent quota is spent, and the phone's callback keeps its read slot.
			calls := st.faceid.calls.Load()
			st.setOutcome(pb.token, sandbox.Outcome{Result: sandbox.ResultPass})
			for range 3 {
				if hs, _ := st.handoffStatus(hr); hs.State != "started" || hs.Summary == nil || hs.Status != core.StatusPending || hs.Lang != "th" {
					t.Fatalf("while the phone verifies: %+v", hs)
				}
			}
			if n := st.faceid.calls.Load() - calls; n != 0 {
				t.Fatalf("the desktop's status made %d Tencent calls", n)
			}

			// The phone finishes; its callback says to go back to the computer with the
			// outcome, and gives the phone no token or ticket.
			cb := st.callback(pb)
			if cb.Code != http.StatusOK || cb.Header().Get("Location") != "" ||
				!strings.Contains(cb.Body.String(), core.MsgUIBackToComputer.Text("th")) || strings.Contains(cb.Body.String(), "ticket") ||
				!strings.Contains(cb.Body.String(), core.MsgPassed.Text("th")) {
				t.Fatalf("phone callback = %d %s", cb.Code, cb.Body)
			}
			// Another browser with the phone's link cannot land anything either.
			if rec := st.callback(&browser{token: pb.token}); rec.Code != http.StatusFound || !strings.Contains(rec.Header().Get("Location"), "code=binding_mismatch") {
				t.Fatalf("third browser at the callback = %d %s", rec.Code, rec.Header().Get("Location"))
			}

			// The desktop sees the summary, and continues as a direct flow does.
			st.nextSlot()
			hs, rec := st.handoffStatus(hr)
			if hs.State != "done" || hs.Status != core.StatusPassed || hs.Continue == "" {
				t.Fatalf("after the phone: %d %+v", rec.Code, hs)
			}
			var raw map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &raw)
			for k := range raw {
				if !slices.Contains([]string{"state", "status", "category", "message", "lang", "continue"}, k) {
					t.Errorf("the desktop's status reveals %q", k)
				}
			}
			cont, _ := url.Parse(hs.Continue)
			q := cont.Query()
			if !strings.HasPrefix(hs.Continue, returnTo) || q.Get("token") != pb.token || q.Get("status") != "passed" {
				t.Fatalf("continue = %s", hs.Continue)
			}
			if sum, _ := st.summary(q.Get("token"), q.Get("ticket")); sum.Status != core.StatusPassed {
				t.Fatalf("the continue ticket reads %+v", sum)
			}
			// The merchant's record is a session like any other, found by its reference.
			if rec := st.get("/result?reference=user-9", "Authorization", "Bearer "+merchantKey); !strings.Contains(rec.Body.String(), `"status":"passed"`) {
				t.Fatalf("by reference: %s", rec.Body)
			}
		})
	}
}

// TestHandoffRefusals: a wrong secret is not found; an expired link is refused; the phone
// cannot add options; an inline image is refused at creation; a start token is spent.
func TestHandoffRefusals(t *testing.T) {
	st := newStack(t, stackOptions{config: func(c *core.Config) {
		c.StartTokenSecrets = [][]byte{startSecret}
		c.AnonymousStarts = false
	}})
	hr := st.createHandoff(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	u, _ := url.Parse(hr.URL)
	q := u.Query()
	wrong := url.Values{"handoff": {q.Get("handoff")}, "k": {"not-the-secret"}}
	if rec := st.get("/start?"+wrong.Encode(), "Accept", "application/json"); rec.Code != http.StatusNotFound || errorCode(t, rec) != "handoff_not_found" {
		t.Fatalf("wrong secret: %d %s", rec.Code, rec.Body)
	}
	more := q
	more.Set("mode", "1")
	if rec := st.get("/start?"+more.Encode(), "Accept", "application/json"); rec.Code != http.StatusBadRequest {
		t.Fatalf("the phone added an option: %d %s", rec.Code, rec.Body)
	}
	watch, _ := url.Parse(hr.StatusURL)
	if rec := st.get("/result?handoff=" + q.Get("handoff") + "&watch=x"); rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "state") {
		t.Fatalf("status with a wrong watch secret: %d %s (%s)", rec.Code, rec.Body, watch.RawQuery)
	}
	st.clock.Advance(core.HandoffTTL + time.Second)
	if rec := st.open(hr.URL, "Accept", "application/json"); rec.Code != http.StatusGone || errorCode(t, rec) != "handoff_expired" {
		t.Fatalf("expired link: %d %s", rec.Code, rec.Body)
	}
	if hs, _ := st.handoffStatus(hr); hs.State != "expired" {
		t.Fatalf("status of an expired handoff: %+v", hs)
	}
	if rec := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, CompareImage: jpegBase64, Handoff: true}, "Authorization", "Bearer "+merchantKey); rec.Code != http.StatusBadRequest {
		t.Fatalf("inline image in a handoff: %d %s", rec.Code, rec.Body)
	}
	// A desktop page with a start token: the token is spent by the handoff.
	opts := core.StartOptions{ReturnTo: returnTo, Mode: 3}
	tok, err := core.SignStartToken(startSecret, opts, st.clock.Now().Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	withTok := core.StartOptions{StartToken: tok, Handoff: true}
	if rec := st.postJSON("/start", withTok); rec.Code != http.StatusCreated {
		t.Fatalf("handoff with a start token: %d %s", rec.Code, rec.Body)
	}
	if rec := st.postJSON("/start", withTok); rec.Code != http.StatusConflict || errorCode(t, rec) != "start_token_used" {
		t.Fatalf("the token again: %d %s", rec.Code, rec.Body)
	}
	if st.faceid.calls.Load() != 0 {
		t.Fatal("handoffs that no phone opened called Tencent")
	}
}

// TestHandoffSessionsAreSwept: a phone user who came back too early and closes the tab is
// finished by the sweeper like any other; the desktop then sees the outcome, and the merchant gets
// its webhook.
func TestHandoffSessionsAreSwept(t *testing.T) {
	st, rcv := sweepStack(t, stackOptions{})
	hr := st.createHandoff(core.StartOptions{ReturnTo: returnTo, Mode: 3})
	phone := st.open(hr.URL, "Accept", "text/html")
	tok := tokenInURL(t, phone.Header().Get("Location"))
	// The phone comes back before Tencent has a result: its page says the computer will
	// show it, and the user closes the tab.
	if cb := st.callback(&browser{token: tok, cookie: bindingCookie(t, phone)}); cb.Code != http.StatusOK ||
		!strings.Contains(cb.Body.String(), core.MsgUIResultOnComputer.Text(core.DefaultLanguage)) {
		t.Fatalf("early phone callback = %d %s", cb.Code, cb.Body)
	}
	st.setOutcome(tok, sandbox.Outcome{Result: sandbox.ResultLivenessFail})
	st.sweepUntilQuiet(3*time.Minute, 5)
	if hs, _ := st.handoffStatus(hr); hs.State != "done" || hs.Status != core.StatusFailed || hs.Category != "liveness" {
		t.Fatalf("desktop after the sweep: %+v", hs)
	}
	if evs := rcv.eventsOf(sessionOf(tok)); len(evs) != 1 || evs[0].Type != "verification.failed" {
		t.Fatalf("events %+v", evs)
	}
	// The retention removes the handoff with the rest.
	for range 4 {
		st.clock.Advance(24 * time.Hour)
		st.sweep()
	}
	if keys := st.keys("handoffs/"); len(keys) != 0 {
		t.Fatalf("handoff objects after the retention: %v", keys)
	}
}

func tokenInURL(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no token in %q", link)
	}
	return u.Query().Get("token")
}
