package main

import (
	"crypto/subtle"
	"net/http"
	"os"

	"github.com/beignet/devtools/recorder"
)

func main() {
	rec, _ := recorder.New(recorder.Config{})
	want := os.Getenv("DEVTOOLS_TOKEN")
	_, _ = rec.Handler(recorder.HandlerOptions{Authorize: func(r *http.Request) bool {
		return r.Header.Get("x-devtools-token") == os.Getenv("DEVTOOLS_TOKEN")
	}})
	_, _ = rec.Handler(recorder.HandlerOptions{Authorize: func(r *http.Request) bool {
		return subtle.ConstantTimeCompare([]byte(r.Header.Get("x-devtools-token")), []byte(want)) == 1
	}})
	_, _ = rec.Handler(recorder.HandlerOptions{Authorize: authorize})
}

func authorize(r *http.Request) bool {
	return r.Header.Get("X-Devtools-Token") == os.Getenv("DEVTOOLS_TOKEN")
}
