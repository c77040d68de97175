package storetest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/pkg/storage"
)

// MediaFixture is a media store under test and what RunMedia needs around it.
type MediaFixture struct {
	Store storage.MediaStore
	// Client fetches the links the store hands out, as a merchant backend would.
	Client *http.Client
	// Advance moves forward the clock that decides whether a link has expired: the
	// store's own clock for local files, the test server's for COS and S3.
	Advance func(d time.Duration)
}

// RunMedia checks the storage.MediaStore contract: media written with PutMedia is served
// byte for byte over HTTP at the link MediaURL returns, with its content type, until the
// link's lifetime has passed.
func RunMedia(t *testing.T, newFixture func(t *testing.T) MediaFixture) {
	t.Run("PutThenFetch", func(t *testing.T) {
		f := newFixture(t)
		want := pattern(3<<20+17, 9)
		putMedia(t, f.Store, "media/s1/best-frame.jpg", want, "image/jpeg")
		link := mediaURL(t, f.Store, "media/s1/best-frame.jpg", 10*time.Minute)
		status, body, header := fetch(t, f.Client, link)
		if status != http.StatusOK {
			t.Fatalf("GET link: status %d, body %s", status, preview(body))
		}
		if !bytes.Equal(body, want) {
			t.Fatalf("GET link: %d bytes (%s), want %d bytes", len(body), preview(body), len(want))
		}
		if ct := header.Get("Content-Type"); ct != "image/jpeg" {
			t.Errorf("Content-Type = %q, want image/jpeg", ct)
		}
	})

	t.Run("PutReplaces", func(t *testing.T) {
		f := newFixture(t)
		putMedia(t, f.Store, "media/s2/video.mp4", []byte("first take"), "video/mp4")
		putMedia(t, f.Store, "media/s2/video.mp4", []byte("second take, longer"), "video/mp4")
		status, body, _ := fetch(t, f.Client, mediaURL(t, f.Store, "media/s2/video.mp4", time.Minute))
		if status != http.StatusOK || string(body) != "second take, longer" {
			t.Fatalf("GET after replace: status %d, body %q", status, body)
		}
	})

	t.Run("ShortBody", func(t *testing.T) {
		f := newFixture(t)
		err := f.Store.PutMedia(t.Context(), "media/s3/short.jpg", strings.NewReader("only ten b"), 100, "image/jpeg")
		if err == nil {
			t.Fatal("PutMedia with a body shorter than size succeeded")
		}
	})

	t.Run("Expired", func(t *testing.T) {
		f := newFixture(t)
		putMedia(t, f.Store, "media/s4/doc.png", []byte("document image"), "image/png")
		link := mediaURL(t, f.Store, "media/s4/doc.png", 5*time.Minute)
		f.Advance(4 * time.Minute)
		if status, body, _ := fetch(t, f.Client, link); status != http.StatusOK {
			t.Fatalf("GET before expiry: status %d, body %s", status, preview(body))
		}
		f.Advance(2 * time.Minute)
		status, body, _ := fetch(t, f.Client, link)
		if status != http.StatusForbidden {
			t.Fatalf("GET after expiry: status %d, want 403", status)
		}
		if bytes.Contains(body, []byte("document image")) {
			t.Fatal("an expired link still served the object")
		}
	})

	t.Run("ListAndDelete", func(t *testing.T) {
		f := newFixture(t)
		s, ok := f.Store.(storage.Store)
		if !ok {
			t.Fatalf("%T is a MediaStore but not a Store: its media cannot be listed or deleted", f.Store)
		}
		putMedia(t, f.Store, "media/s5/best-frame.jpg", []byte("frame"), "image/jpeg")
		putMedia(t, f.Store, "media/s5/video.mp4", []byte("video"), "video/mp4")
		putMedia(t, f.Store, "media/s50/video.mp4", []byte("another session"), "video/mp4")
		link := mediaURL(t, f.Store, "media/s5/video.mp4", time.Minute)
		want := []string{"media/s5/best-frame.jpg", "media/s5/video.mp4"}
		assertList(t, s, "media/s5/", "", 100, want, false)
		for _, k := range want {
			mustDelete(t, s, k)
		}
		assertList(t, s, "media/s5/", "", 100, nil, false)
		assertList(t, s, "media/", "", 100, []string{"media/s50/video.mp4"}, false)
		if status, body, _ := fetch(t, f.Client, link); status != http.StatusNotFound {
			t.Fatalf("GET of a deleted media object's link: status %d, body %s; want 404", status, preview(body))
		}
		// The key is free for new media.
		putMedia(t, f.Store, "media/s5/video.mp4", []byte("new take"), "video/mp4")
		if status, body, _ := fetch(t, f.Client, mediaURL(t, f.Store, "media/s5/video.mp4", time.Minute)); status != http.StatusOK || string(body) != "new take" {
			t.Fatalf("GET after a new PutMedia: status %d, body %s", status, preview(body))
		}
	})

	t.Run("InvalidKey", func(t *testing.T) {
		f := newFixture(t)
		if err := f.Store.PutMedia(t.Context(), "../x", strings.NewReader("x"), 1, "text/plain"); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("PutMedia(../x): err = %v, want ErrInvalidKey", err)
		}
		if _, err := f.Store.MediaURL(t.Context(), "/abs", time.Minute); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("MediaURL(/abs): err = %v, want ErrInvalidKey", err)
		}
		if _, err := f.Store.MediaURL(t.Context(), "media/ok", 0); err == nil {
			t.Error("MediaURL with a zero lifetime succeeded")
		}
	})
}

func putMedia(t *testing.T, s storage.MediaStore, key string, data []byte, contentType string) {
	t.Helper()
	if err := s.PutMedia(t.Context(), key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		t.Fatalf("PutMedia(%q): %v", key, err)
	}
}

func mediaURL(t *testing.T, s storage.MediaStore, key string, ttl time.Duration) string {
	t.Helper()
	link, err := s.MediaURL(t.Context(), key, ttl)
	if err != nil {
		t.Fatalf("MediaURL(%q): %v", key, err)
	}
	return link
}

func fetch(t *testing.T, c *http.Client, link string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, link, nil)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET link: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET link: reading body: %v", err)
	}
	return resp.StatusCode, body, resp.Header
}
