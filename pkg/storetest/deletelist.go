package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/facegate/facegate/pkg/storage"
)

// runDeleteList checks the Delete and List part of the storage.Store contract; Run
// calls it.
func runDeleteList(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Run("DeleteThenGet", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, "sessions/del.json", []byte("first life"))
		mustDelete(t, s, "sessions/del.json")
		assertMissing(t, s, "sessions/del.json")
		// The key is free again: a create-only write succeeds.
		mustCreate(t, s, "sessions/del.json", []byte("second life"))
		assertGet(t, s, "sessions/del.json", []byte("second life"))
	})

	t.Run("DeleteMissing", func(t *testing.T) {
		s := newStore(t)
		mustDelete(t, s, "sessions/never.json")
		mustCreate(t, s, "sessions/other.json", []byte("x"))
		mustDelete(t, s, "sessions/never.json")
		mustDelete(t, s, "no/such/folder/x.json")
		// Below an object, as if it were a folder.
		mustDelete(t, s, "sessions/other.json/x")
		assertGet(t, s, "sessions/other.json", []byte("x"))
	})

	t.Run("DeleteTwice", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, "results/twice.json", []byte("x"))
		mustDelete(t, s, "results/twice.json")
		mustDelete(t, s, "results/twice.json")
		assertMissing(t, s, "results/twice.json")
	})

	t.Run("DeleteKeepsOthers", func(t *testing.T) {
		s := newStore(t)
		others := []string{"keep/a", "keep/a.json.bak", "keep/ab.json", "keep/f/x.json", "keepa.json"}
		createAll(t, s, append([]string{"keep/a.json"}, others...))
		mustDelete(t, s, "keep/a.json")
		assertMissing(t, s, "keep/a.json")
		// A folder of other keys is not an object: deleting it deletes nothing.
		mustDelete(t, s, "keep/f")
		for _, k := range others {
			assertGet(t, s, k, []byte(k))
		}
		assertList(t, s, "keep", "", 10, others, false)
	})

	t.Run("ListOrder", func(t *testing.T) {
		s := newStore(t)
		// Created out of order; neighbours that a folder-by-folder walk could get
		// wrong: '-' (0x2d) and '.' sort before '/', '0' after it, ' ' before all,
		// upper case before lower case, multi-byte UTF-8 after ASCII.
		keys := []string{
			"list/z", "list/a/b", "list/a0", "list/a-b", "list/ä", "list/a/bb/c", "list/B",
			"list/a.b", "list/a b", "list/日本", "list/~", "list/a/b0", "list/a/c/d",
		}
		outside := []string{"lisa/x", "lisu", "m"}
		createAll(t, s, append(slices.Clone(keys), outside...))
		assertList(t, s, "list/", "", 100, slices.Sorted(slices.Values(keys)), false)
		all := slices.Sorted(slices.Values(append(slices.Clone(keys), outside...)))
		assertList(t, s, "", "", 100, all, false)
	})

	t.Run("ListPrefixIsolation", func(t *testing.T) {
		s := newStore(t)
		createAll(t, s, []string{"a/b", "a/bc", "a/bcd/e", "a/b0/y", "ab/x", "b/a"})
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"a/bc", []string{"a/bc", "a/bcd/e"}},
			{"a/", []string{"a/b", "a/b0/y", "a/bc", "a/bcd/e"}},
			{"a/b", []string{"a/b", "a/b0/y", "a/bc", "a/bcd/e"}},
			{"a/b/", nil}, // a/b is an object, not a folder
			{"a/bcd/", []string{"a/bcd/e"}},
			{"ab/", []string{"ab/x"}},
			{"a", []string{"a/b", "a/b0/y", "a/bc", "a/bcd/e", "ab/x"}},
			{"a/b0/y", []string{"a/b0/y"}}, // a whole key is a prefix of itself
			{"a/b0/y/", nil},
			{"c", nil},
		} {
			assertList(t, s, tc.prefix, "", 100, tc.want, false)
		}
	})

	t.Run("ListPages", func(t *testing.T) {
		s := newStore(t)
		var keys []string
		for i := range 25 {
			keys = append(keys, fmt.Sprintf("page/%c/%02d.json", 'a'+i%4, i))
		}
		createAll(t, s, append(slices.Clone(keys), "pagf/x", "pag/x"))
		got, pages := listAll(t, s, "page/", 7)
		if want := slices.Sorted(slices.Values(keys)); !slices.Equal(got, want) {
			t.Fatalf("paged List = %s, want %s", keyList(got), keyList(want))
		}
		if !slices.Equal(pages, []int{7, 7, 7, 4}) {
			t.Fatalf("page sizes %v, want [7 7 7 4]", pages)
		}
	})

	t.Run("ListAfter", func(t *testing.T) {
		s := newStore(t)
		createAll(t, s, []string{"after/b", "after/d", "after/f/x", "after/h", "aftera"})
		for _, tc := range []struct {
			after string
			want  []string
		}{
			{"after/c", []string{"after/d", "after/f/x", "after/h"}},
			{"after/d", []string{"after/f/x", "after/h"}}, // strictly after a key
			{"after/f", []string{"after/f/x", "after/h"}},
			{"after/f/", []string{"after/f/x", "after/h"}},
			{"after/f/x", []string{"after/h"}},
			{"after/g", []string{"after/h"}},
			{"after/h", nil},
			{"a", []string{"after/b", "after/d", "after/f/x", "after/h"}}, // before the prefix
			{"b", nil}, // past the prefix
		} {
			assertList(t, s, "after/", tc.after, 10, tc.want, false)
		}
		assertList(t, s, "after/", "after/d", 1, []string{"after/f/x"}, true)
		assertList(t, s, "after/", "after/f/x", 1, []string{"after/h"}, false)
	})

	t.Run("ListEmpty", func(t *testing.T) {
		s := newStore(t)
		assertList(t, s, "", "", 10, nil, false)
		assertList(t, s, "sessions/", "", 10, nil, false)
		mustCreate(t, s, "other/x", []byte("x"))
		assertList(t, s, "sessions/", "", 10, nil, false)
		assertList(t, s, "", "other/x", 10, nil, false)
	})

	t.Run("ListInvalidArguments", func(t *testing.T) {
		s := newStore(t)
		mustCreate(t, s, "a/b", []byte("x"))
		for _, p := range []string{
			"/", "/a", "../", "../a", "a/../", "a//", "./", ".hidden", "a/.tmp-", "a/.type-b", "a\\b", "nul\x00", "\xff",
		} {
			keys, _, err := s.List(t.Context(), p, "", 10)
			if !errors.Is(err, storage.ErrInvalidKey) || keys != nil {
				t.Errorf("List(%q) = %q, %v; want no keys and ErrInvalidKey", p, keys, err)
			}
		}
		for _, limit := range []int{-1, 0, storage.MaxListLimit + 1} {
			keys, _, err := s.List(t.Context(), "a/", "", limit)
			if err == nil || keys != nil {
				t.Errorf("List with limit %d = %q, %v; want no keys and an error", limit, keys, err)
			}
		}
	})

	t.Run("ListFullPage", func(t *testing.T) {
		s := newStore(t)
		keys := make([]string, storage.MaxListLimit)
		for i := range keys {
			keys[i] = fmt.Sprintf("full/%04d", i)
		}
		// Keys after the prefix's range: a backend may call a full page truncated
		// because of them, yet none of them is under the prefix.
		createAll(t, s, append(slices.Clone(keys), "fullz", "g/after"))
		assertList(t, s, "full/", "", storage.MaxListLimit, keys, false)
		mustCreate(t, s, "full/zzzz", []byte("full/zzzz"))
		assertList(t, s, "full/", "", storage.MaxListLimit, keys, true)
		assertList(t, s, "full/", keys[len(keys)-1], storage.MaxListLimit, []string{"full/zzzz"}, false)
	})

	t.Run("ConcurrentCreateDelete", func(t *testing.T) {
		s := newStore(t)
		const workers, rounds = 8, 15
		var wg sync.WaitGroup
		for w := range workers {
			// One key per writer, all in one folder (and its parents), which
			// becomes empty whenever every writer's key is deleted at once.
			key := fmt.Sprintf("churn/f/g/w%d.json", w)
			wg.Go(func() {
				for r := range rounds {
					data := fmt.Appendf(nil, "%s round %d", key, r)
					if err := s.Create(t.Context(), key, data); err != nil {
						t.Errorf("Create(%q) in round %d: %v", key, r, err)
						return
					}
					if got, err := s.Get(t.Context(), key); err != nil || string(got) != string(data) {
						t.Errorf("Get(%q) in round %d = %q, %v", key, r, got, err)
						return
					}
					if err := s.Delete(t.Context(), key); err != nil {
						t.Errorf("Delete(%q) in round %d: %v", key, r, err)
						return
					}
					if _, err := s.Get(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
						t.Errorf("Get(%q) after Delete in round %d: err = %v, want ErrNotFound", key, r, err)
						return
					}
				}
			})
		}
		wg.Wait()
		assertList(t, s, "churn/", "", 100, nil, false)
	})

	t.Run("ManyNestedKeys", func(t *testing.T) {
		s := newStore(t)
		var keys []string
		for i := range 120 {
			switch {
			case i%10 == 0:
				keys = append(keys, fmt.Sprintf("tree/%03d.json", i))
			case i%7 == 0:
				keys = append(keys, fmt.Sprintf("tree/%d/deep/er/%03d.json", i%4, i))
			default:
				keys = append(keys, fmt.Sprintf("tree/%d/%d/%03d.json", i%4, i%3, i))
			}
		}
		createAll(t, s, append(slices.Clone(keys), "tree.json", "treetop/x"))
		slices.Sort(keys)
		if got, _ := listAll(t, s, "tree/", 16); !slices.Equal(got, keys) {
			t.Fatalf("paged List of tree/ = %s, want %s", keyList(got), keyList(keys))
		}
		var sub []string
		for _, k := range keys {
			if strings.HasPrefix(k, "tree/1/") {
				sub = append(sub, k)
			}
		}
		assertList(t, s, "tree/1/", "", 100, sub, false)

		// Sweep as a retention job would: list a page, delete it, list again.
		for range len(keys) {
			page, more := list(t, s, "tree/", "", 25)
			for _, k := range page {
				mustDelete(t, s, k)
			}
			if !more {
				break
			}
		}
		assertList(t, s, "tree/", "", 100, nil, false)
		assertList(t, s, "tree", "", 100, []string{"tree.json", "treetop/x"}, false)
		for _, k := range []string{keys[0], keys[len(keys)/2], keys[len(keys)-1]} {
			assertMissing(t, s, k)
		}
	})
}

func mustDelete(t *testing.T, s storage.Store, key string) {
	t.Helper()
	if err := s.Delete(t.Context(), key); err != nil {
		t.Fatalf("Delete(%q): %v", key, err)
	}
}

func assertMissing(t *testing.T, s storage.Store, key string) {
	t.Helper()
	if data, err := s.Get(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(%q) = %s, %v; want ErrNotFound", key, preview(data), err)
	}
}

func list(t *testing.T, s storage.Store, prefix, after string, limit int) ([]string, bool) {
	t.Helper()
	keys, more, err := s.List(t.Context(), prefix, after, limit)
	if err != nil {
		t.Fatalf("List(%q, after %q, %d): %v", prefix, after, limit, err)
	}
	return keys, more
}

func assertList(t *testing.T, s storage.Store, prefix, after string, limit int, want []string, wantMore bool) {
	t.Helper()
	keys, more := list(t, s, prefix, after, limit)
	if !slices.Equal(keys, want) || more != wantMore {
		t.Fatalf("List(%q, after %q, %d) = %s, more %v; want %s, more %v", prefix, after, limit, keyList(keys), more, keyList(want), wantMore)
	}
}

// keyList shows a list of keys in test output, shortened when it is long.
func keyList(keys []string) string {
	if len(keys) <= 12 {
		return fmt.Sprintf("%q", keys)
	}
	return fmt.Sprintf("%d keys %q ... %q", len(keys), keys[:3], keys[len(keys)-3:])
}

// listAll pages through every key under prefix, limit at a time, the way the List
// documentation says to, and returns the keys and the size of each page. Every page
// but the last must be full and say more; keys must rise strictly across pages.
func listAll(t *testing.T, s storage.Store, prefix string, limit int) (keys []string, pages []int) {
	t.Helper()
	after := ""
	for {
		page, more := list(t, s, prefix, after, limit)
		pages = append(pages, len(page))
		if more && len(page) != limit {
			t.Fatalf("List(%q, after %q, %d) returned %d keys and more", prefix, after, limit, len(page))
		}
		for _, k := range page {
			if k <= after || !strings.HasPrefix(k, prefix) {
				t.Fatalf("List(%q, after %q, %d) returned %q", prefix, after, limit, k)
			}
			after = k
		}
		keys = append(keys, page...)
		if !more {
			return keys, pages
		}
		if len(pages) > len(keys)+1 {
			t.Fatalf("List(%q) keeps saying more after %d pages", prefix, len(pages))
		}
	}
}

// createAll creates each key with the key as its content, a few at a time.
func createAll(t *testing.T, s storage.Store, keys []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	work := make(chan string)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for k := range work {
				if err := s.Create(ctx, k, []byte(k)); err != nil {
					select {
					case errs <- fmt.Errorf("Create(%q): %w", k, err):
						cancel()
					default:
					}
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}
