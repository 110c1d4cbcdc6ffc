package main

import (
	"net/http"

	rec "github.com/beignet/devtools/recorder"
)

func routes(r *rec.Recorder, mux *http.ServeMux) error {
	h, err := r.Handler(rec.HandlerOptions{BasePath: "/_dev"})
	if err != nil {
		return err
	}
	mux.Handle("/_dev/", h)
	return nil
}
