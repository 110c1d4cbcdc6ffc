package main

import (
	"net/http"

	"github.com/beignet/devtools/recorder"
)

const devtoolsToken = "3f9a0c1be27d4e55a8b1c0d9e8f7a6b5c4d3e2f1"

func routes(r *recorder.Recorder, mux *http.ServeMux) error {
	auth, err := recorder.TokenAuth(devtoolsToken)
	if err != nil {
		return err
	}
	h, err := r.Handler(recorder.HandlerOptions{Authorize: auth})
	if err != nil {
		return err
	}
	mux.Handle("/api/devtools/", h)
	return nil
}
