// Package storetest gives other packages' tests a throwaway store.
package storetest

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/beignet/devtools/store"
)

// Open opens a store in a fresh temporary folder (t.TempDir) with NoSync
// set, and registers a cleanup that runs Check (failing the test on a
// problem) and closes it. The zero opts means the store's defaults plus
// NoSync.
// The store may be closed by the test; the cleanup then does nothing.
func Open(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	opts.NoSync = true
	path := filepath.Join(t.TempDir(), "devtools", "devtools.db")
	s, err := store.Open(path, opts)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("storetest: %v", err)
		}
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("storetest: close: %v", err)
		}
	})
	return s
}
