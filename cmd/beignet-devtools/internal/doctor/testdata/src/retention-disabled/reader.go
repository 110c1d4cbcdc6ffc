package main

import "github.com/beignet/devtools/store"

// A reader does not enforce retention: no finding.
func openReader(path string, dryRun bool) (*store.Store, error) {
	return store.Open(path, store.Options{ReadOnly: dryRun, MaxAge: -1})
}
