package core

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/facegate/facegate/pkg/storage"
)

// Deletion and retention remove everything of a session: its record, its result, its
// media, its reference entry, its claims and its delivery mark. A merchant's deletion also
// leaves a tombstone where the result was: results are written create-only, so a callback,
// a reader or a sweep racing the deletion finds the tombstone instead of writing the
// result back, and later reads answer session_deleted. The tombstone holds a time and
// nothing else, and the retention removes it like the rest.

// tombstone is the whole content of a deleted session's result object.
type tombstone struct {
	Version   int       `json:"version"`
	Status    Status    `json:"status"`
	DeletedAt time.Time `json:"deletedAt"`
}

// deleteSession removes a session at the merchant's request. It reports
// session_not_found only when there never was such a session; deleting twice is fine.
func (s *Service) deleteSession(ctx context.Context, hash string) error {
	sess, err := s.loadSession(ctx, hash)
	switch {
	case isDeleted(err):
		return nil
	case isCode(err, CodeSessionNotFound):
		// The session may have been purged while a result remains; otherwise it never was.
		if res, rerr := s.loadResult(ctx, hash); rerr != nil || res == nil {
			return err
		}
		sess = nil
	case err != nil:
		return err
	}
	now := s.now().UTC()
	if err := s.layTombstone(ctx, hash, now); err != nil {
		return err
	}
	if err := s.removeData(ctx, hash, sess); err != nil {
		return err
	}
	// The tombstone itself goes once the retention has passed.
	if err := s.createMarker(ctx, purgeDue(hash, now, s.cfg.Retention), nil); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "verification deleted", "session", shortHash(hash))
	return nil
}

// layTombstone puts the tombstone where the result is: in its place if there is none,
// otherwise over it (delete, then create, until the tombstone is what is there).
func (s *Service) layTombstone(ctx context.Context, hash string, now time.Time) error {
	data, err := json.Marshal(tombstone{Version: schemaVersion, Status: StatusDeleted, DeletedAt: now})
	if err != nil {
		return internalError(err)
	}
	for range 5 {
		err := s.store.Create(ctx, resultKey(hash), data)
		if err == nil {
			return nil
		}
		if !errors.Is(err, storage.ErrExists) {
			return storeError("write tombstone", err)
		}
		if _, err := s.loadResult(ctx, hash); isDeleted(err) {
			return nil
		} else if err != nil {
			return err
		}
		if err := s.store.Delete(ctx, resultKey(hash)); err != nil {
			return storeError("delete result", err)
		}
	}
	return internalError(errors.New("write tombstone: the result kept coming back"))
}

// purge removes everything of a session once the retention has passed, tombstone included.
func (s *Service) purge(ctx context.Context, hash string) error {
	sess, err := s.loadSession(ctx, hash)
	switch {
	case isCode(err, CodeSessionNotFound), isDeleted(err):
		sess = nil
	case err != nil:
		return err
	}
	if err := s.removeData(ctx, hash, sess); err != nil {
		return err
	}
	if err := s.store.Delete(ctx, resultKey(hash)); err != nil {
		return storeError("purge result", err)
	}
	return nil
}

// removeData deletes a session's objects other than its result: the reference entry
// first (it is found through the session), the session last, so a purge that stops half
// way is finished by the next one.
func (s *Service) removeData(ctx context.Context, hash string, sess *sessionRecord) error {
	if sess != nil && sess.Reference != "" {
		if err := s.store.Delete(ctx, refKey(sess.Reference, sess.CreatedAt, hash)); err != nil {
			return storeError("delete reference entry", err)
		}
	}
	for _, prefix := range []string{mediaPrefix(hash), checksPrefix(hash)} {
		if err := s.deleteAll(ctx, prefix); err != nil {
			return err
		}
	}
	for _, key := range []string{deliveredKey(hash), sessionKey(hash)} {
		if err := s.store.Delete(ctx, key); err != nil {
			return storeError("delete "+keyFolder(key), err)
		}
	}
	return nil
}

// deleteAll deletes every object under prefix.
func (s *Service) deleteAll(ctx context.Context, prefix string) error {
	for {
		keys, more, err := s.store.List(ctx, prefix, "", storage.MaxListLimit)
		if err != nil {
			return storeError("list "+keyFolder(prefix), err)
		}
		for _, k := range keys {
			if err := s.store.Delete(ctx, k); err != nil {
				return storeError("delete "+keyFolder(k), err)
			}
		}
		if !more || len(keys) == 0 {
			return nil
		}
	}
}
