package main

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/benchbase"
)

// requestEvent is a typical ~600-byte captured request event: headers with a
// cookie and a bearer token, a query with a token, a small JSON body with a
// password. The same event feeds the redaction, store and fan-out groups.
func requestEvent(gen *event.Generator, at time.Time) event.Event {
	return benchbase.RequestEvent(gen.New(), at)
}

// clone copies the parts of e that redaction replaces, so that every
// iteration redacts the original.
func clone(e event.Event) event.Event {
	h := *e.HTTP
	e.HTTP = &h
	return e
}

// padTo makes an event's encoding about n bytes with a neutral attribute, for
// the store and purge groups.
func padTo(e event.Event, n int) event.Event {
	b, _ := json.Marshal(e)
	if len(b) < n {
		e.Attrs = event.Attrs{"note": strings.Repeat("x", n-len(b)-12)}
	}
	return e
}
