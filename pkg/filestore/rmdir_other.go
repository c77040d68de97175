//go:build !unix

package filestore

import "os"

// removeEmptyDir removes folder if it is an empty directory. Without rmdir(2), the
// caller's check that folder is a directory stands in for it; Remove removes a directory
// only when it is empty.
func removeEmptyDir(root *os.Root, _, folder string) error {
	return root.Remove(folder)
}
