package main

import (
	"net/http"

	"github.com/beignet/devtools/store"
)

func main() {
	http.Handle("/", http.FileServer(http.Dir("site")))
	s, err := store.Open("site/.devtools/events.db", store.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
}
