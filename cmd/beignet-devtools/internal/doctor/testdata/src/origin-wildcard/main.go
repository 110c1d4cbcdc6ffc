package main

import (
	"os"

	"github.com/beignet/devtools/recorder"
)

func handler(r *recorder.Recorder) error {
	auth, err := recorder.TokenAuth(os.Getenv("DEVTOOLS_TOKEN"))
	if err != nil {
		return err
	}
	_, err = r.Handler(recorder.HandlerOptions{Authorize: auth, AllowedOrigins: []string{"*.example.com"}})
	return err
}
