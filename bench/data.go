package main

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/beignet/devtools/event"
)

// requestEvent is a typical ~600-byte captured request event: headers with a
// cookie and a bearer token, a query with a token, a small JSON body with a
// password. The same event feeds the redaction, store and fan-out groups.
func requestEvent(gen *event.Generator, at time.Time) event.Event {
	return event.Event{
		V: 1, ID: gen.New(), Time: at.UTC(), Kind: event.KindRequest,
		Name:      "POST /signin",
		RequestID: "req-7f3c9a1e5b2d4c6a", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		DurationNs: 1_234_567, Status: 200,
		HTTP: &event.HTTP{
			Method: "POST", URL: "/signin?next=%2Fnotes&token=tok_live_8c1f2e3d4c5b6a79", Route: "POST /signin", Status: 200,
			RequestHeaders: map[string][]string{
				"Accept":        {"application/json"},
				"Authorization": {"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXNpZw"},
				"Cookie":        {"session=s3ss10n-abcdef0123456789; theme=dark"},
				"Content-Type":  {"application/json"},
				"User-Agent":    {"Mozilla/5.0 (X11; Linux x86_64)"},
			},
			ResponseHeaders: map[string][]string{"Content-Type": {"application/json"}},
			RequestBody:     &event.Body{ContentType: "application/json", Size: 64, Text: `{"email":"ada@example.com","password":"correct-horse-battery","remember":true}`},
			ResponseBody:    &event.Body{ContentType: "application/json", Size: 27, Text: `{"ok":true,"user":"ada"}`},
			BytesIn:         64, BytesOut: 27, RemoteAddr: "127.0.0.1:53124",
		},
		App: "notes-demo", Instance: "bench",
	}
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
