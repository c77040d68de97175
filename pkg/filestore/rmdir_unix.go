//go:build unix

package filestore

import (
	"os"
	"path/filepath"
	"syscall"
)

// removeEmptyDir removes folder (relative to the store's folder dir) if it is an empty
// directory. rmdir(2) removes nothing else, not a file and not a symbolic link, even if
// another Delete's rmdir and a Create of a key named like the folder came in between.
func removeEmptyDir(_ *os.Root, dir, folder string) error {
	return syscall.Rmdir(filepath.Join(dir, folder))
}
