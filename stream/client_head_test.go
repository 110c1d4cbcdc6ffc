package stream

import (
	"bytes"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// TestClientHeadOnly: with HeadOnly, event and events frames deliver the
// events' top-level fields and the whole JSON in Raw, without the nested
// parts; without it, the nested parts are decoded.
func TestClientHeadOnly(t *testing.T) {
	gen := event.NewGenerator(nil)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var encs [][]byte
	for i := range 3 {
		e := event.Event{V: 1, ID: gen.New(), Time: at, Kind: event.KindRequest, Name: "GET /notes", RequestID: "req-1",
			DurationNs: int64(i + 1), Status: 200, App: "notes",
			HTTP: &event.HTTP{Method: "GET", URL: "http://x/notes", RequestHeaders: map[string][]string{"Accept": {"*/*"}}}, Attrs: event.Attrs{"k": "v"}}
		b, err := event.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, b)
	}
	for _, head := range []bool{true, false} {
		c := NewClient(ClientOptions{URL: "ws://127.0.0.1:1/ws", HeadOnly: head})
		var got []Update
		attempt := 0
		for _, f := range [][]byte{EventFrame(encs[0]), eventsFrame(encs[1:])} {
			if err := c.handle(f, func(u Update) { got = append(got, u) }, &attempt); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) != 3 {
			t.Fatalf("head %v: %d updates, want 3", head, len(got))
		}
		for i, u := range got {
			e := u.Event
			if u.Kind != UpdateEvent || !bytes.Equal(u.Raw, encs[i]) {
				t.Fatalf("head %v: update %d: kind %v raw %s", head, i, u.Kind, u.Raw)
			}
			if e.ID.IsZero() || e.Kind != event.KindRequest || e.Name != "GET /notes" || e.RequestID != "req-1" ||
				e.DurationNs != int64(i+1) || e.Status != 200 || e.App != "notes" || !e.Time.Equal(at) {
				t.Fatalf("head %v: event %d head fields lost: %+v", head, i, e)
			}
			if nested := e.HTTP != nil || e.Attrs != nil; nested == head {
				t.Fatalf("head %v: event %d nested parts decoded = %v", head, i, nested)
			}
		}
	}
}
