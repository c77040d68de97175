package core_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/storage"

	"gopkg.in/yaml.v3"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// openAPI is openapi.yaml as plain maps, with just enough of a schema validator to check
// that real answers match what the document promises.
type openAPI struct {
	root map[string]any
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	data, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if v, _ := root["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi version %q", v)
	}
	return &openAPI{root: root}
}

func (o *openAPI) get(node any, path ...string) any {
	for _, p := range path {
		m, ok := o.deref(node).(map[string]any)
		if !ok {
			return nil
		}
		node = m[p]
	}
	return o.deref(node)
}

// deref follows $ref pointers within the document.
func (o *openAPI) deref(node any) any {
	for i := 0; i < 10; i++ {
		m, ok := node.(map[string]any)
		if !ok {
			return node
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return node
		}
		node = any(o.root)
		for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			node = node.(map[string]any)[p]
		}
	}
	return node
}

// validate returns every way v breaks schema.
func (o *openAPI) validate(where string, schema any, v any) []string {
	s, ok := o.deref(schema).(map[string]any)
	if !ok {
		return []string{where + ": no schema"}
	}
	if alts, ok := s["oneOf"].([]any); ok {
		var all []string
		matches := 0
		for _, a := range alts {
			errs := o.validate(where, a, v)
			if len(errs) == 0 {
				matches++
			}
			all = append(all, errs...)
		}
		if matches != 1 {
			return append([]string{fmt.Sprintf("%s: matches %d of oneOf", where, matches)}, all...)
		}
		return nil
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, where+": "+fmt.Sprintf(format, args...)) }
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				found = true
			}
		}
		if !found {
			bad("%v is not in the enum", v)
		}
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("not an object")
			break
		}
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := m[r]; !ok {
				bad("required property %q missing", r)
			}
		}
		for k, val := range m {
			ps, ok := props[k]
			if !ok {
				if s["additionalProperties"] == false {
					bad("property %q is not in the schema", k)
				}
				continue
			}
			errs = append(errs, o.validate(where+"."+k, ps, val)...)
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("not an array")
			break
		}
		for i, e := range a {
			errs = append(errs, o.validate(fmt.Sprintf("%s[%d]", where, i), s["items"], e)...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("not a string")
			break
		}
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				bad("not a date-time")
			}
		}
		if max, ok := s["maxLength"].(int); ok && len([]rune(str)) > max {
			bad("longer than %d", max)
		}
	case "integer":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			bad("not an integer")
		}
	case "number":
		if _, ok := v.(float64); !ok {
			bad("not a number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("not a boolean")
		}
	}
	return errs
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		out = append(out, e.(string))
	}
	return out
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPIRoutesMatchRouteTable: every route of the code is documented, and nothing else.
func TestOpenAPIRoutesMatchRouteTable(t *testing.T) {
	o := loadOpenAPI(t)
	var documented, served []string
	for path, item := range o.root["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			if slices.Contains(httpMethods, m) {
				documented = append(documented, strings.ToUpper(m)+" "+path)
			}
		}
	}
	for _, r := range core.RouteTable() {
		served = append(served, r.Method+" "+r.Path)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if !slices.Equal(documented, served) {
		t.Fatalf("openapi.yaml routes %v, route table %v", documented, served)
	}
}

// TestOpenAPIErrorCodes: the ErrorCode enum is exactly the codes the package declares, and
// every declared code is used somewhere it can be emitted.
func TestOpenAPIErrorCodes(t *testing.T) {
	o := loadOpenAPI(t)
	enum := asStrings(o.get(o.root, "components", "schemas", "ErrorCode").(map[string]any)["enum"])
	declared, uses := codeConstants(t)
	var listed []string
	for _, c := range core.Codes() {
		listed = append(listed, string(c))
	}
	sort.Strings(enum)
	sort.Strings(listed)
	names := make([]string, 0, len(declared))
	for _, v := range declared {
		names = append(names, v)
	}
	sort.Strings(names)
	if !slices.Equal(enum, listed) || !slices.Equal(listed, names) {
		t.Fatalf("ErrorCode enum %v\ncore.Codes() %v\ndeclared %v", enum, listed, names)
	}
	for ident, value := range declared {
		// Declaration, status table and Codes() account for three mentions.
		if uses[ident] < 4 {
			t.Errorf("%s (%s) is declared but never emitted", ident, value)
		}
		if core.Code(value).HTTPStatus() == http.StatusInternalServerError && value != "internal" {
			t.Errorf("%s has no status of its own", value)
		}
	}
}

// codeConstants parses the package source: the Code constants declared and how often each
// identifier appears in non-test files.
func codeConstants(t *testing.T) (declared map[string]string, uses map[string]int) {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	declared, uses = map[string]string{}, map[string]int{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValueSpec:
				if id, ok := x.Type.(*ast.Ident); ok && id.Name == "Code" {
					for i, name := range x.Names {
						lit := x.Values[i].(*ast.BasicLit)
						v, _ := strconv.Unquote(lit.Value)
						declared[name.Name] = v
					}
				}
			case *ast.Ident:
				if strings.HasPrefix(x.Name, "Code") && x.Name != "Code" {
					uses[x.Name]++
				}
			}
			return true
		})
	}
	return declared, uses
}

// TestOpenAPIResponsesOfRealFlows checks real answers against their documented schemas.
func TestOpenAPIResponsesOfRealFlows(t *testing.T) {
	o := loadOpenAPI(t)
	st := newStack(t, stackOptions{newStore: s3Store, config: func(c *core.Config) { c.StoreMedia = true }})
	check := func(name, path, method string, rec *httptest.ResponseRecorder) {
		t.Helper()
		op := o.get(o.root, "paths", path, method)
		if op == nil {
			t.Fatalf("%s: %s %s is not documented", name, method, path)
		}
		resp := o.get(op, "responses", strconv.Itoa(rec.Code))
		if resp == nil {
			t.Errorf("%s: status %d of %s %s is not documented", name, rec.Code, method, path)
			return
		}
		if rec.Body.Len() == 0 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			return
		}
		schema := o.get(resp, "content", "application/json", "schema")
		if schema == nil {
			t.Errorf("%s: %d has no JSON schema", name, rec.Code)
			return
		}
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range o.validate(name, schema, v) {
			t.Error(e)
		}
	}

	start := st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 1, Extra: "e", Reference: "r"})
	check("start 201", "/start", "post", start)
	var sr core.StartResponse
	decodeBody(t, start, &sr)
	b := &browser{token: sr.Token, cookie: start.Result().Cookies()[0]}
	check("pending result", "/result", "get", st.get("/result?token="+b.token, "Authorization", "Bearer "+merchantKey))
	st.setOutcome(b.token, sandbox.Outcome{Result: sandbox.ResultDocument})
	cb := st.callback(b)
	check("callback 302", "/callback", "get", cb)
	st.nextSlot()
	full := st.get("/result?token="+b.token, "Authorization", "Bearer "+merchantKey)
	check("full result", "/result", "get", full)
	if !strings.Contains(full.Body.String(), `"media"`) || !strings.Contains(full.Body.String(), `"documents"`) {
		t.Fatalf("the full result exercised no media or documents: %s", full.Body)
	}

	compare := st.startPost(core.StartOptions{ReturnTo: returnTo, CompareImage: jpegBase64})
	st.setOutcome(compare.token, sandbox.Outcome{Result: sandbox.ResultCompareFail})
	cl := st.mustCallback(compare)
	check("summary", "/result", "get", st.get("/result?token="+compare.token+"&ticket="+cl.ticket))
	check("failed full result", "/result", "get", st.get("/result?token="+compare.token, "Authorization", "Bearer "+merchantKey))

	for name, c := range map[string]struct {
		path, method string
		rec          *httptest.ResponseRecorder
	}{
		"start 400":  {"/start", "post", st.postJSON("/start", `{"x":1}`)},
		"start 413":  {"/start", "post", st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, CompareImage: strings.Repeat("A", core.MaxInlineImageBase64+4)})},
		"start 415":  {"/start", "post", st.do(httptest.NewRequest(http.MethodPost, "/start", strings.NewReader("{}")))},
		"start 405":  {"/start", "get", st.do(httptest.NewRequest(http.MethodPatch, "/start", nil))},
		"get 400":    {"/start", "get", st.get("/start?returnTo=x", "Accept", "application/json")},
		"cb 403":     {"/callback", "get", st.get("/callback?token="+compare.token, "Accept", "application/json")},
		"cb 404":     {"/callback", "get", st.get("/callback?token=NOPE", "Accept", "application/json")},
		"result 401": {"/result", "get", st.get("/result?token=" + compare.token)},
		"result 404": {"/result", "get", st.get("/result?token=NOPE", "Authorization", "Bearer "+merchantKey)},
		"preflight":  {"/start", "options", st.do(preflight("/start", "https://shop.example.test", "POST"))},
	} {
		check(name, c.path, c.method, c.rec)
	}
	st.sandbox.SetFaults(sandbox.Faults{ThrottleRate: 1})
	check("start 503", "/start", "post", st.postJSON("/start", core.StartOptions{ReturnTo: returnTo, Mode: 3}))
}

// TestOpenAPIRequestsMatchHandlers checks the request side against the handlers: every
// documented parameter and body property is accepted, and anything undocumented is refused
// as unknown; the documented limits are the code's.
func TestOpenAPIRequestsMatchHandlers(t *testing.T) {
	o := loadOpenAPI(t)
	st := newStack(t, stackOptions{})
	// An address the allowlist refuses: a request that gets as far as invalid_return_to
	// (or another option check) had all its parameters accepted.
	const badReturnTo = "https://evil.example/"

	paramNames := func(path, method string) []string {
		var names []string
		for _, p := range o.get(o.root, "paths", path, method, "parameters").([]any) {
			if o.get(p, "in") == "query" {
				names = append(names, o.get(p, "name").(string))
			}
		}
		sort.Strings(names)
		return names
	}
	sample := func(schema any) any {
		switch o.get(schema, "type") {
		case "integer":
			return 3
		case "boolean":
			return true
		default:
			return "x"
		}
	}

	// GET /start: the documented query parameters, and nothing else.
	startParams := paramNames("/start", "get")
	for _, name := range append(slices.Clone(startParams), "compareImage", "admin", "debug") {
		q := url.Values{"returnTo": {badReturnTo}}
		if name != "returnTo" {
			q.Set(name, "3")
		}
		if name == "handoff" || name == "k" {
			// A handoff link is a query of its own: handoff and k, nothing else.
			q = url.Values{"handoff": {strings.Repeat("0", 64)}, "k": {"3"}}
		}
		rec := st.get("/start?"+q.Encode(), "Accept", "application/json")
		documented := slices.Contains(startParams, name)
		if code := errorCode(t, rec); (code == "invalid_request") == documented {
			t.Errorf("GET /start with %s (documented %v): %d %s", name, documented, rec.Code, rec.Body)
		}
	}

	// POST /start: the StartRequest properties, and nothing else.
	props := o.get(o.root, "components", "schemas", "StartRequest", "properties").(map[string]any)
	var propNames []string
	for name, schema := range props {
		propNames = append(propNames, name)
		body := map[string]any{"returnTo": badReturnTo, name: sample(schema)}
		if name == "returnTo" {
			body[name] = badReturnTo
		}
		if rec := st.postJSON("/start", body); errorCode(t, rec) == "invalid_request" {
			t.Errorf("POST /start refuses the documented property %s: %s", name, rec.Body)
		}
	}
	var jsonNames []string
	st2 := reflect.TypeOf(core.StartOptions{})
	for i := 0; i < st2.NumField(); i++ {
		name, _, _ := strings.Cut(st2.Field(i).Tag.Get("json"), ",")
		jsonNames = append(jsonNames, name)
		if !slices.Contains(propNames, name) {
			t.Errorf("StartOptions field %s (%s) is not in StartRequest", st2.Field(i).Name, name)
		}
	}
	for _, name := range propNames {
		if !slices.Contains(jsonNames, name) {
			t.Errorf("StartRequest documents %s, which StartOptions does not have", name)
		}
	}
	if rec := st.postJSON("/start", map[string]any{"returnTo": badReturnTo, "webhook": "x"}); errorCode(t, rec) != "invalid_request" {
		t.Errorf("POST /start accepted an undocumented property: %s", rec.Body)
	}

	// GET /result: token and ticket, session, reference and its paging, and nothing else.
	resultParams := paramNames("/result", "get")
	if !slices.Equal(resultParams, []string{"after", "handoff", "limit", "reference", "session", "ticket", "token", "watch"}) {
		t.Errorf("GET /result documents %v", resultParams)
	}
	if del := paramNames("/result", "delete"); !slices.Equal(del, []string{"session", "token"}) {
		t.Errorf("DELETE /result documents %v", del)
	}
	for name, documented := range map[string]bool{"ticket": true, "debug": false, "status": false} {
		rec := st.get("/result?token=NOPE-1&"+name+"=x", "Authorization", "Bearer "+merchantKey)
		if code := errorCode(t, rec); (code == "invalid_request") == documented {
			t.Errorf("GET /result with %s (documented %v): %d %s", name, documented, rec.Code, rec.Body)
		}
	}
	if got := paramNames("/callback", "get"); !slices.Equal(got, []string{"token"}) {
		t.Errorf("GET /callback documents %v", got)
	}

	// The documented limits are the code's.
	maxLen := func(path ...string) int {
		v, _ := o.get(o.root, path...).(map[string]any)["maxLength"].(int)
		return v
	}
	for name, c := range map[string]struct{ documented, code int }{
		"Extra":           {maxLen("components", "schemas", "Extra"), core.MaxExtraRunes},
		"Reference":       {maxLen("components", "schemas", "Reference"), core.MaxReferenceRunes},
		"ReturnTo":        {maxLen("components", "schemas", "ReturnTo"), core.MaxReturnToLength},
		"compareImage":    {maxLen("components", "schemas", "StartRequest", "properties", "compareImage"), core.MaxInlineImageBase64},
		"CompareImageKey": {maxLen("components", "schemas", "CompareImageKey"), storage.MaxKeyLength},
	} {
		if c.documented != c.code {
			t.Errorf("%s: openapi.yaml says at most %d, the code %d", name, c.documented, c.code)
		}
	}
	desc := o.get(o.root, "paths", "/start", "post", "description").(string)
	if body := strconv.FormatInt(core.MaxStartBody, 10); !strings.Contains(strings.ReplaceAll(desc, ",", ""), body+" bytes") {
		t.Errorf("POST /start description does not state the %s-byte body cap", body)
	}

	// The status each error code is documented with is the one it is answered with.
	codeDesc := o.get(o.root, "components", "schemas", "ErrorCode", "description").(string)
	pairs := regexp.MustCompile(`([a-z_]+) (\d{3})`).FindAllStringSubmatch(codeDesc, -1)
	if len(pairs) != len(core.Codes()) {
		t.Fatalf("ErrorCode description lists %d codes with a status, the code has %d", len(pairs), len(core.Codes()))
	}
	for _, p := range pairs {
		if status, _ := strconv.Atoi(p[2]); core.Code(p[1]).HTTPStatus() != status {
			t.Errorf("%s: documented %s, answered %d", p[1], p[2], core.Code(p[1]).HTTPStatus())
		}
	}
	if st.store.creates.Load() != 0 || st.faceid.calls.Load() != 0 {
		t.Fatal("refused requests wrote or called Tencent")
	}
}
