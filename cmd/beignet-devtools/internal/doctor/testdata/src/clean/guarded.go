package main

import (
	"log"
	"net/http"
	"os"

	"github.com/beignet/devtools/recorder"
)

// guarded compares with an environment value checked for emptiness first:
// not a finding.
func guarded(rec *recorder.Recorder) http.Handler {
	secret := os.Getenv("DEVTOOLS_SECRET")
	if secret == "" {
		log.Fatal("DEVTOOLS_SECRET is unset")
	}
	h, _ := rec.Handler(recorder.HandlerOptions{BasePath: "/g", Authorize: func(r *http.Request) bool {
		return r.Header.Get("x-devtools-token") == secret
	}})
	env, _ := rec.Handler(recorder.HandlerOptions{BasePath: "/e", TokenEnv: "DEVTOOLS_TOKEN", TokenHeader: "X-Devtools-Token"})
	_ = env
	return h
}
