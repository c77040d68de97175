package filestore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/facegate/facegate/pkg/storage"
)

// ErrNoMediaLinks means MediaURL was called on a Store built without MediaBaseURL: local
// files have no public address of their own, so links exist only where the local stack
// serves MediaHandler.
var ErrNoMediaLinks = errors.New("filestore: media links are not configured (Options.MediaBaseURL)")

// MaxMediaTTL is the longest lifetime MediaURL grants, the same as an S3 presigned URL's.
const MaxMediaTTL = 7 * 24 * time.Hour

// PutMedia writes (or atomically replaces) the media object under key. Its content type
// is kept in a hidden file beside it, which no key can name.
func (s *Store) PutMedia(ctx context.Context, key string, body io.Reader, size int64, contentType string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: put media %q: %w", key, err)
	}
	path := s.path(key)
	folder := filepath.Dir(path)
	tmp, err := s.writeTemp(folder, func(f *os.File) error { return copySize(f, body, size) })
	if err != nil {
		return fmt.Errorf("filestore: put media %q: %w", key, err)
	}
	defer os.Remove(tmp) // a no-op after the rename below
	typeTmp, err := s.writeTemp(folder, func(f *os.File) error {
		_, err := io.WriteString(f, contentType)
		return err
	})
	if err != nil {
		return fmt.Errorf("filestore: put media %q: %w", key, err)
	}
	defer os.Remove(typeTmp)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: put media %q: %w", key, err)
	}
	// The type goes first so that a reader never meets new bytes with no type at all.
	if err := os.Rename(typeTmp, typePath(path)); err != nil {
		return fmt.Errorf("filestore: put media %q: %w", key, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("filestore: put media %q: %w", key, err)
	}
	syncDir(folder)
	return nil
}

// copySize copies body to w, insisting on exactly size bytes when size is not negative,
// so a truncated upload fails instead of storing half a video.
func copySize(w io.Writer, body io.Reader, size int64) error {
	if size < 0 {
		_, err := io.Copy(w, body)
		return err
	}
	n, err := io.CopyN(w, body, size)
	if err != nil {
		return fmt.Errorf("body ended after %d of %d bytes: %w", n, size, err)
	}
	if extra, _ := io.ReadFull(body, make([]byte, 1)); extra != 0 {
		return fmt.Errorf("body is longer than %d bytes", size)
	}
	return nil
}

// typePath names the hidden file holding the content type of the media file at path.
func typePath(path string) string {
	return filepath.Join(filepath.Dir(path), ".type-"+filepath.Base(path))
}

// MediaURL returns MediaBaseURL/key?exp=UNIX&sig=HMAC, a link MediaHandler honours until
// ttl has passed. It does not check that the object exists, like a presigned URL.
func (s *Store) MediaURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := storage.CheckKey(key); err != nil {
		return "", err
	}
	if s.mediaBase == nil {
		return "", ErrNoMediaLinks
	}
	if ttl <= 0 || ttl > MaxMediaTTL {
		return "", fmt.Errorf("filestore: media link lifetime %v is outside (0, %v]", ttl, MaxMediaTTL)
	}
	exp := strconv.FormatInt(s.now().Add(ttl).Unix(), 10)
	u := *s.mediaBase
	u.Path += "/" + key
	u.RawQuery = url.Values{"exp": {exp}, "sig": {s.sign(key, exp)}}.Encode()
	return u.String(), nil
}

// sign is the HMAC-SHA256 of key and expiry under the media secret. A newline cannot
// occur in a checked key, so no two (key, exp) pairs share a message.
func (s *Store) sign(key, exp string) string {
	m := hmac.New(sha256.New, s.secret)
	io.WriteString(m, key)
	io.WriteString(m, "\n")
	io.WriteString(m, exp)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// MediaHandler serves the links MediaURL makes: GET or HEAD of MediaBaseURL's path + "/"
// + key with a valid, unexpired signature. It checks the signature before touching the
// disk, so it reveals nothing about which keys exist. Mount it at that path, e.g.
// mux.Handle("/media/", store.MediaHandler()) for MediaBaseURL "http://host/media".
func (s *Store) MediaHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "private, no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if s.mediaBase == nil {
			http.NotFound(w, r)
			return
		}
		key, ok := strings.CutPrefix(r.URL.Path, s.mediaBase.Path+"/")
		if !ok || storage.CheckKey(key) != nil {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		exp := q.Get("exp")
		if !hmac.Equal([]byte(q.Get("sig")), []byte(s.sign(key, exp))) {
			http.Error(w, "invalid signature", http.StatusForbidden)
			return
		}
		expires, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || s.now().Unix() >= expires {
			http.Error(w, "link expired", http.StatusForbidden)
			return
		}
		f, info, err := s.open(key)
		if err != nil {
			if errors.Is(err, storage.ErrNotFound) {
				http.NotFound(w, r)
				return
			}
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		defer f.Close()
		contentType := "application/octet-stream"
		if b, err := os.ReadFile(typePath(s.path(key))); err == nil && len(b) > 0 {
			contentType = string(b)
		}
		h.Set("Content-Type", contentType)
		http.ServeContent(w, r, "", info.ModTime(), f)
	})
}
