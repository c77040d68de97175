package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/facegate/facegate/pkg/storage"
)

// Status is where a verification stands: pending, then exactly one of passed, failed or
// expired, never changed once reached.
type Status string

// The statuses.
const (
	StatusPending Status = "pending"
	StatusPassed  Status = "passed"
	StatusFailed  Status = "failed"
	StatusExpired Status = "expired"
	// StatusDeleted marks a verification the merchant deleted: its result object is a
	// tombstone holding nothing else, so no late writer can bring the result back.
	StatusDeleted Status = "deleted"
)

func (s Status) valid() bool {
	switch s {
	case StatusPending, StatusPassed, StatusFailed, StatusExpired:
		return true
	}
	return false
}

// Terminal reports whether the status can no longer change.
func (s Status) Terminal() bool { return s == StatusPassed || s == StatusFailed || s == StatusExpired }

// schemaVersion is the version of the stored records; a reader refuses versions it does
// not know rather than misreading them.
const schemaVersion = 1

// sessionRecord is written once at /start.
type sessionRecord struct {
	Version   int       `json:"version"`
	Flow      Flow      `json:"flow"`
	CreatedAt time.Time `json:"createdAt"`
	// StartBy is when the BizToken stops accepting a start on Tencent's page.
	StartBy time.Time `json:"startBy"`
	// ExpiresAt is when the session stops being served (Tencent's result window).
	ExpiresAt time.Time `json:"expiresAt"`
	ReturnTo  string    `json:"returnTo"`
	Extra     string    `json:"extra,omitempty"`
	Reference string    `json:"reference,omitempty"`
	// BindingHash is the SHA-256 of the browser's binding nonce; empty for sessions a
	// merchant backend started.
	BindingHash string        `json:"bindingHash,omitempty"`
	Options     recordOptions `json:"options"`
	// Handoff names the handoff the session was started from on another device: its
	// callback tells the phone to go back to the computer.
	Handoff string `json:"handoff,omitempty"`
	// Token is the BizToken, sealed (see tokenseal.go). Empty in sessions created before
	// tokens were kept: those are finished only by their user's callback or a reader
	// who has the token.
	Token string `json:"token,omitempty"`
}

// recordOptions are the verification options as sent to Tencent (no image, only where
// it came from).
type recordOptions struct {
	Language     string `json:"lang,omitempty"`
	Mode         int64  `json:"mode,omitempty"`
	DocumentType string `json:"documentType,omitempty"`
	RuleID       string `json:"ruleId,omitempty"`
	CompareImage string `json:"compareImage,omitempty"` // "inline", "object" or ""
}

// resultRecord is written once, when the session reaches a terminal status. It holds all
// a merchant's full result needs, so a terminal /result is one store read.
type resultRecord struct {
	Version  int    `json:"version"`
	Flow     Flow   `json:"flow"`
	Status   Status `json:"status"`
	Category string `json:"category,omitempty"`
	Code     *int64 `json:"code,omitempty"`
	Message  string `json:"message"`
	// MessageID names Message in the catalogue, so it can be said in the user's language.
	MessageID MessageID `json:"messageId,omitempty"`
	// Language is the session's: the user's summary says MessageID in it.
	Language    string     `json:"lang,omitempty"`
	Attempts    []Attempt  `json:"attempts,omitempty"`
	Documents   []Document `json:"documents,omitempty"`
	Extra       string     `json:"extra,omitempty"`
	Reference   string     `json:"reference,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	CompletedAt time.Time  `json:"completedAt"`
	ExpiresAt   time.Time  `json:"expiresAt"`
	Media       []mediaRef `json:"media,omitempty"`
	// DeletedAt is set, and nothing else but Version and Status, in a deletion tombstone.
	DeletedAt *time.Time `json:"deletedAt,omitempty"`
}

type mediaRef struct {
	Name        string `json:"name"`
	Key         string `json:"key"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

func (s *Service) createSession(ctx context.Context, hash string, rec *sessionRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return internalError(err)
	}
	if err := s.store.Create(ctx, sessionKey(hash), data); err != nil {
		// A fresh BizToken whose session already exists would mean Tencent reused a
		// token; either way it is not the caller's fault.
		return storeError("create session", err)
	}
	return nil
}

func (s *Service) loadSession(ctx context.Context, hash string) (*sessionRecord, error) {
	data, err := s.store.Get(ctx, sessionKey(hash))
	if errors.Is(err, storage.ErrNotFound) {
		// A deleted session leaves a tombstone where its result was; say so rather than
		// "not found", so a merchant can tell a deletion from a wrong token.
		if _, rerr := s.loadResult(ctx, hash); isDeleted(rerr) {
			return nil, rerr
		}
		return nil, errorf(CodeSessionNotFound, "We could not find this verification. Please start again.")
	}
	if err != nil {
		return nil, storeError("read session", err)
	}
	var rec sessionRecord
	if err := decodeRecord(data, &rec, &rec.Version); err != nil {
		return nil, internalError(fmt.Errorf("read session: %w", err))
	}
	return &rec, nil
}

// loadResult returns the terminal result, or nil when there is none yet. A deleted
// session's tombstone is the session_deleted error.
func (s *Service) loadResult(ctx context.Context, hash string) (*resultRecord, error) {
	data, err := s.store.Get(ctx, resultKey(hash))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeError("read result", err)
	}
	var rec resultRecord
	if err := decodeRecord(data, &rec, &rec.Version); err != nil {
		return nil, internalError(fmt.Errorf("read result: %w", err))
	}
	if rec.Status == StatusDeleted {
		return nil, errDeleted()
	}
	if !rec.Status.Terminal() {
		return nil, internalError(errors.New("read result: stored status is not terminal"))
	}
	return &rec, nil
}

func errDeleted() *Error {
	return errorf(CodeSessionDeleted, "This verification was deleted.")
}

func isDeleted(err error) bool { return isCode(err, CodeSessionDeleted) }

// saveResult writes the terminal result once. If another writer got there first, its copy
// wins and is returned: both saw a terminal status for the same token, and the first one
// stored is the one everybody reads from then on.
func (s *Service) saveResult(ctx context.Context, hash string, rec *resultRecord) (*resultRecord, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, internalError(err)
	}
	err = s.store.Create(ctx, resultKey(hash), data)
	if errors.Is(err, storage.ErrExists) {
		winner, err := s.loadResult(ctx, hash)
		if err != nil {
			return nil, err
		}
		if winner == nil {
			return nil, internalError(errors.New("result vanished after a create conflict"))
		}
		return winner, nil
	}
	if err != nil {
		return nil, storeError("create result", err)
	}
	return rec, nil
}

func decodeRecord(data []byte, v any, version *int) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if *version != schemaVersion {
		return fmt.Errorf("record schema version %d, want %d", *version, schemaVersion)
	}
	return nil
}
