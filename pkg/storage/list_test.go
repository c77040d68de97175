package storage

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// pagedBackend serves sorted keys in pages of at most pageSize (fewer than asked when
// pageSize is smaller) and fails the request numbered failAt (from 1). It calls every
// full page truncated, as gofakes3 does when any key of the bucket follows, matching the
// prefix or not.
type pagedBackend struct {
	keys     []string
	pageSize int
	failAt   int
	pos      int
	requests []int // maxKeys of each request
}

func (b *pagedBackend) next(maxKeys int) ([]string, bool, error) {
	b.requests = append(b.requests, maxKeys)
	if len(b.requests) == b.failAt {
		return nil, false, errors.New("backend down")
	}
	n := min(maxKeys, b.pageSize, len(b.keys)-b.pos)
	page := b.keys[b.pos : b.pos+n]
	b.pos += n
	return page, b.pos < len(b.keys) || n == maxKeys, nil
}

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("k/%04d", i)
	}
	return out
}

func TestListPages(t *testing.T) {
	for _, tc := range []struct {
		name      string
		keys      []string
		pageSize  int
		limit     int
		want      int
		more      bool
		maxKeysOf []int
	}{
		{"fewer keys than the limit", keys(3), 1000, 5, 3, false, []int{6}},
		{"exactly the limit", keys(5), 1000, 5, 5, false, []int{6}},
		{"more than the limit", keys(9), 1000, 5, 5, true, []int{6}},
		{"a full page of the maximum, nothing after", keys(1000), 1000, 1000, 1000, false, []int{1000, 1}},
		{"a full page of the maximum, more after", keys(1001), 1000, 1000, 1000, true, []int{1000, 1}},
		{"short pages", keys(9), 2, 5, 5, true, []int{6, 4, 2}},
		{"empty", nil, 1000, 5, 0, false, []int{6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &pagedBackend{keys: tc.keys, pageSize: tc.pageSize}
			got, more, err := ListPages(tc.limit, b.next)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.keys[:tc.want]) || more != tc.more {
				t.Errorf("got %d keys, more %v; want %d, %v", len(got), more, tc.want, tc.more)
			}
			if !slices.Equal(b.requests, tc.maxKeysOf) {
				t.Errorf("requests asked for %v keys, want %v", b.requests, tc.maxKeysOf)
			}
		})
	}
}

func TestListPagesSkipsInvalidKeys(t *testing.T) {
	b := &pagedBackend{keys: []string{"k/.tmp-1", "k/a", "k//b", "k/c", "k/.type-c", "k/d", "k/e"}, pageSize: 1000}
	got, more, err := ListPages(2, b.next)
	if err != nil || !slices.Equal(got, []string{"k/a", "k/c"}) || !more {
		t.Fatalf("got %q, more %v, err %v; want [k/a k/c], true", got, more, err)
	}
}

func TestListPagesFailureReturnsNothing(t *testing.T) {
	b := &pagedBackend{keys: keys(20), pageSize: 3, failAt: 3}
	got, more, err := ListPages(10, b.next)
	if err == nil || got != nil || more {
		t.Fatalf("a failure on the third page: got %d keys, more %v, err %v; want no keys and the error", len(got), more, err)
	}
	for _, limit := range []int{0, MaxListLimit + 1} {
		if _, _, err := ListPages(limit, b.next); err == nil {
			t.Errorf("ListPages accepted limit %d", limit)
		}
	}
}
