// Package storetest is the contract every storage.Store and storage.MediaStore in this module
// passes: one suite, run by each adapter's tests against its real backend protocol, so
// the core can rely on the same guarantees from local files, COS and S3.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/facegate/facegate/pkg/storage"
)

// Run checks the storage.Store contract. newStore returns an empty store, torn down with
// t.Cleanup; it is called once per subtest.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Run("CreateThenGet", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		want := []byte(`{"v":1,"status":"pending"}`)
		mustCreate(t, s, "sessions/abc.json", want)
		assertGet(t, s, "sessions/abc.json", want)
		// A second read returns the same bytes: Get does not consume anything.
		assertGet(t, s, "sessions/abc.json", want)
		if _, err := s.Get(ctx, "sessions/abc"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Get of a prefix of an existing key: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := newStore(t)
		if data, err := s.Get(t.Context(), "sessions/missing.json"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Get(missing) = %q, %v; want ErrNotFound", data, err)
		}
	})

	t.Run("EmptyObject", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, "empty", nil)
		assertGet(t, s, "empty", []byte{})
		if err := s.Create(t.Context(), "empty", []byte("x")); !errors.Is(err, storage.ErrExists) {
			t.Fatalf("Create over an empty object: err = %v, want ErrExists", err)
		}
	})

	t.Run("CreateTwiceKeepsFirst", func(t *testing.T) {
		s := newStore(t)
		first := []byte("first writer")
		mustCreate(t, s, "results/r.json", first)
		err := s.Create(t.Context(), "results/r.json", []byte("second writer, longer content"))
		if !errors.Is(err, storage.ErrExists) {
			t.Fatalf("second Create: err = %v, want ErrExists", err)
		}
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrTooLarge) {
			t.Fatalf("second Create: err = %v matches more than ErrExists", err)
		}
		assertGet(t, s, "results/r.json", first)
	})

	t.Run("ConcurrentCreateOneWinner", func(t *testing.T) {
		s := newStore(t)
		const writers = 50
		const size = 64 << 10
		contents := make([][]byte, writers)
		errs := make([]error, writers)
		var start, done sync.WaitGroup
		start.Add(1)
		for i := range writers {
			// Every writer's content is distinct in every byte, so a mix of two writers
			// cannot pass for either.
			contents[i] = pattern(size, byte(i))
			done.Go(func() {
				start.Wait()
				errs[i] = s.Create(t.Context(), "results/race.json", contents[i])
			})
		}
		start.Done()
		done.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("writers %d and %d both created the object", winner, i)
				}
				winner = i
			case !errors.Is(err, storage.ErrExists):
				t.Fatalf("writer %d: err = %v, want nil or ErrExists", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no writer created the object")
		}
		assertGet(t, s, "results/race.json", contents[winner])
	})

	t.Run("LargeObject", func(t *testing.T) {
		s := newStore(t)
		want := pattern(8<<20, 7)
		mustCreate(t, s, "media/compare.jpg", want)
		assertGet(t, s, "media/compare.jpg", want)
	})

	t.Run("CreateTooLarge", func(t *testing.T) {
		s := newStore(t)
		err := s.Create(t.Context(), "big", make([]byte, storage.MaxObjectSize+1))
		if !errors.Is(err, storage.ErrTooLarge) {
			t.Fatalf("Create over MaxObjectSize: err = %v, want ErrTooLarge", err)
		}
		if _, err := s.Get(t.Context(), "big"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Get after a refused Create: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("NestedKeys", func(t *testing.T) {
		s := newStore(t)
		keys := []string{
			"a.json",
			"sessions/aa/bb/cc.json",
			"sessions/aa/bb/cd.json",
			"sessions/aa/bc.json",
			"results/aa/bb/cc.json",
			"UPPER/lower/Mixed-Case_key~1.json",
			"unicode/ключ/キー.json",
			"spaces and+plus/x%20y.json",
		}
		for i, k := range keys {
			mustCreate(t, s, k, fmt.Appendf(nil, "object %d", i))
		}
		for i, k := range keys {
			assertGet(t, s, k, fmt.Appendf(nil, "object %d", i))
		}
		for _, k := range []string{"sessions", "sessions/aa", "sessions/aa/bb", "sessions/aa/bb/cc"} {
			if _, err := s.Get(t.Context(), k); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("Get(%q), a folder of other keys: err = %v, want ErrNotFound", k, err)
			}
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{
			"", "/abs", "../escape", "a/../../escape", "a/./b", ".", "..", "a//b", "a/", "a\\b",
			"nul\x00byte", "line\nbreak", ".hidden", "a/.tmp-1", "\xff\xfe",
		} {
			if err := s.Create(t.Context(), k, []byte("x")); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Create(%q): err = %v, want ErrInvalidKey", k, err)
			}
			if _, err := s.Get(t.Context(), k); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Get(%q): err = %v, want ErrInvalidKey", k, err)
			}
			if err := s.Delete(t.Context(), k); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("Delete(%q): err = %v, want ErrInvalidKey", k, err)
			}
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := s.Create(ctx, "sessions/canceled.json", []byte("x"))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Create with a canceled context: err = %v, want context.Canceled", err)
		}
		if _, err := s.Get(t.Context(), "sessions/canceled.json"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("a canceled Create left an object: err = %v", err)
		}
		mustCreate(t, s, "sessions/present.json", []byte("x"))
		if _, err := s.Get(ctx, "sessions/present.json"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Get with a canceled context: err = %v, want context.Canceled", err)
		}
		if err := s.Delete(ctx, "sessions/present.json"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Delete with a canceled context: err = %v, want context.Canceled", err)
		}
		assertGet(t, s, "sessions/present.json", []byte("x"))
		if keys, _, err := s.List(ctx, "sessions/", "", 10); !errors.Is(err, context.Canceled) || keys != nil {
			t.Fatalf("List with a canceled context = %q, %v; want no keys and context.Canceled", keys, err)
		}
	})

	runDeleteList(t, newStore)
}

// PutRaw writes data under key straight into a store's backend, the way another
// writer (or an operator) would, bypassing the store under test and its checks.
type PutRaw func(t *testing.T, key string, data []byte)

// RunRaw checks what Run cannot reach through the Store alone: that Get caps objects
// someone else wrote, and that Create's existence check is the backend's own (an object
// the store never wrote still makes Create fail).
func RunRaw(t *testing.T, newStore func(t *testing.T) (storage.Store, PutRaw)) {
	t.Run("GetAtSizeLimit", func(t *testing.T) {
		s, put := newStore(t)
		want := pattern(storage.MaxObjectSize, 3)
		put(t, "limit/exact", want)
		assertGet(t, s, "limit/exact", want)
	})

	t.Run("GetOverSizeLimit", func(t *testing.T) {
		s, put := newStore(t)
		put(t, "limit/over", make([]byte, storage.MaxObjectSize+1))
		data, err := s.Get(t.Context(), "limit/over")
		if !errors.Is(err, storage.ErrTooLarge) {
			t.Fatalf("Get over MaxObjectSize: %d bytes, err = %v; want ErrTooLarge", len(data), err)
		}
	})

	t.Run("CreateOverForeignObject", func(t *testing.T) {
		s, put := newStore(t)
		put(t, "results/foreign.json", []byte("written elsewhere"))
		if err := s.Create(t.Context(), "results/foreign.json", []byte("mine")); !errors.Is(err, storage.ErrExists) {
			t.Fatalf("Create over an object written by another writer: err = %v, want ErrExists", err)
		}
		assertGet(t, s, "results/foreign.json", []byte("written elsewhere"))
	})

	t.Run("ListAndDeleteForeignObjects", func(t *testing.T) {
		s, put := newStore(t)
		put(t, "raw/b.json", []byte("written elsewhere"))
		// Names no key can spell (a dot starts them, as the local store's temporary
		// and content-type files): List skips them.
		put(t, "raw/.hidden", []byte("x"))
		put(t, "raw/.tmp-123", []byte("x"))
		put(t, "raw/sub/.type-x", []byte("x"))
		put(t, "raw/c/d.json", []byte("written elsewhere"))
		assertList(t, s, "raw/", "", 10, []string{"raw/b.json", "raw/c/d.json"}, false)
		assertList(t, s, "raw/", "", 1, []string{"raw/b.json"}, true)
		assertList(t, s, "raw/", "raw/b.json", 1, []string{"raw/c/d.json"}, false)
		mustDelete(t, s, "raw/b.json")
		assertMissing(t, s, "raw/b.json")
		assertList(t, s, "raw/", "", 10, []string{"raw/c/d.json"}, false)
	})
}

// Bench measures one Create and one Get of a 2 KB record, the store's share of a
// verification, on a fresh key per iteration.
func Bench(b *testing.B, s storage.Store) {
	ctx := b.Context()
	record := pattern(2<<10, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(record)))
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("bench/%d.json", i)
		i++
		if err := s.Create(ctx, key, record); err != nil {
			b.Fatal(err)
		}
		got, err := s.Get(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(record) {
			b.Fatalf("Get returned %d bytes, want %d", len(got), len(record))
		}
	}
}

// BenchListDelete measures what removing one record costs a sweep: a List of the
// folder the record is due in (finding it) and its Delete. Each iteration first creates
// the record, whose Create the figure includes.
func BenchListDelete(b *testing.B, s storage.Store) {
	ctx := b.Context()
	record := pattern(2<<10, 1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("due/%d.json", i)
		i++
		if err := s.Create(ctx, key, record); err != nil {
			b.Fatal(err)
		}
		keys, _, err := s.List(ctx, "due/", "", 10)
		if err != nil {
			b.Fatal(err)
		}
		if len(keys) != 1 || keys[0] != key {
			b.Fatalf("List returned %q, want [%q]", keys, key)
		}
		if err := s.Delete(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}

func mustCreate(t *testing.T, s storage.Store, key string, data []byte) {
	t.Helper()
	if err := s.Create(t.Context(), key, data); err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
}

func assertGet(t *testing.T, s storage.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes (%s), want %d bytes (%s)", key, len(got), preview(got), len(want), preview(want))
	}
}

// pattern returns n bytes that depend on seed and position, so a byte out of place or
// from another object shows.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed ^ byte(i) ^ byte(i>>8)*31 ^ byte(i>>16)*17
	}
	return b
}

func preview(b []byte) string {
	if len(b) > 24 {
		return fmt.Sprintf("%q...", b[:24])
	}
	return fmt.Sprintf("%q", b)
}
