package docs

import (
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/facegate/facegate/internal/kittest"
)

// A signer written from openapi.yaml's description of start tokens alone
// (testdata/openapi_signer.py follows its steps) makes tokens facegate accepts, and
// facegate holds them to the rules the description states. The facts the signer relies on
// must stay in the description.
func TestOpenAPIStartTokenRecipe(t *testing.T) {
	python := kittest.RequireTool(t, "python3", "python3", "FACEGATE_SKIP_PYTHON")
	scheme := at(yamlFile(t, "../openapi.yaml"), "components", "securitySchemes", "startToken", "description")
	if scheme == nil {
		t.Fatal("openapi.yaml has no components.securitySchemes.startToken.description")
	}
	recipe := strings.Join(strings.Fields(scheme.Value), " ")
	for _, fact := range []string{
		"`returnTo`, `reference`, `extra`, `lang`, `documentType`, `ruleId`, `compareImageKey` (JSON strings) and `mode` (a JSON number)",
		"`exp`, the expiry as a JSON integer of Unix seconds, later than now and at most 900 seconds",
		"`nonce`, a JSON string of random characters",
		"`compareImageSha256`, the lowercase hex SHA-256 of the UTF-8 bytes of the compareImage string",
		"Any other member makes the token invalid",
		"RFC 4648 section 5", "without `=` padding",
		"keyed with the UTF-8 bytes of a start-token secret",
		"the ASCII text `facegate-start/v1`, one line feed (0x0A), and `payload` exactly as it appears in the token",
		"The token is `v1.` + `payload` + `.` + `signature`",
	} {
		if !strings.Contains(recipe, fact) {
			t.Errorf("openapi.yaml's start-token recipe no longer says: %s", fact)
		}
	}

	secret := kittest.NewSecret()
	st := kittest.StartStack(t, map[string]string{
		"FACEGATE_RETURN_TO":           kittest.ReturnTo,
		"FACEGATE_START_TOKEN_SECRETS": kittest.NewSecret() + "," + secret, // a rotation under way
		"FACEGATE_MERCHANT_KEYS":       "mk_" + kittest.NewSecret(),
		"FACEGATE_ANONYMOUS_STARTS":    "false",
		"FACEGATE_MODES":               "2,3",
		"FACEGATE_TICKET_SECRETS":      kittest.NewSecret(),
		"FACEGATE_TOKEN_KEYS":          kittest.NewSecret(),
		"FACEGATE_SWEEP_INTERVAL":      "1h",
	})
	photo := testPhoto(t, 90)
	cmd := exec.Command(python, "-I", "testdata/openapi_signer.py")
	tokens := runSigner(t, []signRequest{
		{secret, map[string]any{"returnTo": kittest.ReturnPage, "reference": "订单-42", "lang": "th", "mode": 3, "extra": "cart=1&x=ü"}, 900},
		{secret, map[string]any{"returnTo": kittest.ReturnPage, "mode": 2, "compareImage": photo}, 600},
		{secret, map[string]any{"returnTo": kittest.ReturnPage}, 960},
		{secret, map[string]any{"returnTo": kittest.ReturnPage, "mode": 3}, 600},
	}, cmd)

	// Every option travels, non-ASCII included; the token works once.
	link := st.Gateway + "/start?startToken=" + url.QueryEscape(tokens[0])
	kittest.Navigate(t, st, link)
	if code := kittest.Refused(t, link); code != "start_token_used" {
		t.Errorf("second use: %q, want start_token_used", code)
	}
	status, page := kittest.Merchant(t, st, st.Env("FACEGATE_MERCHANT_KEYS"), http.MethodGet, "/result?reference="+url.QueryEscape("订单-42"))
	if sessions, _ := page["sessions"].([]any); status != http.StatusOK || len(sessions) != 1 {
		t.Errorf("the reference signed into the token: %d %v, want one session", status, page)
	}
	for what, c := range map[string]struct {
		body string
		want string // an error code, or 201
	}{
		"the photo whose hash it carries": {`{"startToken":"` + tokens[1] + `","compareImage":"` + photo + `"}`, "201"},
		"16 minutes to live":              {`{"startToken":"` + tokens[2] + `"}`, "invalid_start_token"},
		"another mode in the request":     {`{"startToken":"` + tokens[3] + `","mode":2}`, "invalid_start_token"},
	} {
		res, body := kittest.Do(t, http.MethodPost, st.Gateway+"/start", http.Header{"Content-Type": {"application/json"}}, []byte(c.body))
		if c.want == "201" && res.StatusCode != http.StatusCreated || c.want != "201" && !strings.Contains(string(body), `"`+c.want+`"`) {
			t.Errorf("POST /start with %s: %d %s, want %s", what, res.StatusCode, body, c.want)
		}
	}
}
