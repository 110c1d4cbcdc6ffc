package stream

import (
	"bytes"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// TestClientEventFrameFastPath: event and events frames as the server
// writes them are delivered with Raw equal to the stored JSON, in order;
// frames laid out differently (an extra field, a bad element) still go
// through the general decoder, which delivers or reports them.
func TestClientEventFrameFastPath(t *testing.T) {
	gen := event.NewGenerator(nil)
	var encs [][]byte
	for i := 0; i < 3; i++ {
		e := event.Event{V: 1, ID: gen.New(), Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Kind: event.KindLog, Message: "m"}
		b, err := event.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, b)
	}
	run := func(frames ...[]byte) (got [][]byte, errs int) {
		c := NewClient(ClientOptions{URL: "ws://127.0.0.1:1/ws"})
		attempt := 0
		for _, f := range frames {
			_ = c.handle(f, func(u Update) {
				switch u.Kind {
				case UpdateEvent:
					got = append(got, u.Raw)
				case UpdateError:
					errs++
				}
			}, &attempt)
		}
		return got, errs
	}

	got, errs := run(EventFrame(encs[0]), eventsFrame(encs[1:]))
	if errs != 0 || len(got) != 3 {
		t.Fatalf("got %d events, %d errors; want 3, 0", len(got), errs)
	}
	for i := range got {
		if !bytes.Equal(got[i], encs[i]) {
			t.Fatalf("event %d: Raw %s, want %s", i, got[i], encs[i])
		}
	}

	// A newer server's extra field after the event: the general decoder
	// still delivers it.
	extra := append(append([]byte(`{"type":"event","event":`), encs[0]...), `,"shard":3}`...)
	if got, errs := run(extra); len(got) != 1 || errs != 0 {
		t.Fatalf("extra field: %d events, %d errors", len(got), errs)
	}
	// A bad element: reported, and the good ones still delivered in order.
	bad := append(append([]byte(`{"type":"events","events":[`), encs[0]...), `,{"v":1}]}`...)
	if got, errs := run(bad); len(got) != 1 || errs != 1 {
		t.Fatalf("bad element: %d events, %d errors; want 1, 1", len(got), errs)
	}
	// Replays overlap: an event already delivered is not delivered again.
	if got, _ := run(eventsFrame(encs), eventsFrame(encs[1:])); len(got) != 3 {
		t.Fatalf("overlap: %d events, want 3", len(got))
	}
}
