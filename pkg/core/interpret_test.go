package core_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
)

// tableCodes is the "Result ErrorCode table" of faceid-api.md, spelled out.
var tableCodes = []int64{
	0, 1, 2, 3, 4, 8, 9, 10, 11, 14, 15, 16, 17, 202,
	1001, 1002, 1003, 1004, 1005, 1101, 1102, 1103, 1104, 1105, 1106, 1107, 1108, 1109,
	1201, 1202, 1203, 1204, 1205, 1206, 1207, 1208, 1209, 1210, 1301, 1302, 1303, 1401, 1409, 1410,
	2001, 2004, 2009, 2010, 2011, 2012, 2013, 2014, 2015, 2016,
}

// warningCodes are the document warnings of SelectedWarningCodes, read as document failures.
var warningCodes = []int64{-9101, -9102, -9103, -9104, -9107, -9108, -9109}

func wantCategory(code int64) core.Category {
	switch {
	case code <= -9101 && code >= -9109:
		return core.CategoryDocument
	case code == 15:
		return core.CategoryExpired
	case code == 16:
		return core.CategoryRetryLimit
	case code == 1409:
		return core.CategoryTimeout
	case code == 1410:
		return core.CategoryUserExit
	case code >= 1001 && code <= 1401:
		return core.CategoryLiveness
	case code >= 2001 && code <= 2016:
		return core.CategoryCompare
	}
	return core.CategorySystem
}

func TestEveryTableCodeIsInterpreted(t *testing.T) {
	for _, code := range append(append([]int64(nil), tableCodes...), warningCodes...) {
		cat, msg, known := core.CodeInfo(code)
		if !known || msg.Text("en") == "" {
			t.Errorf("code %d: known=%v message %q", code, known, msg)
		}
		o := core.Interpret(&code)
		if o.Code == nil || *o.Code != code {
			t.Errorf("code %d: Code = %v", code, o.Code)
		}
		if o.Message != msg {
			t.Errorf("code %d: Interpret message %q differs from CodeInfo %q", code, o.Message, msg)
		}
		switch code {
		case 0:
			if o.Status != core.StatusPassed || o.Category != "" || cat != "" {
				t.Errorf("0: %+v", o)
			}
		case 17:
			if o.Status != core.StatusPending || o.Category != "" {
				t.Errorf("17: %+v", o)
			}
		case 15:
			if o.Status != core.StatusExpired || o.Category != core.CategoryExpired {
				t.Errorf("15: %+v", o)
			}
		default:
			if o.Status != core.StatusFailed || o.Category != wantCategory(code) || cat != o.Category {
				t.Errorf("code %d: %+v, want failed/%s", code, o, wantCategory(code))
			}
		}
	}
}

func TestSpecificMessages(t *testing.T) {
	for code, want := range map[int64]string{
		1201: "Move somewhere brighter and try again.",
		1410: "You left the verification before it finished. Start again when you're ready.",
	} {
		if _, got, _ := core.CodeInfo(code); got.Text("en") != want {
			t.Errorf("%d: %q", code, got)
		}
	}
	// The reference-photo codes blame the merchant's photo, not the user's face.
	_, refMsg, _ := core.CodeInfo(2004)
	for _, code := range []int64{2009, 2010, 2014} {
		if _, got, _ := core.CodeInfo(code); got != refMsg {
			t.Errorf("%d: %q, want the reference-photo message", code, got)
		}
	}
	if _, noMatch, _ := core.CodeInfo(2016); noMatch == refMsg {
		t.Error("a low similarity must not blame the reference photo")
	}
}

func TestPendingAndUnknown(t *testing.T) {
	o := core.Interpret(nil)
	if o.Status != core.StatusPending || o.Code != nil || o.Category != "" || o.Message.Text("en") == "" {
		t.Fatalf("nil: %+v", o)
	}
	for _, code := range []int64{-1, 5, 12, 13, 999, 1999, 3000, 1 << 40} {
		o := core.Interpret(&code)
		if o.Status != core.StatusFailed || o.Category != core.CategorySystem || o.Code == nil || *o.Code != code || o.Message.Text("en") == "" {
			t.Errorf("%d: %+v", code, o)
		}
		if _, _, known := core.CodeInfo(code); known {
			t.Errorf("%d reported as known", code)
		}
	}
	// The Outcome owns its copy of the code.
	code := int64(1201)
	o = core.Interpret(&code)
	code = 0
	if *o.Code != 1201 {
		t.Fatal("Outcome.Code aliases the input")
	}
}

func TestInterpretResultDocument(t *testing.T) {
	decode := func(s string) *faceid.GetWebVerificationResultIntlResponse {
		var r faceid.GetWebVerificationResultIntlResponse
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			t.Fatal(err)
		}
		return &r
	}
	for _, tt := range []struct {
		name   string
		result string
		status core.Status
		cat    core.Category
	}{
		{"pending", `{"ErrorCode":null}`, core.StatusPending, ""},
		{"passed with ocr", `{"ErrorCode":0,"OCRResult":[{"IsPass":true}]}`, core.StatusPassed, ""},
		{"unknown code, ocr failed", `{"ErrorCode":3001,"OCRResult":[{"IsPass":false}]}`, core.StatusFailed, core.CategoryDocument},
		{"compare code, ocr failed", `{"ErrorCode":2015,"OCRResult":[{"IsPass":true},{"IsPass":false}]}`, core.StatusFailed, core.CategoryDocument},
		{"compare code, ocr passed", `{"ErrorCode":2015,"OCRResult":[{"IsPass":true}]}`, core.StatusFailed, core.CategoryCompare},
		{"ocr pass unknown", `{"ErrorCode":2015,"OCRResult":[{"IsPass":null}]}`, core.StatusFailed, core.CategoryCompare},
		{"user exit keeps its reason", `{"ErrorCode":1410,"OCRResult":[{"IsPass":false}]}`, core.StatusFailed, core.CategoryUserExit},
		{"timeout keeps its reason", `{"ErrorCode":1409,"OCRResult":[{"IsPass":false}]}`, core.StatusFailed, core.CategoryTimeout},
		{"expired keeps its reason", `{"ErrorCode":15,"OCRResult":[{"IsPass":false}]}`, core.StatusExpired, core.CategoryExpired},
		{"warning code alone", `{"ErrorCode":-9107}`, core.StatusFailed, core.CategoryDocument},
	} {
		o := core.InterpretResult(decode(tt.result))
		if o.Status != tt.status || o.Category != tt.cat || o.Message.Text("en") == "" {
			t.Errorf("%s: %+v", tt.name, o)
		}
	}
	// The first known warning gives the advice.
	_, photocopy, _ := core.CodeInfo(-9102)
	if o := core.InterpretResult(decode(`{"ErrorCode":3001,"OCRResult":[{"IsPass":false,"WarnCardInfos":[1,9102,9108]}]}`)); o.Message != photocopy {
		t.Errorf("warning advice: %+v", o)
	}
	if o := core.InterpretResult(nil); o.Status != core.StatusPending {
		t.Errorf("nil result: %+v", o)
	}
}

// FuzzInterpretCode reads any ErrorCode, present or not: a known status and message
// always, the code kept, a category exactly for failures.
func FuzzInterpretCode(f *testing.F) {
	for _, c := range tableCodes {
		f.Add(c, true)
	}
	f.Add(int64(-9101), true)
	f.Add(int64(0), false)
	f.Fuzz(func(t *testing.T, code int64, present bool) {
		var p *int64
		if present {
			p = &code
		}
		o := core.Interpret(p)
		switch o.Status {
		case core.StatusPending, core.StatusPassed, core.StatusFailed, core.StatusExpired:
		default:
			t.Fatalf("status %q", o.Status)
		}
		if o.Message.Text("en") == "" {
			t.Fatal("empty message")
		}
		if !present {
			if o.Status != core.StatusPending || o.Code != nil {
				t.Fatalf("absent code: %+v", o)
			}
			return
		}
		if o.Code == nil || *o.Code != code {
			t.Fatalf("code %d not kept: %+v", code, o)
		}
		if (o.Status == core.StatusFailed) != (o.Category != "" && code != 0 && code != 15 && code != 17) {
			t.Fatalf("code %d: status %s with category %q", code, o.Status, o.Category)
		}
		if _, _, known := core.CodeInfo(code); !known && (o.Status != core.StatusFailed || o.Category != core.CategorySystem) {
			t.Fatalf("unknown code %d: %+v", code, o)
		}
	})
}

// FuzzInterpretResult reads arbitrary result JSON: InterpretResult never panics, always
// gives a known status and a message, keeps the raw code, and departs from Interpret only
// to name a document failure that an OCRResult with IsPass false reports.
func FuzzInterpretResult(f *testing.F) {
	for _, name := range []string{"result_pending.json", "result_passed.json", "result_failed_ocr.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		var env struct{ Response json.RawMessage }
		if err := json.Unmarshal(b, &env); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(env.Response))
	}
	f.Add([]byte(`{"ErrorCode":1410,"OCRResult":[{"IsPass":false,"WarnCardInfos":[9102]}]}`))
	f.Add([]byte(`{"ErrorCode":-9102,"OCRResult":[{"IsPass":null},{"IsPass":false,"WarnCardInfos":[-9102,0,9109]}]}`))
	f.Add([]byte(`{"ErrorCode":17}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r faceid.GetWebVerificationResultIntlResponse
		if json.Unmarshal(data, &r) != nil {
			return
		}
		got, plain := core.InterpretResult(&r), core.Interpret(r.ErrorCode)
		if got.Message.Text("en") == "" {
			t.Fatalf("empty message for %s", data)
		}
		if got.Status != plain.Status || (got.Code == nil) != (plain.Code == nil) || got.Code != nil && *got.Code != *plain.Code {
			t.Fatalf("status or code changed: %+v, Interpret says %+v", got, plain)
		}
		if got.Category == plain.Category {
			if got.Message != plain.Message && got.Category != core.CategoryDocument {
				t.Fatalf("message changed without a document failure: %+v", got)
			}
			return
		}
		failedDoc := false
		for _, o := range r.OCRResult {
			failedDoc = failedDoc || o.IsPass != nil && !*o.IsPass
		}
		if got.Category != core.CategoryDocument || !failedDoc {
			t.Fatalf("category %q (Interpret: %q) without a failed document check", got.Category, plain.Category)
		}
		switch plain.Category {
		case core.CategoryTimeout, core.CategoryUserExit, core.CategoryRetryLimit, core.CategoryExpired:
			t.Fatalf("a %s failure was recast as a document failure", plain.Category)
		}
	})
}
