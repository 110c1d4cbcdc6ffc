package main

import (
	"github.com/beignet/devtools/recorder"
	"github.com/beignet/devtools/store"
)

func main() {
	// A benchmark measures the store without retention, on purpose.
	//doctor:ignore DT103 benchmarks measure the store without retention
	_, _ = store.Open("bench.db", store.Options{MaxAge: -1})
	_, _ = store.Open("bench2.db", store.Options{MaxAge: -1})              //doctor:ignore DT103
	_, _ = recorder.TokenAuth("loopback-benchmark-token-0123456789abcdef") //doctor:ignore DT104, DT105 loopback only
	_, _ = store.Open("bench3.db", store.Options{MaxAge: -1})              //doctor:ignore DT104 (another ID: still reported)
}
