package filestore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/facegate/facegate/pkg/storage"
)

// List returns, in byte order, at most limit keys that start with prefix and sort after
// after, and whether more remain (see storage.Store). It reads only the folders under
// the prefix: the deepest folder the prefix names, then, in key order, the subfolders
// that can hold keys after after, and it stops at the first key past limit. Each folder
// is read whole and sorted, so one List costs at least a read of the prefix's folder.
//
// Only regular files are objects. Hidden names (temporary files, content types of
// media) and names no key can spell are skipped; symbolic links are neither listed nor
// followed, and List works through an os.Root, so it never reads outside the store.
func (s *Store) List(ctx context.Context, prefix, after string, limit int) ([]string, bool, error) {
	if err := storage.CheckList(prefix, limit); err != nil {
		return nil, false, err
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("filestore: list %q: %w", prefix, err)
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return nil, false, fmt.Errorf("filestore: list %q: %w", prefix, err)
	}
	defer root.Close()
	folder := prefix[:strings.LastIndexByte(prefix, '/')+1]
	l := &lister{ctx: ctx, root: root, after: after, want: limit + 1}
	if err := l.walk(folder, prefix[len(folder):]); err != nil {
		return nil, false, fmt.Errorf("filestore: list %q: %w", prefix, err)
	}
	if len(l.keys) > limit {
		return l.keys[:limit:limit], true, nil
	}
	return l.keys, false, nil
}

// lister gathers keys for one List call.
type lister struct {
	ctx   context.Context
	root  *os.Root
	after string
	want  int
	keys  []string
}

// entry is a folder entry as List orders it: a file by its key, a folder by its key
// and a slash, which is where the keys in it sort among their neighbours' ("a/b-c" <
// "a/b/x" < "a/b0", because '-' < '/' < '0').
type entry struct {
	key   string
	isDir bool
}

// walk appends to l.keys, in byte order, the keys in folder (a key prefix ending in "/",
// or "" for the store's folder) whose names in folder start with namePrefix, until l
// has l.want keys. A folder that does not exist, or is a file, holds no keys.
func (l *lister) walk(folder, namePrefix string) error {
	if err := l.ctx.Err(); err != nil {
		return err
	}
	name := "."
	if folder != "" {
		name = filepath.FromSlash(strings.TrimSuffix(folder, "/"))
	}
	f, err := l.root.Open(name)
	if absent(err) {
		return nil
	}
	if err != nil {
		return err
	}
	dirents, err := f.ReadDir(-1)
	f.Close()
	if absent(err) {
		return nil
	}
	if err != nil {
		return err
	}
	entries := make([]entry, 0, len(dirents))
	for _, d := range dirents {
		n := d.Name()
		if !strings.HasPrefix(n, namePrefix) || storage.CheckKey(folder+n) != nil {
			// The second test skips hidden names, and names no key can spell.
			continue
		}
		e := entry{key: folder + n, isDir: d.IsDir()}
		switch {
		case e.isDir:
			e.key += "/"
			// Every key in the folder starts with e.key; if after is past them
			// all, skip the folder unread.
			if l.after >= e.key && !strings.HasPrefix(l.after, e.key) {
				continue
			}
		case d.Type().IsRegular():
			if e.key <= l.after {
				continue
			}
		default:
			continue
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	for _, e := range entries {
		if len(l.keys) >= l.want {
			return nil
		}
		if !e.isDir {
			l.keys = append(l.keys, e.key)
			continue
		}
		if err := l.walk(e.key, ""); err != nil {
			return err
		}
	}
	return nil
}
