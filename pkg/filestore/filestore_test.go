package filestore_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/filestore"
	"github.com/facegate/facegate/pkg/storage"
	"github.com/facegate/facegate/pkg/storetest"
)

func newStore(t *testing.T) *filestore.Store {
	t.Helper()
	s, err := filestore.New(t.TempDir(), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storage.Store { return newStore(t) })
}

func TestContractRaw(t *testing.T) {
	storetest.RunRaw(t, func(t *testing.T) (storage.Store, storetest.PutRaw) {
		s := newStore(t)
		return s, func(t *testing.T, key string, data []byte) {
			path := filepath.Join(s.Dir(), filepath.FromSlash(key))
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// clock is a settable clock shared by a store and its test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var secret = []byte("0123456789abcdef0123456789abcdef")

// newMediaStore serves the store's media links from a real HTTP server on loopback, with
// MediaHandler mounted under /media as its documentation shows.
func newMediaStore(t *testing.T) (*filestore.Store, *httptest.Server, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s, err := filestore.New(t.TempDir(), filestore.Options{
		MediaBaseURL: srv.URL + "/media",
		MediaSecret:  secret,
		Now:          clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/media/", s.MediaHandler())
	return s, srv, clk
}

func TestMediaContract(t *testing.T) {
	storetest.RunMedia(t, func(t *testing.T) storetest.MediaFixture {
		s, srv, clk := newMediaStore(t)
		return storetest.MediaFixture{Store: s, Client: srv.Client(), Advance: clk.Advance}
	})
}

func TestMediaLinkTampering(t *testing.T) {
	s, srv, _ := newMediaStore(t)
	if err := s.PutMedia(t.Context(), "media/a/frame.jpg", strings.NewReader("frame A"), 7, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMedia(t.Context(), "media/b/frame.jpg", strings.NewReader("frame B"), 7, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	link, err := s.MediaURL(t.Context(), "media/a/frame.jpg", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, srv.URL+"/media/media/a/frame.jpg?") {
		t.Fatalf("link %q does not start with the base URL and key", link)
	}
	cases := map[string]string{
		"other key":         strings.Replace(link, "/media/a/", "/media/b/", 1),
		"later expiry":      strings.Replace(link, "exp=", "exp=9", 1),
		"no signature":      link[:strings.Index(link, "&sig=")],
		"flipped signature": flipLast(link),
		"escape":            strings.Replace(link, "/media/a/frame.jpg", "/media/a/../b/frame.jpg", 1),
		"outside the mount": strings.Replace(link, "/media/media/", "/other/media/", 1),
	}
	for name, u := range cases {
		resp, err := srv.Client().Get(u)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("%s: a tampered link was served (%s)", name, u)
		}
	}
	resp, err := srv.Client().Post(link, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST to a media link: status %d, want 405", resp.StatusCode)
	}
	resp, err = srv.Client().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the untampered link: status %d", resp.StatusCode)
	}
	for _, h := range []string{"Cache-Control", "Referrer-Policy", "X-Content-Type-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("media response lacks %s", h)
		}
	}
}

func flipLast(s string) string {
	last := s[len(s)-1]
	if last == 'A' {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}

func TestMediaURLWithoutBase(t *testing.T) {
	s := newStore(t)
	if _, err := s.MediaURL(t.Context(), "media/x.jpg", time.Minute); !errors.Is(err, filestore.ErrNoMediaLinks) {
		t.Fatalf("MediaURL without MediaBaseURL: err = %v, want ErrNoMediaLinks", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]filestore.Options{
		"relative base":  {MediaBaseURL: "/media", MediaSecret: secret},
		"other scheme":   {MediaBaseURL: "file:///tmp/media", MediaSecret: secret},
		"query in base":  {MediaBaseURL: "http://127.0.0.1/media?x=1", MediaSecret: secret},
		"no secret":      {MediaBaseURL: "http://127.0.0.1/media"},
		"short secret":   {MediaBaseURL: "http://127.0.0.1/media", MediaSecret: []byte("short")},
		"unparsable url": {MediaBaseURL: "http://[::1", MediaSecret: secret},
	} {
		if _, err := filestore.New(t.TempDir(), opts); err == nil {
			t.Errorf("%s: New accepted %+v", name, opts)
		}
	}
	if _, err := filestore.New("", filestore.Options{}); err == nil {
		t.Error("New accepted an empty directory")
	}
}

// TestNoPartialFiles checks that a Create leaves exactly one file, with owner-only
// permissions, and no temporary file behind, whether it wins or loses.
func TestNoPartialFiles(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if err := s.Create(ctx, "sessions/x/one.json", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "sessions/x/one.json", []byte("two")); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("second Create: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(s.Dir(), "sessions", "x"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "one.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("folder holds %v, want only one.json", names)
	}
	info, err := entries[0].Info()
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("record permissions %v, want no access for group and others", perm)
	}
}

// TestKeysStayInside plants a file next to the store's folder and checks that no key
// reaches it.
func TestKeysStayInside(t *testing.T) {
	parent := t.TempDir()
	if err := os.WriteFile(filepath.Join(parent, "secret.txt"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := filestore.New(filepath.Join(parent, "store"), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"../secret.txt", "a/../../secret.txt", filepath.Join(parent, "secret.txt"), "..\\secret.txt"} {
		if data, err := s.Get(t.Context(), k); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Get(%q) = %q, %v; want ErrInvalidKey", k, data, err)
		}
		if err := s.Create(t.Context(), k, []byte("overwrite")); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Create(%q): err = %v, want ErrInvalidKey", k, err)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(parent, "secret.txt")); string(data) != "outside" {
		t.Fatalf("the file outside the store changed to %q", data)
	}
}

func TestGetOfNonRegularFiles(t *testing.T) {
	s := newStore(t)
	if err := s.Create(t.Context(), "file", []byte("x")); err != nil {
		t.Fatal(err)
	}
	// "file/child" has a regular file as its parent: not found, not an I/O error.
	if _, err := s.Get(t.Context(), "file/child"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Get below a file: err = %v, want ErrNotFound", err)
	}
	// A name that is a folder (here reached through a symlink) is not an object.
	if err := os.Symlink(s.Dir(), filepath.Join(s.Dir(), "dirlink")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if _, err := s.Get(t.Context(), "dirlink"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Get of a folder: err = %v, want ErrNotFound", err)
	}
}

// FuzzCheckKeyStaysInside: every key CheckKey accepts names one file inside the store's
// folder, never outside it.
func FuzzCheckKeyStaysInside(f *testing.F) {
	for _, seed := range []string{"a/b", "../x", "a/../../b", "/abs", "a\\..\\b", "ok.json"} {
		f.Add(seed)
	}
	root := filepath.FromSlash("/store/root")
	f.Fuzz(func(t *testing.T, key string) {
		if storage.CheckKey(key) != nil {
			return
		}
		p := filepath.Join(root, filepath.FromSlash(key))
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
			t.Fatalf("accepted key %q maps to %q, outside %q", key, p, root)
		}
		if filepath.ToSlash(rel) != key {
			t.Fatalf("accepted key %q maps to %q: not one file per key", key, rel)
		}
	})
}

func TestCreateMakesFolders(t *testing.T) {
	s := newStore(t)
	if err := s.Create(t.Context(), "deep/er/still/x.json", []byte("x")); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(s.Dir(), "deep", "er"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.IsDir() || info.Mode().Perm()&0o077 != 0 {
		t.Errorf("folder mode %v, want a private folder", info.Mode())
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "deep", "er", "still", "x.json")); errors.Is(err, fs.ErrNotExist) {
		t.Fatal("record missing on disk")
	}
}

// TestDeletePrunesFolders: Delete removes the folders it leaves empty, up to the store's
// folder, and no further than the first folder that still holds something.
func TestDeletePrunesFolders(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, k := range []string{"media/h1/frame.jpg", "media/h1/deep/video.mp4", "media/h2/frame.jpg"} {
		if err := s.Create(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	mustDelete(t, s, "media/h1/deep/video.mp4")
	assertNotExist(t, s, "media/h1/deep")
	assertExists(t, s, "media/h1/frame.jpg")
	mustDelete(t, s, "media/h1/frame.jpg")
	assertNotExist(t, s, "media/h1")
	assertExists(t, s, "media/h2/frame.jpg")
	mustDelete(t, s, "media/h2/frame.jpg")
	assertNotExist(t, s, "media")
	if _, err := os.Stat(s.Dir()); err != nil {
		t.Fatalf("the store's own folder was removed: %v", err)
	}
	// A folder holding only something else (an operator's file, a hidden one) stays.
	if err := s.Create(ctx, "a/b/c.json", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "a", ".keep"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	mustDelete(t, s, "a/b/c.json")
	assertNotExist(t, s, "a/b")
	assertExists(t, s, "a/.keep")
}

// TestDeleteRemovesContentType: a media object's content type, kept in a hidden file
// beside it, goes with it, and a Delete interrupted between the two is completed by the
// next one.
func TestDeleteRemovesContentType(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, k := range []string{"media/h/frame.jpg", "media/h/video.mp4"} {
		if err := s.PutMedia(ctx, k, strings.NewReader("bytes"), 5, "image/jpeg"); err != nil {
			t.Fatal(err)
		}
	}
	assertExists(t, s, "media/h/.type-frame.jpg")
	mustDelete(t, s, "media/h/frame.jpg")
	assertNotExist(t, s, "media/h/.type-frame.jpg")
	assertNotExist(t, s, "media/h/frame.jpg")
	assertExists(t, s, "media/h/.type-video.mp4")

	// Interrupted: the object is gone, its content type is left.
	if err := os.Remove(filepath.Join(s.Dir(), "media", "h", "video.mp4")); err != nil {
		t.Fatal(err)
	}
	mustDelete(t, s, "media/h/video.mp4")
	assertNotExist(t, s, "media")
}

// TestDeleteAndListStayInside plants symbolic links to a folder and a file outside the
// store: no Delete removes anything through them and List does not follow them.
func TestDeleteAndListStayInside(t *testing.T) {
	parent := t.TempDir()
	outside := filepath.Join(parent, "outside")
	if err := os.MkdirAll(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := filestore.New(filepath.Join(parent, "store"), filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir(), "out")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(s.Dir(), "secret-link")); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(t.Context(), "in/x.json", []byte("inside")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), "out/secret.txt"); err == nil {
		t.Error("Delete through a link to a folder outside the store succeeded")
	}
	if keys, _, err := s.List(t.Context(), "", "", 100); err != nil || !slices.Equal(keys, []string{"in/x.json"}) {
		t.Errorf("List = %q, %v; want only in/x.json (links neither listed nor followed)", keys, err)
	}
	if _, _, err := s.List(t.Context(), "out/", "", 100); err == nil {
		t.Error("List of a prefix through a link outside the store succeeded")
	}
	// Deleting the link to a file removes the link, never the file.
	mustDelete(t, s, "secret-link")
	assertNotExist(t, s, "secret-link")
	if data, err := os.ReadFile(filepath.Join(outside, "secret.txt")); err != nil || string(data) != "outside" {
		t.Fatalf("the file outside the store: %q, %v", data, err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Fatalf("the folder outside the store: %v", err)
	}
}

// TestListSkipsOwnFiles: temporary files of writes in flight and content types of media
// are the store's own and never listed.
func TestListSkipsOwnFiles(t *testing.T) {
	s := newStore(t)
	if err := s.PutMedia(t.Context(), "m/frame.jpg", strings.NewReader("x"), 1, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "m", ".tmp-123"), []byte("in flight"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.Dir(), ".hidden"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), ".hidden", "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if keys, more, err := s.List(t.Context(), "", "", 10); err != nil || more || !slices.Equal(keys, []string{"m/frame.jpg"}) {
		t.Fatalf("List = %q, %v, %v; want [m/frame.jpg]", keys, more, err)
	}
}

// TestCreateWhileDeletePrunes races writers into fresh nested folders against Deletes
// that remove those folders as they empty: a Create must never fail because its folder
// vanished under it, and once all is deleted no folder is left.
func TestCreateWhileDeletePrunes(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	const workers, rounds = 8, 40
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				// Writers share folders at every depth, so each Delete may take the
				// folders another writer is about to use.
				key := fmt.Sprintf("race/%d/%d/w%d.json", r%2, r%3, w)
				if err := s.Create(ctx, key, []byte("x")); err != nil {
					t.Errorf("Create(%q): %v", key, err)
					return
				}
				if err := s.PutMedia(ctx, key+".jpg", strings.NewReader("x"), 1, "image/jpeg"); err != nil {
					t.Errorf("PutMedia(%q): %v", key+".jpg", err)
					return
				}
				for _, k := range []string{key, key + ".jpg"} {
					if err := s.Delete(ctx, k); err != nil {
						t.Errorf("Delete(%q): %v", k, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	entries, err := os.ReadDir(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Fatalf("after deleting everything the store's folder holds %d entries (%s...)", len(entries), entries[0].Name())
	}
}

func mustDelete(t *testing.T, s *filestore.Store, key string) {
	t.Helper()
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete(%q): %v", key, err)
	}
}

func assertExists(t *testing.T, s *filestore.Store, name string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(s.Dir(), filepath.FromSlash(name))); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func assertNotExist(t *testing.T, s *filestore.Store, name string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(s.Dir(), filepath.FromSlash(name))); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s: err = %v, want it gone", name, err)
	}
}

func BenchmarkCreateGet(b *testing.B) {
	s, err := filestore.New(b.TempDir(), filestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	storetest.Bench(b, s)
}

func BenchmarkListDelete(b *testing.B) {
	s, err := filestore.New(b.TempDir(), filestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	storetest.BenchListDelete(b, s)
}
