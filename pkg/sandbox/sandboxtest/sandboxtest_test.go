package sandboxtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/facegate/facegate/pkg/sandbox/sandboxtest"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

func send(t *testing.T, c *common.Client, action string, params map[string]any) map[string]any {
	t.Helper()
	req := tchttp.NewCommonRequest("faceid", "2018-03-01", action)
	if err := req.SetActionParameters(params); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := c.Send(req, resp); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
	var out struct{ Response map[string]any }
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		t.Fatal(err)
	}
	return out.Response
}

// The whole intl flow through real HTTP: apply with the SDK, the user on the hosted page,
// the redirect with the token, the result with the SDK.
func TestRoundTripThroughThePage(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint, p.HttpProfile.Scheme = srv.Endpoint(), "HTTP"
	client := common.NewCommonClient(common.NewCredential(sandbox.TestSecretID, sandbox.TestSecretKey), "ap-singapore", p)

	applied := send(t, client, "ApplyWebVerificationBizTokenIntl", map[string]any{
		"RedirectURL": "https://merchant.test/cb?s=1", "Extra": "e-1",
		"Config": map[string]any{"CheckMode": 3, "AutoSkip": true, "AutoSkipStartPage": true},
	})
	token, _ := applied["BizToken"].(string)
	verification, _ := applied["VerificationURL"].(string)
	if !strings.HasPrefix(verification, srv.Page.URL+"/reflect/?token=") {
		t.Fatalf("VerificationURL %q", verification)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, err := browser.Get(verification)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	resp, err := browser.PostForm(srv.Page.URL+"/reflect/", url.Values{"token": {token}, "step": {"finish"}, "outcome": {"pass"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Location"); got != "https://merchant.test/cb?s=1&token="+token {
		t.Fatalf("redirect %d %q", resp.StatusCode, got)
	}

	result := send(t, client, "GetWebVerificationResultIntl", map[string]any{"BizToken": token})
	if result["ErrorCode"] != 0.0 || result["Extra"] != "e-1" {
		t.Fatalf("result %v", result)
	}
}

func TestControlAPIOverHTTP(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.Options{})
	resp, err := http.Post(srv.API.URL+"/_sandbox/clock", "application/json", strings.NewReader(`{"AdvanceSeconds":5}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var clock struct{ OffsetSeconds float64 }
	if err := json.NewDecoder(resp.Body).Decode(&clock); err != nil || clock.OffsetSeconds != 5 {
		t.Fatalf("clock %v %+v", err, clock)
	}
}
