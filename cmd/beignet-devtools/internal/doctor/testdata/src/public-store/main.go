package main

import (
	"path/filepath"

	"github.com/beignet/devtools/recorder"
)

const publicDir = "public"

func newRecorder() (*recorder.Recorder, error) {
	return recorder.New(recorder.Config{App: "blog", StorePath: filepath.Join(publicDir, "data", "devtools.db")})
}
