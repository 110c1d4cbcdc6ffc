package benchbase

import (
	"maps"
	"time"

	"github.com/beignet/devtools/event"
)

// RequestEvent is the request event the benchmarks redact, encode, store,
// export and fan out: a ~1 KB sign-in with a bearer token, a session
// cookie, a token query parameter and a password in its JSON body. One
// definition, so the harness and the packages' benchmarks measure the
// same work.
func RequestEvent(id event.ID, at time.Time) event.Event {
	return event.Event{
		V: 1, ID: id, Time: at.UTC(), Kind: event.KindRequest,
		Name:      "POST /signin",
		RequestID: "01HZX3K4M5N6P7Q8R9S0T1V2W3", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
		DurationNs: 1_234_567, Status: 200,
		HTTP: &event.HTTP{
			Method: "POST", URL: "http://127.0.0.1:8080/signin?next=%2Fnotes&token=tok_live_8c1f2e3d4c5b6a79", Route: "POST /signin", Status: 200,
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

// CloneForRedaction copies what redaction replaces (the HTTP part, its
// header maps and bodies), so that every iteration redacts the original.
func CloneForRedaction(e event.Event) event.Event {
	h := *e.HTTP
	h.RequestHeaders = maps.Clone(h.RequestHeaders)
	h.ResponseHeaders = maps.Clone(h.ResponseHeaders)
	rb, sb := *h.RequestBody, *h.ResponseBody
	h.RequestBody, h.ResponseBody = &rb, &sb
	e.HTTP = &h
	return e
}
