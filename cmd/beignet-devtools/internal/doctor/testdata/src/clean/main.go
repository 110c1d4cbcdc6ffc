package main

import (
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/beignet/devtools/recorder"
	"github.com/beignet/devtools/store"
)

const storeFile = "devtools.db"

func main() {
	rec, err := recorder.New(recorder.Config{
		App:          "shop",
		StorePath:    filepath.Join(".beignet", storeFile),
		StoreOptions: store.Options{MaxAge: 3 * 24 * time.Hour, MaxEvents: 50_000},
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := recorder.TokenAuth(os.Getenv("DEVTOOLS_TOKEN"))
	if err != nil {
		log.Fatal(err)
	}
	dev, err := rec.Handler(recorder.HandlerOptions{Authorize: auth, AllowedOrigins: []string{"localhost:3000"}})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/devtools/", dev)
	mux.Handle("/static/", http.FileServer(http.Dir("web/static")))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", rec.Middleware(mux)))
}
