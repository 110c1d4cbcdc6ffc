//go:build !windows

package privfile

import (
	"errors"
	"io/fs"
	"os"
)

// Check says whether the file or folder at path (fi is its Stat) is
// private: no group or other permission bit. A nil *Problem means it is.
func Check(path string, fi fs.FileInfo) (*Problem, error) {
	return modeProblem(path, fi.Mode().Perm(), fi.IsDir()), nil
}

// MkdirAll creates dir and its missing parents with mode 0700.
func MkdirAll(dir string) error {
	return os.MkdirAll(dir, 0o700)
}

// Create creates an empty file at path with mode 0600, unless something
// already exists there (then it does nothing: the caller checks it).
func Create(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}
