// Package filestore keeps session records and media as files under one directory. It is
// the store for local runs and tests: no account, no network, the same guarantees as the
// COS and S3 stores (create-only writes that are atomic, reads capped at
// storage.MaxObjectSize, idempotent deletes, listing in key order).
package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/facegate/facegate/pkg/storage"
)

// Options configures a Store. The zero value is a record store without media links.
type Options struct {
	// MediaBaseURL is the absolute URL at which MediaHandler is served, such as
	// "http://127.0.0.1:8080/media". MediaURL links are MediaBaseURL + "/" + key.
	// Empty disables MediaURL (PutMedia still works).
	MediaBaseURL string
	// MediaSecret keys the HMAC that signs media links; at least 32 bytes when
	// MediaBaseURL is set.
	MediaSecret []byte
	// Now is the clock for link expiry; nil means time.Now.
	Now func() time.Time
}

// Store is a storage.Store and storage.MediaStore backed by a directory. It is safe for
// concurrent use, also by several processes sharing the directory, because every
// guarantee comes from the file system (link(2) fails on an existing name; rename(2)
// replaces atomically; rmdir(2) removes only an empty folder).
type Store struct {
	dir       string
	mediaBase *url.URL
	secret    []byte
	now       func() time.Time
}

// Records hold session state, so files and folders are private to the owner.
const (
	filePerm   fs.FileMode = 0o600
	folderPerm fs.FileMode = 0o700
)

var (
	_ storage.Store      = (*Store)(nil)
	_ storage.MediaStore = (*Store)(nil)
)

// minSecretLen is the shortest media secret New accepts: 256 bits, the HMAC-SHA256 key size.
const minSecretLen = 32

// New returns a Store rooted at dir, creating dir if needed.
func New(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("filestore: directory is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("filestore: resolve %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, folderPerm); err != nil {
		return nil, fmt.Errorf("filestore: create directory: %w", err)
	}
	s := &Store{dir: abs, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.MediaBaseURL != "" {
		u, err := url.Parse(opts.MediaBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("filestore: MediaBaseURL %q is not an absolute http(s) URL without query", opts.MediaBaseURL)
		}
		if len(opts.MediaSecret) < minSecretLen {
			return nil, fmt.Errorf("filestore: MediaSecret must be at least %d bytes", minSecretLen)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = ""
		s.mediaBase = u
		s.secret = append([]byte(nil), opts.MediaSecret...)
	}
	return s, nil
}

// Dir returns the absolute directory the store writes to.
func (s *Store) Dir() string { return s.dir }

// Create writes data under key unless a file already exists there (storage.ErrExists).
// The data goes to a hidden temporary file in the target directory, is flushed to disk,
// and is then hard-linked to its final name: the link is the commit point and fails if
// the name exists, so readers see either nothing or the whole object.
func (s *Store) Create(ctx context.Context, key string, data []byte) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	if len(data) > storage.MaxObjectSize {
		return fmt.Errorf("filestore: create %q: %w", key, storage.ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: create %q: %w", key, err)
	}
	path := s.path(key)
	tmp, err := s.writeTemp(filepath.Dir(path), func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
	if err != nil {
		return fmt.Errorf("filestore: create %q: %w", key, err)
	}
	// The temporary name is always removed: after a successful link the data lives on
	// under the final name; after a failure nothing of this attempt remains.
	defer os.Remove(tmp)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: create %q: %w", key, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("filestore: create %q: %w", key, storage.ErrExists)
		}
		return fmt.Errorf("filestore: create %q: %w", key, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// Get returns the object under key: storage.ErrNotFound if there is none, storage.ErrTooLarge
// if it is larger than storage.MaxObjectSize (checked before reading).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("filestore: get %q: %w", key, err)
	}
	f, info, err := s.open(key)
	if err != nil {
		return nil, fmt.Errorf("filestore: get %q: %w", key, err)
	}
	defer f.Close()
	data, err := storage.ReadCapped(f, info.Size())
	if err != nil {
		return nil, fmt.Errorf("filestore: get %q: %w", key, err)
	}
	return data, nil
}

// open opens the regular file under key, translating "no such object" in all its
// file-system spellings (missing, a parent that is a file, a directory) to storage.ErrNotFound.
func (s *Store) open(key string) (*os.File, fs.FileInfo, error) {
	f, err := os.Open(s.path(key))
	if err != nil {
		if absent(err) {
			return nil, nil, storage.ErrNotFound
		}
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, storage.ErrNotFound
	}
	return f, info, nil
}

// path maps a checked key to its file. CheckKey has ruled out "..", absolute keys and
// backslashes, so the result always lies below s.dir.
func (s *Store) path(key string) string {
	return filepath.Join(s.dir, filepath.FromSlash(key))
}

// absent reports whether err says a path does not exist, in either spelling: a missing
// name, or a parent that is a file.
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// writeTemp creates folder if needed, writes a hidden temporary file in it with write,
// flushes it to disk and returns its name. On error nothing is left behind.
func (s *Store) writeTemp(folder string, write func(*os.File) error) (string, error) {
	f, err := createTemp(folder)
	if err != nil {
		return "", err
	}
	name := f.Name()
	err = f.Chmod(filePerm)
	if err == nil {
		err = write(f)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// maxFolderRaces bounds how often createTemp starts again after a Delete removed the
// folder it had just made; losing even twice in a row takes a Delete of the folder's last
// object in the same microseconds each time.
const maxFolderRaces = 100

// createTemp creates folder (and its parents) if needed and opens a new hidden temporary
// file in it. Delete removes the folders it leaves empty, so a folder can vanish between
// MkdirAll and CreateTemp (or within MkdirAll, between a parent and its child); then
// both start again. Once the temporary file exists its folder is not empty, so no Delete
// can remove that folder or any above it, and the link or rename that follows finds
// them in place.
func createTemp(folder string) (*os.File, error) {
	for race := 0; ; race++ {
		err := os.MkdirAll(folder, folderPerm)
		if err == nil {
			var f *os.File
			if f, err = os.CreateTemp(folder, ".tmp-*"); err == nil {
				return f, nil
			}
		}
		if !errors.Is(err, fs.ErrNotExist) || race == maxFolderRaces {
			return nil, err
		}
	}
}

// syncDir flushes a directory entry to disk. It is best effort: the new name is already
// visible to every reader, and reporting a failure for an object that exists would only
// mislead the caller; what is lost is durability across a power cut.
func syncDir(folder string) {
	d, err := os.Open(folder)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
