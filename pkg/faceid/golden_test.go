package faceid_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/sandbox"
)

// Field lists from faceid-api.md, one per response shape.
var (
	applyFields  = []string{"BizToken", "VerificationURL", "VerificationUrl", "RequestId"}
	resultFields = []string{"ErrorCode", "ErrorMsg", "VerificationDetailList", "VideoBase64", "BestFrameBase64", "OCRResult", "Extra", "RequestId"}
	detailFields = []string{"ErrorCode", "ErrorMsg", "LivenessErrorCode", "LivenessErrorMsg", "CompareErrorCode", "CompareErrorMsg",
		"ReqTimestamp", "Similarity", "Seq", "LivenessInfoTag"}
	ocrFields = []string{"IsPass", "CardImageBase64", "CardBackImageBase64", "CardCutImageBase64", "CardBackCutImageBase64",
		"HeadImageBase64", "CardInfo", "NormalCardInfo", "WarnCardInfos", "OriginalCardInfo", "RequestId"}
	uploadFields       = []string{"UploadUrl", "ResourceUrl", "ExpiredTimestamp", "RequestId"}
	legacyApplyFields  = []string{"VerificationUrl", "BizToken", "RequestId"}
	legacyResultFields = []string{"ErrorCode", "ErrorMsg", "VideoBestFrameUrl", "VideoBestFrameMd5", "VideoUrl", "VideoMd5", "VerificationDetailList", "RequestId"}
)

type envelope[T any] struct {
	Response *T `json:"Response"`
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func asTree(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func requireKeys(t *testing.T, where string, obj any, keys []string) {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("%s: not an object", where)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: field %s missing from fixture", where, k)
		}
	}
}

// checkFixture decodes name into T strictly (every key of the fixture must be a model
// field), checks the documented fields are present, and that re-encoding gives the same
// JSON document.
func checkFixture[T any](t *testing.T, name string, fields []string) (*T, map[string]any) {
	t.Helper()
	raw := readFixture(t, name)
	tree := asTree(t, raw).(map[string]any)
	resp := tree["Response"]
	requireKeys(t, name, resp, fields)

	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var env envelope[T]
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if env.Response == nil {
		t.Fatalf("%s: no Response", name)
	}
	again, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if got := asTree(t, again); !reflect.DeepEqual(got, asTree(t, raw)) {
		t.Errorf("%s: re-encoded differs\n got %s", name, again)
	}
	return env.Response, resp.(map[string]any)
}

func checkListItems(t *testing.T, where string, list any, fields []string) {
	t.Helper()
	items, _ := list.([]any)
	if len(items) == 0 {
		t.Fatalf("%s: fixture list empty", where)
	}
	for _, it := range items {
		requireKeys(t, where, it, fields)
	}
}

// viaClient serves fixture through a signature-checking server and returns what the
// client (the SDK's decoder) made of it.
func viaClient[T any](t *testing.T, fixture string, call func(*faceid.Client) (*T, error)) *T {
	t.Helper()
	raw := readFixture(t, fixture)
	api := newFakeAPI(t, func(apiCall) (int, string) { return 200, string(raw) })
	got, err := call(api.client(t, nil))
	if err != nil {
		t.Fatalf("%s via client: %v", fixture, err)
	}
	return got
}

func TestGoldenApply(t *testing.T) {
	want, _ := checkFixture[faceid.ApplyWebVerificationBizTokenIntlResponse](t, "apply.json", applyFields)
	got := viaClient(t, "apply.json", func(c *faceid.Client) (*faceid.ApplyWebVerificationBizTokenIntlResponse, error) {
		return c.ApplyWebVerificationBizTokenIntl(context.Background(), validApply())
	})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("client decoded %+v, want %+v", got, want)
	}
}

func TestGoldenResultPending(t *testing.T) {
	want, _ := checkFixture[faceid.GetWebVerificationResultIntlResponse](t, "result_pending.json", resultFields)
	got := viaClient(t, "result_pending.json", getIntl)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("client decoded %+v, want %+v", got, want)
	}
	if o := core.InterpretResult(got); o.Status != core.StatusPending {
		t.Fatalf("outcome %+v", o)
	}
	if got.Extra == nil || *got.Extra != "order-1001" {
		t.Fatal("Extra lost")
	}
}

func TestGoldenResultPassed(t *testing.T) {
	want, resp := checkFixture[faceid.GetWebVerificationResultIntlResponse](t, "result_passed.json", resultFields)
	checkListItems(t, "VerificationDetailList", resp["VerificationDetailList"], detailFields)
	got := viaClient(t, "result_passed.json", getIntl)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("client decoded %+v, want %+v", got, want)
	}
	if o := core.InterpretResult(got); o.Status != core.StatusPassed {
		t.Fatalf("outcome %+v", o)
	}
	last := got.VerificationDetailList[1]
	if last.Similarity == nil || *last.Similarity != 92.37 || len(last.LivenessInfoTag) != 2 || *last.ReqTimestamp != 1772353860456 {
		t.Fatalf("detail %+v", last)
	}
	if d := faceid.LivenessInfoTag(last.LivenessInfoTag[1]).Description(); d != "Action not completed" {
		t.Fatalf("tag %q reads %q", last.LivenessInfoTag[1], d)
	}
}

// TestLivenessInfoTags: the fourteen documented reasons, "01" to "14" in order, each
// described; an undocumented tag has no description.
func TestLivenessInfoTags(t *testing.T) {
	tags := faceid.LivenessInfoTags()
	if len(tags) != 14 {
		t.Fatalf("%d tags, the doc lists 14", len(tags))
	}
	seen := map[string]bool{}
	for i, tag := range tags {
		if want := fmt.Sprintf("%02d", i+1); string(tag) != want {
			t.Errorf("tag %d is %q, want %q", i, tag, want)
		}
		d := tag.Description()
		if d == "" || seen[d] {
			t.Errorf("tag %s: description %q empty or repeated", tag, d)
		}
		seen[d] = true
	}
	if faceid.LivenessEyesOrMouthCovered.Description() != "Eyes or mouth covered" {
		t.Error(faceid.LivenessEyesOrMouthCovered.Description())
	}
	for _, unknown := range []faceid.LivenessInfoTag{"15", "1", "", "00"} {
		if d := unknown.Description(); d != "" {
			t.Errorf("undocumented tag %q described as %q", unknown, d)
		}
	}
}

func TestGoldenResultFailedWithOCR(t *testing.T) {
	const fixture = "result_failed_ocr.json"
	want, resp := checkFixture[faceid.GetWebVerificationResultIntlResponse](t, fixture, resultFields)
	checkListItems(t, "VerificationDetailList", resp["VerificationDetailList"], detailFields)
	checkListItems(t, "OCRResult", resp["OCRResult"], ocrFields)
	got := viaClient(t, fixture, getIntl)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("client decoded %+v, want %+v", got, want)
	}
	if o := core.InterpretResult(got); o.Status != core.StatusFailed || o.Category != core.CategoryDocument || *o.Code != 3001 {
		t.Fatalf("outcome %+v", o)
	}
	// Card data stays exactly as Tencent wrote it, an unknown card type included.
	raw := readFixture(t, fixture)
	const key = `"NormalCardInfo": `
	start := bytes.Index(raw, []byte(key)) + len(key)
	end := bytes.Index(raw[start:], []byte(",\n")) + start
	wantRaw := raw[start:end]
	if !bytes.Contains(wantRaw, []byte("ZedlandResidentCard")) {
		t.Fatal("fixture lost its made-up card type")
	}
	if gotRaw := got.OCRResult[0].NormalCardInfo; !bytes.Equal(gotRaw, wantRaw) {
		t.Fatalf("NormalCardInfo changed\n got %s\nwant %s", gotRaw, wantRaw)
	}
	if w := got.OCRResult[0].WarnCardInfos; len(w) != 2 || w[0] != 9102 {
		t.Fatalf("WarnCardInfos %v", w)
	}
}

func TestGoldenCreateUploadUrl(t *testing.T) {
	want, _ := checkFixture[faceid.CreateUploadUrlResponse](t, "create_upload_url.json", uploadFields)
	got := viaClient(t, "create_upload_url.json", func(c *faceid.Client) (*faceid.CreateUploadUrlResponse, error) {
		return c.CreateUploadUrl(context.Background(), faceid.ActionApplyWebVerificationToken)
	})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("client decoded %+v, want %+v", got, want)
	}
}

func TestGoldenLegacyApply(t *testing.T) {
	want, _ := checkFixture[faceid.ApplyWebVerificationTokenResponse](t, "legacy_apply.json", legacyApplyFields)
	got := viaClient(t, "legacy_apply.json", func(c *faceid.Client) (*faceid.ApplyWebVerificationTokenResponse, error) {
		return c.ApplyWebVerificationToken(context.Background(), &faceid.ApplyWebVerificationTokenRequest{
			RedirectUrl: "https://m.example/cb", CompareImageUrl: "https://cos.example/compare/4f2a9c.jpg",
			CompareImageMd5: "9e107d9d372bb6826bd81d3542a419d6",
		})
	})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("client decoded %+v, want %+v", got, want)
	}
}

func TestGoldenLegacyResult(t *testing.T) {
	want, resp := checkFixture[faceid.GetWebVerificationResultResponse](t, "legacy_result.json", legacyResultFields)
	checkListItems(t, "VerificationDetailList", resp["VerificationDetailList"], detailFields)
	got := viaClient(t, "legacy_result.json", func(c *faceid.Client) (*faceid.GetWebVerificationResultResponse, error) {
		return c.GetWebVerificationResult(context.Background(), "5B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0")
	})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("client decoded %+v, want %+v", got, want)
	}
	if o := core.Interpret(got.ErrorCode); o.Category != core.CategoryCompare {
		t.Fatalf("outcome %+v", o)
	}
}

func TestGoldenErrorEnvelope(t *testing.T) {
	raw := readFixture(t, "error.json")
	tree := asTree(t, raw).(map[string]any)["Response"]
	requireKeys(t, "error.json", tree, []string{"Error", "RequestId"})
	requireKeys(t, "error.json Error", tree.(map[string]any)["Error"], []string{"Code", "Message"})
	api := newFakeAPI(t, func(apiCall) (int, string) { return 200, string(raw) })
	_, err := api.client(t, nil).GetWebVerificationResultIntl(context.Background(), "TOKEN-1")
	var fe *faceid.Error
	if !errors.As(err, &fe) {
		t.Fatalf("got %v", err)
	}
	want := faceid.Error{Kind: faceid.KindTokenExpired, Code: "InvalidParameterValue.BizTokenExpired", Message: "BizToken has expired.",
		RequestID: "c0a8e1f2-0009-4a5b-8c9d-0e1f2a3b4c5d", Action: faceid.ActionGetWebVerificationResultIntl}
	if *fe != want {
		t.Fatalf("got %+v, want %+v", *fe, want)
	}
}

func getIntl(c *faceid.Client) (*faceid.GetWebVerificationResultIntlResponse, error) {
	return c.GetWebVerificationResultIntl(context.Background(), "8A2F6B7C-1D3E-4F50-9A61-B7C8D9E0F1A2")
}

// teeTransport keeps the raw body of every API answer, by action, as it came off the wire.
type teeTransport struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies map[string][][]byte
}

func (tt *teeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := tt.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	tt.mu.Lock()
	defer tt.mu.Unlock()
	action := r.Header.Get("X-TC-Action")
	tt.bodies[action] = append(tt.bodies[action], body)
	return resp, nil
}

// last returns the latest answer to action.
func (tt *teeTransport) last(t *testing.T, action string) []byte {
	t.Helper()
	tt.mu.Lock()
	defer tt.mu.Unlock()
	b := tt.bodies[action]
	if len(b) == 0 {
		t.Fatalf("no answer to %s recorded", action)
	}
	return b[len(b)-1]
}

// shape adds to into the key paths of a JSON tree ("Response.OCRResult[].IsPass"). Lists
// contribute the union of their items; card data is not descended into, as its members
// depend on the card type.
func shape(into map[string]bool, path string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			into[p] = true
			if k != "NormalCardInfo" && k != "CardInfo" {
				shape(into, p, child)
			}
		}
	case []any:
		for _, item := range v {
			shape(into, path+"[]", item)
		}
	}
}

func shapes(t *testing.T, docs ...[]byte) map[string]bool {
	t.Helper()
	into := map[string]bool{}
	for _, d := range docs {
		shape(into, "", asTree(t, d))
	}
	return into
}

func diffShapes(t *testing.T, what string, sandboxShape, goldenShape map[string]bool) {
	t.Helper()
	for k := range goldenShape {
		if !sandboxShape[k] {
			t.Errorf("%s: the sandbox never answers %s, which the golden fixture has", what, k)
		}
	}
	for k := range sandboxShape {
		if !goldenShape[k] {
			t.Errorf("%s: the sandbox answers %s, which no golden fixture has", what, k)
		}
	}
}

// TestSandboxAnswersMatchGoldenShapes: every response shape the sandbox sends over HTTP
// has exactly the fields of the golden fixtures (which TestGolden* hold to the field lists
// of faceid-api.md), so the stand-in cannot drift from the documented contract.
func TestSandboxAnswersMatchGoldenShapes(t *testing.T) {
	tee := &teeTransport{next: http.DefaultTransport.(*http.Transport).Clone(), bodies: map[string][][]byte{}}
	r := newRig(t, sandbox.Options{RateLimit: -1}, func(cfg *faceid.Config) { cfg.HTTPClient = &http.Client{Transport: tee} })
	ctx := context.Background()
	plus := &faceid.WebVerificationConfigIntl{CheckMode: new(int64(1)), IDCardType: new("HKIDCard"), IdCardCutReturn: new(true), Version: new("PLUS")}

	// Intl results: pending, a pass with document data, a document failure.
	var results [][]byte
	pending := r.apply(t, nil)
	r.get(t, pending.BizToken)
	results = append(results, tee.last(t, faceid.ActionGetWebVerificationResultIntl))
	passed := r.apply(t, plus)
	if err := r.sb.SetOutcome(passed.BizToken, sandbox.Outcome{Result: sandbox.ResultPass}); err != nil {
		t.Fatal(err)
	}
	r.get(t, passed.BizToken)
	results = append(results, tee.last(t, faceid.ActionGetWebVerificationResultIntl))
	ocrOnly := r.apply(t, &faceid.WebVerificationConfigIntl{CheckMode: new(int64(4)), IDCardType: new("SingaporeIDCard")})
	if err := r.sb.SetOutcome(ocrOnly.BizToken, sandbox.Outcome{Result: sandbox.ResultDocumentFail}); err != nil {
		t.Fatal(err)
	}
	r.get(t, ocrOnly.BizToken)
	results = append(results, tee.last(t, faceid.ActionGetWebVerificationResultIntl))
	diffShapes(t, "GetWebVerificationResultIntl", shapes(t, results...),
		shapes(t, readFixture(t, "result_pending.json"), readFixture(t, "result_passed.json"), readFixture(t, "result_failed_ocr.json")))
	diffShapes(t, "ApplyWebVerificationBizTokenIntl", shapes(t, tee.last(t, faceid.ActionApplyWebVerificationBizTokenIntl)),
		shapes(t, readFixture(t, "apply.json")))

	// The legacy flow, with a finished result that carries media links.
	up, err := r.client.CreateUploadUrl(ctx, faceid.ActionApplyWebVerificationToken)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.client.Upload(ctx, up.UploadUrl, jpegBytes)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := r.client.ApplyWebVerificationToken(ctx, &faceid.ApplyWebVerificationTokenRequest{
		RedirectUrl: "https://merchant.example/cb", CompareImageUrl: up.ResourceUrl, CompareImageMd5: sum,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.sb.SetOutcome(legacy.BizToken, sandbox.Outcome{Result: sandbox.ResultCompareFail}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.GetWebVerificationResult(ctx, legacy.BizToken); err != nil {
		t.Fatal(err)
	}
	diffShapes(t, "CreateUploadUrl", shapes(t, tee.last(t, faceid.ActionCreateUploadUrl)), shapes(t, readFixture(t, "create_upload_url.json")))
	diffShapes(t, "ApplyWebVerificationToken", shapes(t, tee.last(t, faceid.ActionApplyWebVerificationToken)), shapes(t, readFixture(t, "legacy_apply.json")))
	diffShapes(t, "GetWebVerificationResult", shapes(t, tee.last(t, faceid.ActionGetWebVerificationResult)), shapes(t, readFixture(t, "legacy_result.json")))

	// An error envelope.
	r.clock.Advance(sandbox.DefaultResultWindow + time.Second)
	if _, err := r.client.GetWebVerificationResultIntl(ctx, passed.BizToken); err == nil {
		t.Fatal("expired token answered")
	}
	diffShapes(t, "error envelope", shapes(t, tee.last(t, faceid.ActionGetWebVerificationResultIntl)), shapes(t, readFixture(t, "error.json")))
}
