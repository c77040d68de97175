package faceid_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/sandbox"
)

// Example shows a merchant's use: start a verification, send the user's browser to
// VerificationURL, and read the result when the user comes back to RedirectURL. The
// local sandbox stands in for Tencent; in production, leave Endpoint and Scheme empty
// and use faceid.EnvCredentials(os.Getenv).
func Example() {
	sb := sandbox.New(sandbox.Options{})
	api := httptest.NewServer(sb.APIHandler())
	defer api.Close()

	client, err := faceid.New(faceid.Config{
		Endpoint:    strings.TrimPrefix(api.URL, "http://"),
		Scheme:      "http",
		Credentials: faceid.StaticCredentials(sandbox.TestSecretID, sandbox.TestSecretKey, ""),
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	start, err := client.ApplyWebVerificationBizTokenIntl(ctx, &faceid.ApplyWebVerificationBizTokenIntlRequest{
		RedirectURL: "https://merchant.example/callback",
		Extra:       "order-1001",
		Config:      &faceid.WebVerificationConfigIntl{CheckMode: new(int64(3))}, // liveness only
	})
	if err != nil {
		log.Fatal(err)
	}
	// Keep start.BizToken; redirect the browser to start.VerificationURL.

	result, err := client.GetWebVerificationResultIntl(ctx, start.BizToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("before the user finishes:", core.InterpretResult(result).Status)

	// Here the user would fail the liveness check on Tencent's page.
	if err := sb.SetOutcome(start.BizToken, sandbox.Outcome{Result: sandbox.ResultLivenessFail}); err != nil {
		log.Fatal(err)
	}

	result, err = client.GetWebVerificationResultIntl(ctx, start.BizToken)
	if err != nil {
		log.Fatal(err)
	}
	outcome := core.InterpretResult(result)
	fmt.Println("after:", outcome.Status, outcome.Category, *outcome.Code)
	fmt.Println("tell the user:", outcome.Message.Text("en"))
	fmt.Println("your reference:", *result.Extra)
	// Output:
	// before the user finishes: pending
	// after: failed liveness 1005
	// tell the user: The liveness check failed. Follow the on-screen instructions and try again.
	// your reference: order-1001
}
