package core_test

import (
	"fmt"
	"time"

	"github.com/facegate/facegate/pkg/core"
)

// A merchant backend holding the ticket secret can check, without calling /result, that
// the ticket its return page received was issued by the callback for this token.
func ExampleVerifyTicket() {
	secrets := [][]byte{[]byte("the-ticket-secret-of-this-deployment-0123")}
	token := "8E2F2B3C-6C1A-4D5E-9F00-1A2B3C4D5E6F" // from the return page's ?token=
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	// The callback issued this; here it is signed for the example.
	ticket := core.SignTicket(secrets[0], token, core.StatusPassed, now.Add(15*time.Minute))

	t, err := core.VerifyTicket(secrets, token, ticket, now)
	fmt.Println(t.Status, t.ExpiresAt.Format(time.RFC3339), err)

	_, err = core.VerifyTicket(secrets, "ANOTHER-TOKEN", ticket, now)
	fmt.Println(err)
	_, err = core.VerifyTicket(secrets, token, ticket, now.Add(time.Hour))
	fmt.Println(err)
	// Output:
	// passed 2026-05-01T12:15:00Z <nil>
	// invalid ticket
	// invalid ticket
}

// A merchant backend signs the options it allows; its page then opens
// /start?startToken=<token> and /start refuses anything else.
func ExampleSignStartToken() {
	secret := []byte("the-start-token-secret-of-this-deployment")
	opts := core.StartOptions{
		ReturnTo:  "https://shop.example.com/verify/done",
		Reference: "order-1234",
		Mode:      3,
	}
	token, err := core.SignStartToken(secret, opts, time.Date(2026, 5, 1, 12, 5, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Println(token[:3], len(token) > 100)
	// Output: v1. true
}
