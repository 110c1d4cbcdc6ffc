package main

import "github.com/beignet/devtools/store"

func open() (*store.Store, error) {
	return store.Open(".beignet/devtools.db", store.Options{MaxAge: -1})
}
