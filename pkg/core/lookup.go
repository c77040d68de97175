package core

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Lookup by the merchant's own reference: every session started with a reference has an
// entry in that reference's folder (refs/, named by a hash of the reference), newest first.

// Page sizes of a lookup by reference.
const (
	defaultReferencePage = 20
	maxReferencePage     = 50
)

// ReferencePage is the answer to GET /result?reference=: the sessions started with the
// reference, newest first, and the cursor of the next page ("" on the last).
type ReferencePage struct {
	Sessions []SessionSummary `json:"sessions"`
	Next     string           `json:"next,omitempty"`
}

// SessionSummary is one session of a reference: enough to choose which to read in full.
type SessionSummary struct {
	Session     string     `json:"session"`
	Status      Status     `json:"status"`
	Category    string     `json:"category,omitempty"`
	Code        *int64     `json:"code,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
}

func referenceQuery(reference, after, limit string, ticket bool) (resultRequest, error) {
	r := resultRequest{reference: reference, after: after, limit: defaultReferencePage}
	if ticket {
		return r, errorf(CodeInvalidRequest, "A ticket goes with its token.")
	}
	if reference == "" || !utf8.ValidString(reference) || utf8.RuneCountInString(reference) > MaxReferenceRunes ||
		strings.ContainsFunc(reference, unicode.IsControl) {
		return r, errorf(CodeInvalidOption, "reference must be text of 1 to %d characters without control characters.", MaxReferenceRunes)
	}
	if after != "" && !validCursor(after) {
		return r, errorf(CodeInvalidRequest, "after must be the next value of a previous page.")
	}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > maxReferencePage {
			return r, errorf(CodeInvalidRequest, "limit must be 1 to %d.", maxReferencePage)
		}
		r.limit = n
	}
	return r, nil
}

// validCursor accepts the name of a reference entry: <13 digits>-<64 hex>.
func validCursor(c string) bool {
	stamp, hash, ok := strings.Cut(c, "-")
	if !ok || len(stamp) != 13 || !validSessionID(hash) {
		return false
	}
	_, err := strconv.ParseUint(stamp, 10, 64)
	return err == nil
}

func (s *Service) serveReference(w http.ResponseWriter, r *http.Request, q resultRequest) error {
	page, err := s.referencePage(r.Context(), q.reference, q.after, q.limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// referencePage reads one page of a reference's sessions: a List, and one read per
// session for its status (its result, or its record while it is pending).
func (s *Service) referencePage(ctx context.Context, reference, after string, limit int) (*ReferencePage, error) {
	folder := refFolder(reference)
	start := ""
	if after != "" {
		start = folder + after
	}
	keys, more, err := s.store.List(ctx, folder, start, limit)
	if err != nil {
		return nil, storeError("list reference", err)
	}
	page := &ReferencePage{Sessions: []SessionSummary{}}
	for _, key := range keys {
		name := strings.TrimPrefix(key, folder)
		if !validCursor(name) {
			continue
		}
		hash := name[14:]
		sum, err := s.sessionSummary(ctx, hash)
		if isCode(err, CodeSessionNotFound) || isDeleted(err) {
			continue // removed between the listing and the read
		}
		if err != nil {
			return nil, err
		}
		page.Sessions = append(page.Sessions, *sum)
	}
	if more && len(keys) > 0 {
		page.Next = strings.TrimPrefix(keys[len(keys)-1], folder)
	}
	return page, nil
}

func (s *Service) sessionSummary(ctx context.Context, hash string) (*SessionSummary, error) {
	res, err := s.loadResult(ctx, hash)
	if err != nil {
		return nil, err
	}
	if res != nil {
		completed := res.CompletedAt
		return &SessionSummary{Session: hash, Status: res.Status, Category: res.Category, Code: res.Code,
			CreatedAt: res.CreatedAt, CompletedAt: &completed}, nil
	}
	sess, err := s.loadSession(ctx, hash)
	if err != nil {
		return nil, err
	}
	return &SessionSummary{Session: hash, Status: StatusPending, CreatedAt: sess.CreatedAt}, nil
}
