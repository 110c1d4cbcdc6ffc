package redact

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// requestEvent is a typical ~600-byte (660 as JSON) request event: headers with a cookie
// and a bearer token, a query with a token, a small JSON body with a
// password.
func requestEvent() event.Event {
	return event.Event{
		V:          1,
		ID:         event.MustParseID("01JDQ3Z9X8K4M2N6P7R8S9T0VW"),
		Time:       time.Date(2026, 11, 29, 9, 0, 0, 123456789, time.UTC),
		Kind:       event.KindRequest,
		Name:       "POST /api/login",
		RequestID:  "req-7f3a9c",
		DurationNs: 1834000,
		Status:     200,
		HTTP: &event.HTTP{
			Method: "POST",
			URL:    "/api/login?next=%2Fhome&token=tok_8f7e6d5c4b3a29181716",
			Status: 200,
			RequestHeaders: map[string][]string{
				"Authorization": {"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"},
				"Content-Type":  {"application/json"},
				"Cookie":        {"session=9f8e7d6c5b4a; theme=dark"},
				"User-Agent":    {"curl/8.5.0"},
			},
			RequestBody: &event.Body{
				ContentType: "application/json",
				Size:        62,
				Text:        `{"email":"ada@example.com","password":"correct horse battery"}`,
			},
			BytesIn: 62,
		},
		App: "notes",
	}
}

func BenchmarkRedactRequestEvent(b *testing.B) {
	r := New(Options{})
	base := requestEvent()
	if enc, _ := json.Marshal(&base); len(enc) < 500 || len(enc) > 900 {
		b.Fatalf("event is %d bytes, want about 600", len(enc))
	}
	b.ReportAllocs()
	for b.Loop() {
		e := base
		r.Event(&e)
	}
}

func BenchmarkMarshalRequestEvent(b *testing.B) {
	base := requestEvent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(&base); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRedactToMarshalRatio alternates small batches of both
// operations and reports the ratio of their best per-op times, which holds
// up better than two separate benchmarks on a busy machine. Target: <= 3.
func BenchmarkRedactToMarshalRatio(b *testing.B) {
	r := New(Options{})
	base := requestEvent()
	const batch = 200
	bestR, bestM := time.Duration(1<<62), time.Duration(1<<62)
	for b.Loop() {
		start := time.Now()
		for range batch {
			e := base
			r.Event(&e)
		}
		bestR = min(bestR, time.Since(start)/batch)
		start = time.Now()
		for range batch {
			if _, err := json.Marshal(&base); err != nil {
				b.Fatal(err)
			}
		}
		bestM = min(bestM, time.Since(start)/batch)
	}
	b.ReportMetric(float64(bestR.Nanoseconds()), "redact-ns/op")
	b.ReportMetric(float64(bestM.Nanoseconds()), "marshal-ns/op")
	b.ReportMetric(float64(bestR)/float64(bestM), "ratio")
}
