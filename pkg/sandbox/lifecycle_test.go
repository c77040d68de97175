package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// openPage is a browser opening VerificationURL.
func (e *testEnv) openPage(token string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://page.test/reflect/?token="+token, nil))
	return rec
}

func TestTokenStartWindow(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyIntl(nil, "order-7")

	v, _ := e.result(tok)
	if v.ErrorCode != nil || v.Extra == nil || *v.Extra != "order-7" {
		t.Fatalf("fresh token: %+v, want pending with Extra", v)
	}
	e.clock.Advance(DefaultStartWindow)
	if v, _ := e.result(tok); v.ErrorCode != nil {
		t.Fatalf("at the end of the start window: ErrorCode %d, want pending", *v.ErrorCode)
	}
	e.clock.Advance(time.Second)
	v, _ = e.result(tok)
	if v.ErrorCode == nil || *v.ErrorCode != resultTokenExpired || *v.Extra != "order-7" {
		t.Fatalf("unopened after the start window: %+v, want ErrorCode 15", v)
	}
	if rec := e.openPage(tok); rec.Code != http.StatusGone || !strings.Contains(rec.Body.String(), `data-error="expired"`) {
		t.Fatalf("late page: %d", rec.Code)
	}
	if err := e.sb.SetOutcome(tok, Outcome{Result: ResultPass}); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("late outcome: %v", err)
	}
	if st, _ := e.sb.TokenState(tok); st.State != stateStartExpired {
		t.Fatalf("state %q", st.State)
	}
}

// Opening the page inside the start window is what counts; finishing later is fine.
func TestTokenOpenedInTimeFinishesLater(t *testing.T) {
	e := newTestEnv(t, Options{StartWindow: time.Minute})
	tok := e.applyIntl(nil, "")
	e.clock.Advance(59 * time.Second)
	if rec := e.openPage(tok); rec.Code != http.StatusOK {
		t.Fatalf("page: %d", rec.Code)
	}
	e.clock.Advance(5 * time.Minute)
	if v, _ := e.result(tok); v.ErrorCode != nil {
		t.Fatalf("opened, unfinished: ErrorCode %d, want pending", *v.ErrorCode)
	}
	if err := e.sb.SetOutcome(tok, Outcome{Result: ResultPass}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.result(tok); v.ErrorCode == nil || *v.ErrorCode != 0 {
		t.Fatalf("finished: %+v", v)
	}
}

func TestTokenResultWindowAndRepeatedReads(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyIntl(nil, "x")
	if err := e.sb.SetOutcome(tok, Outcome{Result: ResultCompareFail, Similarity: 55}); err != nil {
		t.Fatal(err)
	}
	first, r1 := e.result(tok)
	e.clock.Advance(DefaultResultWindow)
	second, r2 := e.result(tok)
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(second)
	if string(a) != string(b) || r1.RequestID == r2.RequestID {
		t.Fatalf("repeated reads differ:\n%s\n%s", a, b)
	}
	e.clock.Advance(time.Second)
	if _, r := e.result(tok); r.Code != codeBizTokenExpired {
		t.Fatalf("after the result window: %q", r.Code)
	}
	if rec := e.openPage(tok); rec.Code != http.StatusGone {
		t.Fatalf("page after the result window: %d", rec.Code)
	}
	// Expired tokens are kept for another window, then forgotten by the sweep that the
	// next issue triggers.
	e.clock.Advance(DefaultResultWindow)
	e.applyIntl(nil, "")
	if _, r := e.result(tok); r.Code != codeBizTokenIllegal {
		t.Fatalf("after the sweep: %q", r.Code)
	}
}

// A well-formed token the sandbox did not issue is BizTokenIllegal; a value that cannot be
// a BizToken at all is plain InvalidParameterValue, which Tencent lists for the result
// action too.
func TestTokenIllegal(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyIntl(nil, "")
	for bad, want := range map[string]string{
		"D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F": codeBizTokenIllegal,
		"abc":                                  codeInvalidParameterValue,
		strings.ToLower(tok):                   codeInvalidParameterValue,
		tok + " ":                              codeInvalidParameterValue,
		"<script>":                             codeInvalidParameterValue,
	} {
		_, r := e.result(bad)
		if r.Code != want {
			t.Errorf("%q: code %q, want %q", bad, r.Code, want)
		}
		if strings.Contains(r.Message, strings.TrimSpace(bad)) {
			t.Errorf("error message echoes the token %q", bad)
		}
	}
	// A token of one flow is not valid for the other's result action.
	if r := e.call(actionResult, map[string]string{"BizToken": tok}); r.Code != codeBizTokenIllegal {
		t.Errorf("intl token on the legacy result: %q", r.Code)
	}
}

func TestExtraPassthrough(t *testing.T) {
	e := newTestEnv(t, Options{})
	extra := `{"order":"42","note":"naïve – 中文 ✓"}`
	tok := e.applyIntl(nil, extra)
	if err := e.sb.SetOutcome(tok, Outcome{Result: ResultPass}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.result(tok); v.Extra == nil || *v.Extra != extra {
		t.Fatalf("Extra %v", v.Extra)
	}
	noExtra := e.applyIntl(nil, "")
	if v, _ := e.result(noExtra); v.Extra != nil {
		t.Fatalf("Extra without one given: %q", *v.Extra)
	}
}

func TestTokenCap(t *testing.T) {
	e := newTestEnv(t, Options{MaxTokens: 2})
	e.applyIntl(nil, "")
	e.applyIntl(nil, "")
	if r := e.call(actionApplyIntl, applyBody(nil)); r.Code != codeLimitExceeded {
		t.Fatalf("third token: %q", r.Code)
	}
	// Once the first tokens are past their result window a full sandbox makes room.
	e.clock.Advance(DefaultResultWindow + time.Second)
	e.applyIntl(nil, "")
}

// num reads a number decoded from JSON (float64) or written in a test table (int).
func num(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int:
		return int64(n)
	}
	return 0
}

func TestOutcomes(t *testing.T) {
	code := func(c int64) *int64 { return &c }
	cases := []struct {
		name       string
		config     map[string]any
		outcome    Outcome
		wantCode   int64
		attempts   int
		media      bool
		ocrPass    *bool
		similarity float64 // of the last attempt; 0 means none
	}{
		{name: "pass", outcome: Outcome{Result: ResultPass}, wantCode: 0, attempts: 1, media: true, similarity: 92.5},
		{name: "pass with similarity", outcome: Outcome{Result: ResultPass, Similarity: 88}, wantCode: 0, attempts: 1, media: true, similarity: 88},
		{name: "pass liveness only", config: map[string]any{"CheckMode": 3}, outcome: Outcome{Result: ResultPass}, wantCode: 0, attempts: 1, media: true},
		{name: "liveness fail", outcome: Outcome{Result: ResultLivenessFail}, wantCode: 1005, attempts: 1, media: true},
		{name: "silent liveness fail", config: map[string]any{"SecurityLevel": 1}, outcome: Outcome{Result: ResultLivenessFail}, wantCode: 1003, attempts: 1, media: true},
		{name: "compare fail", outcome: Outcome{Result: ResultCompareFail}, wantCode: 2016, attempts: 1, media: true, similarity: 41.3},
		{name: "compare fail similarity", outcome: Outcome{Result: ResultCompareFail, Similarity: 12.5}, wantCode: 2016, attempts: 1, media: true, similarity: 12.5},
		{name: "user exit", outcome: Outcome{Result: ResultUserExit}, wantCode: 1410},
		{name: "timeout", outcome: Outcome{Result: ResultTimeout}, wantCode: 1409},
		{name: "retry limit", config: map[string]any{"LivenessRetryLimit": 3}, outcome: Outcome{Result: ResultRetryLimit}, wantCode: 16, attempts: 3, media: true},
		{name: "document OCR+liveness", config: map[string]any{"CheckMode": 1, "IDCardType": "HKIDCard"}, outcome: Outcome{Result: ResultDocument}, wantCode: 0, attempts: 1, media: true, ocrPass: ptr(true), similarity: 92.5},
		{name: "pass OCR only", config: map[string]any{"CheckMode": 4, "IDCardType": "MLIDCard"}, outcome: Outcome{Result: ResultPass}, wantCode: 0, ocrPass: ptr(true)},
		{name: "liveness fail after the document", config: map[string]any{"CheckMode": 1, "IDCardType": "ThailandIDCard"}, outcome: Outcome{Result: ResultLivenessFail}, wantCode: 1005, attempts: 1, media: true, ocrPass: ptr(true)},
		{name: "document fail", config: map[string]any{"CheckMode": 4, "IDCardType": "HKIDCard"}, outcome: Outcome{Result: ResultDocumentFail}, wantCode: -9102, ocrPass: ptr(false)},
		{name: "document fail selected warning", config: map[string]any{"CheckMode": 1, "IDCardType": "HKIDCard", "SelectedWarningCodes": "-9108"}, outcome: Outcome{Result: ResultDocumentFail}, wantCode: -9108, ocrPass: ptr(false)},
		{name: "ErrorCode override", outcome: Outcome{Result: ResultLivenessFail, ErrorCode: code(1207)}, wantCode: 1207, attempts: 1, media: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, Options{})
			tok := e.applyIntl(tc.config, "")
			if err := e.sb.SetOutcome(tok, tc.outcome); err != nil {
				t.Fatal(err)
			}
			v, _ := e.result(tok)
			if v.ErrorCode == nil || *v.ErrorCode != tc.wantCode || v.ErrorMsg == nil || *v.ErrorMsg == "" {
				t.Fatalf("ErrorCode %v, want %d", v.ErrorCode, tc.wantCode)
			}
			if len(v.VerificationDetailList) != tc.attempts {
				t.Fatalf("%d attempts, want %d", len(v.VerificationDetailList), tc.attempts)
			}
			if (v.BestFrameBase64 != nil) != tc.media || (v.VideoBase64 != nil) != tc.media {
				t.Fatalf("media present %v, want %v", v.BestFrameBase64 != nil, tc.media)
			}
			if tc.attempts > 0 {
				last := v.VerificationDetailList[tc.attempts-1]
				sim, hasSim := last["Similarity"].(float64)
				if tc.similarity == 0 && hasSim || tc.similarity != 0 && sim != tc.similarity {
					t.Fatalf("Similarity %v, want %v", last["Similarity"], tc.similarity)
				}
				if tc.similarity != 0 && tc.wantCode == 2016 && num(last["CompareErrorCode"]) != 2016 {
					t.Fatalf("CompareErrorCode %v", last["CompareErrorCode"])
				}
				if last["Seq"] == nil || last["ReqTimestamp"] == nil {
					t.Fatalf("attempt without Seq or ReqTimestamp: %v", last)
				}
			}
			if tc.ocrPass == nil {
				if v.OCRResult != nil {
					t.Fatalf("OCRResult %v, want none", v.OCRResult)
				}
				return
			}
			if len(v.OCRResult) != 1 {
				t.Fatalf("OCRResult %v", v.OCRResult)
			}
			ocr := v.OCRResult[0]
			if ocr["IsPass"] != *tc.ocrPass {
				t.Fatalf("IsPass %v", ocr["IsPass"])
			}
			card, _ := tc.config["IDCardType"].(string)
			info, _ := ocr["NormalCardInfo"].(map[string]any)
			if fields, ok := info[card].(map[string]any); !ok || len(fields) < 3 {
				t.Fatalf("NormalCardInfo %v, want a %s member", info, card)
			}
			warns, _ := ocr["WarnCardInfos"].([]any)
			if *tc.ocrPass != (len(warns) == 0) {
				t.Fatalf("WarnCardInfos %v", warns)
			}
			if !*tc.ocrPass && num(warns[0]) != -tc.wantCode {
				t.Fatalf("WarnCardInfos %v for code %d", warns, tc.wantCode)
			}
			if mode := num(tc.config["CheckMode"]); (mode == 4) != (ocr["OriginalCardInfo"] != nil) {
				t.Fatalf("OriginalCardInfo %v in CheckMode %d", ocr["OriginalCardInfo"], mode)
			}
		})
	}
}

func TestOutcomeRules(t *testing.T) {
	e := newTestEnv(t, Options{})
	liveOnly := e.applyIntl(map[string]any{"CheckMode": 3}, "")
	for _, o := range []Outcome{
		{Result: ResultCompareFail}, {Result: ResultDocument}, {Result: ResultDocumentFail}, {Result: "maybe"},
	} {
		if err := e.sb.SetOutcome(liveOnly, o); !errors.Is(err, ErrInvalidOutcome) {
			t.Errorf("%s on CheckMode 3: %v", o.Result, err)
		}
	}
	compare := e.applyIntl(nil, "")
	if err := e.sb.SetOutcome(compare, Outcome{Result: ResultCompareFail, Similarity: 70}); !errors.Is(err, ErrInvalidOutcome) {
		t.Errorf("compare_fail at 70: %v", err)
	}
	if err := e.sb.SetOutcome(compare, Outcome{Result: ResultPass, Similarity: 69}); !errors.Is(err, ErrInvalidOutcome) {
		t.Errorf("pass at 69: %v", err)
	}
	if err := e.sb.SetOutcome(compare, Outcome{Result: ResultUserExit}); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.SetOutcome(compare, Outcome{Result: ResultPass}); !errors.Is(err, ErrAlreadyFinished) {
		t.Errorf("second outcome: %v", err)
	}
	if err := e.sb.SetOutcome("D5E1C0A4-3F2B-4C6D-8E9F-0A1B2C3D4E5F", Outcome{Result: ResultPass}); !errors.Is(err, ErrUnknownToken) {
		t.Errorf("unknown token: %v", err)
	}
}

// The stored outcome keeps the ErrorCode it was given, whatever the caller's variable
// holds later.
func TestOutcomeErrorCodeIsCopied(t *testing.T) {
	e := newTestEnv(t, Options{})
	tok := e.applyIntl(nil, "")
	code := int64(1207)
	if err := e.sb.SetOutcome(tok, Outcome{Result: ResultLivenessFail, ErrorCode: &code}); err != nil {
		t.Fatal(err)
	}
	code = 0
	st, err := e.sb.TokenState(tok)
	if err != nil {
		t.Fatal(err)
	}
	if st.Outcome == nil || st.Outcome.ErrorCode == nil || *st.Outcome.ErrorCode != 1207 || *st.ErrorCode != 1207 {
		t.Fatalf("state %+v", st)
	}
}
