package main

import (
	"net/http"

	"github.com/beignet/devtools/recorder"
)

func routes(r *recorder.Recorder, mux *http.ServeMux) error {
	on := true
	h, err := r.Handler(recorder.HandlerOptions{
		Enabled:   &on,
		Authorize: nil,
	})
	if err != nil {
		return err
	}
	mux.Handle("/api/devtools/", h)
	return nil
}
