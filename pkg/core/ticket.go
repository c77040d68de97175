package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Tickets let the user's browser read a summary of its own result without a merchant key.
// A ticket is
//
//	v1.<status>.<expiry unix seconds>.<base64url(HMAC-SHA256(secret, message))>
//
// where message = "facegate-ticket/v1\n" + hex(sha256(BizToken)) + "\n" + status + "\n" + expiry.
// It is bound to one BizToken (whose hash it signs, so the token itself is never needed to
// check it), carries the status seen at callback time and expires. Secrets rotate by listing
// several: the first signs, all verify.

// maxTicketLength bounds what we parse; a real ticket is about 70 characters.
const maxTicketLength = 256

// ErrInvalidTicket is returned for any ticket that is malformed, forged, for another token
// or expired. The reasons are not told apart on purpose.
var ErrInvalidTicket = errors.New("invalid ticket")

// Ticket is what a valid ticket says.
type Ticket struct {
	// Status is the verification status when the ticket was issued (at callback).
	Status Status
	// ExpiresAt is when the ticket stops being accepted.
	ExpiresAt time.Time
}

// SignTicket issues a ticket for bizToken with the given status, valid until expiresAt.
func SignTicket(secret []byte, bizToken string, status Status, expiresAt time.Time) string {
	return signTicketHash(secret, tokenHash(bizToken), status, expiresAt)
}

func signTicketHash(secret []byte, hash string, status Status, expiresAt time.Time) string {
	exp := strconv.FormatInt(expiresAt.Unix(), 10)
	return "v1." + string(status) + "." + exp + "." + ticketMAC(secret, hash, string(status), exp)
}

func ticketMAC(secret []byte, hash, status, exp string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("facegate-ticket/v1\n" + hash + "\n" + status + "\n" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// VerifyTicket checks ticket against bizToken with any of secrets at time now. It compares
// in constant time and answers ErrInvalidTicket for every kind of failure.
func VerifyTicket(secrets [][]byte, bizToken, ticket string, now time.Time) (Ticket, error) {
	return verifyTicketHash(secrets, tokenHash(bizToken), ticket, now)
}

func verifyTicketHash(secrets [][]byte, hash, ticket string, now time.Time) (Ticket, error) {
	if len(ticket) > maxTicketLength {
		return Ticket{}, ErrInvalidTicket
	}
	parts := strings.Split(ticket, ".")
	if len(parts) != 4 || parts[0] != "v1" {
		return Ticket{}, ErrInvalidTicket
	}
	status, exp, sig := Status(parts[1]), parts[2], parts[3]
	if !status.valid() {
		return Ticket{}, ErrInvalidTicket
	}
	expUnix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || strconv.FormatInt(expUnix, 10) != exp {
		return Ticket{}, ErrInvalidTicket
	}
	ok := false
	for _, secret := range secrets {
		// Every secret is tried, so the time taken does not tell which one matched.
		if hmac.Equal([]byte(ticketMAC(secret, hash, string(status), exp)), []byte(sig)) {
			ok = true
		}
	}
	if !ok {
		return Ticket{}, ErrInvalidTicket
	}
	t := Ticket{Status: status, ExpiresAt: time.Unix(expUnix, 0).UTC()}
	if !now.Before(t.ExpiresAt) {
		return Ticket{}, ErrInvalidTicket
	}
	return t, nil
}
