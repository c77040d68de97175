package filestore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/facegate/facegate/pkg/storage"
)

// Delete removes the object under key, and the content type kept beside a media object.
// A key with no object (or one naming a folder of other keys) is not an error.
//
// Folders the removal leaves empty are removed too, from the object's folder up to (not
// including) the store's folder, so a deleted verification's media leaves no folder
// named for its hash. This never fails a racing Create or PutMedia in the same folder:
// they start again when their folder vanishes before their temporary file is in it, and
// once it is, the folder is not empty and rmdir(2) leaves it alone.
//
// Delete works through an os.Root: a symbolic link never takes it outside the store's
// folder (such a key is an error), and a link under the key is removed itself, never
// what it points to.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("filestore: delete %q: %w", key, err)
	}
	root, err := os.OpenRoot(s.dir)
	if err != nil {
		return fmt.Errorf("filestore: delete %q: %w", key, err)
	}
	defer root.Close()
	name := filepath.FromSlash(key)
	removed, err := removeObject(root, name)
	if err != nil {
		return fmt.Errorf("filestore: delete %q: %w", key, err)
	}
	folder, pruned := s.prune(root, filepath.Dir(name))
	if removed || pruned {
		syncDir(filepath.Join(s.dir, folder))
	}
	return nil
}

// removeObject removes the file name and then its content-type file, reporting whether
// it removed anything. The file goes first: the object is gone at that moment, and a
// Delete interrupted before the second removal is completed by the next Delete of the
// key, which finds no file but still removes the content type.
func removeObject(root *os.Root, name string) (removed bool, err error) {
	info, err := root.Lstat(name)
	switch {
	case absent(err):
	case err != nil:
		return false, err
	case info.IsDir():
		return false, nil
	default:
		if err := root.Remove(name); err != nil && !absent(err) {
			return false, err
		}
		removed = true
	}
	switch err := root.Remove(typePath(name)); {
	case err == nil:
		removed = true
	case !absent(err):
		return removed, err
	}
	return removed, nil
}

// prune removes folder if it is empty, then its parent if that is now empty, and so on
// up to the store's folder, which it keeps. It returns the folder where it stopped (the
// last one changed) and whether it removed any. Failures stop it silently: the object is
// already gone, and an empty folder costs only an inode.
func (s *Store) prune(root *os.Root, folder string) (stopped string, removed bool) {
	for folder != "." {
		// The check that folder is a directory resolves it through root, so that
		// removeEmptyDir, which may not, never reaches outside the store.
		info, err := root.Lstat(folder)
		if err != nil || !info.IsDir() || removeEmptyDir(root, s.dir, folder) != nil {
			break
		}
		removed = true
		folder = filepath.Dir(folder)
	}
	return folder, removed
}
