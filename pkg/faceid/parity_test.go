package faceid_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/sandbox"
)

// clientStricter names the rows of applyCases that the client refuses on purpose although
// the service takes them, each with the reason. Every other row must be judged alike by the
// client and by the sandbox.
var clientStricter = map[string]string{
	"redirect userinfo": "user information in RedirectURL is a phishing vector",
	"redirect fragment": "the token Tencent appends would land inside the fragment",
}

// rawService is the sandbox's API on loopback, called with requests signed here: it
// bypasses the client's validation so that the service's own verdict can be seen.
type rawService struct {
	url  string
	host string
}

func newRawService(t *testing.T, opts sandbox.Options) rawService {
	t.Helper()
	opts.RateLimit = -1
	opts.PageURL = "http://127.0.0.1:1" // pages are not opened here
	api := httptest.NewServer(sandbox.New(opts).APIHandler())
	t.Cleanup(api.Close)
	return rawService{url: api.URL, host: strings.TrimPrefix(api.URL, "http://")}
}

// verdict sends params as action and returns "" when the service accepts it, else the
// error code. Codes that are not about parameters fail the test.
func (s rawService) verdict(t *testing.T, action string, params any) string {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	in := tc3Input{Host: s.host, ContentType: "application/json", Timestamp: strconv.FormatInt(time.Now().Unix(), 10), Body: body}
	auth, err := tc3Authorization(in, sandbox.TestSecretID, sandbox.TestSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"Content-Type": in.ContentType, "Authorization": auth, "X-TC-Timestamp": in.Timestamp,
		"X-TC-Action": action, "X-TC-Version": faceid.Version, "X-TC-Region": faceid.DefaultRegion,
	} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Response struct {
			Error *struct{ Code, Message string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d, %v", action, resp.StatusCode, err)
	}
	e := env.Response.Error
	switch {
	case e == nil:
		return ""
	case faceid.KindOf(e.Code) != faceid.KindBadParameter:
		t.Fatalf("%s: %s is not a parameter error: %s", action, e.Code, e.Message)
	}
	return e.Code
}

// TestValidationAgreesWithSandbox sends every row of the validation table, unvalidated, to
// the sandbox: what the client accepts the service accepts, and what the service refuses
// the client refuses first (so a bad parameter never costs a call), except the rows of
// clientStricter.
func TestValidationAgreesWithSandbox(t *testing.T) {
	// Whether CheckMode 2 needs a compare image is unconfirmed, so the client leaves it to
	// the service; the sandbox's lenient option takes the same reading here.
	svc := newRawService(t, sandbox.Options{AllowMissingCompareImage: true})
	seen := map[string]bool{}
	for _, tt := range applyCases() {
		t.Run(tt.name, func(t *testing.T) {
			r := validApply()
			tt.edit(r)
			clientOK := r.Validate() == nil
			code := svc.verdict(t, faceid.ActionApplyWebVerificationBizTokenIntl, r)
			_, stricter := clientStricter[tt.name]
			seen[tt.name] = true
			switch {
			case clientOK && code != "":
				t.Fatalf("client accepts, service refuses with %s", code)
			case !clientOK && code == "" && !stricter:
				t.Fatalf("client refuses %s, service accepts (add to clientStricter only with a reason)", tt.wantField)
			case stricter && (clientOK || code != ""):
				t.Fatalf("listed as client-stricter, but client ok=%v, service code %q", clientOK, code)
			}
		})
	}
	for name := range clientStricter {
		if !seen[name] {
			t.Errorf("clientStricter names %q, which is not a row of applyCases", name)
		}
	}
}

// TestLegacyValidationAgreesWithSandbox does the same for the legacy apply: each request
// the client refuses, the service refuses too.
func TestLegacyValidationAgreesWithSandbox(t *testing.T) {
	svc := newRawService(t, sandbox.Options{})
	const md5hex = "0123456789abcdef0123456789abcdef"
	for name, req := range map[string]faceid.ApplyWebVerificationTokenRequest{
		"redirect only":    {RedirectUrl: "https://m.example/cb"},
		"md5 without url":  {RedirectUrl: "https://m.example/cb", CompareImageMd5: md5hex},
		"url without md5":  {RedirectUrl: "https://m.example/cb", CompareImageUrl: "https://cos.example/o"},
		"md5 not hex":      {RedirectUrl: "https://m.example/cb", CompareImageUrl: "https://cos.example/o", CompareImageMd5: "z" + md5hex[1:]},
		"redirect missing": {CompareImageUrl: "https://cos.example/o", CompareImageMd5: md5hex},
	} {
		if req.Validate() == nil {
			t.Errorf("%s: client accepts", name)
		}
		if code := svc.verdict(t, faceid.ActionApplyWebVerificationToken, req); code == "" {
			t.Errorf("%s: service accepts", name)
		}
	}
}
