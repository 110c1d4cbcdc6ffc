//go:build !windows

package store

import "path/filepath"

// evalLinks resolves every symbolic link in the existing path p.
func evalLinks(p string) (string, error) { return filepath.EvalSymlinks(p) }
