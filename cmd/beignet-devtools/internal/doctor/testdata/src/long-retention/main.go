package main

import (
	"time"

	"github.com/beignet/devtools/recorder"
	"github.com/beignet/devtools/store"
)

const day = 24 * time.Hour

func newRecorder() (*recorder.Recorder, error) {
	return recorder.New(recorder.Config{
		StorePath:    ".beignet/devtools.db",
		StoreOptions: store.Options{MaxAge: 30 * day},
	})
}
