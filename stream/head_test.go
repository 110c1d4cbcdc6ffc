package stream

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/benchbase"
)

// frameResult is what one handling of a frame gave: whether the fast path
// took it and the updates it delivered.
type frameResult struct {
	took    bool
	updates []Update
}

// runFrame hands frame to a fresh client's handleEventFrame (ref: the old
// json.Decoder version) and records the result.
func runFrame(frame []byte, headOnly, ref bool) frameResult {
	c := NewClient(ClientOptions{URL: "ws://127.0.0.1:1/ws", HeadOnly: headOnly})
	var r frameResult
	fn := func(u Update) { r.updates = append(r.updates, u) }
	if ref {
		r.took = c.handleEventFrameRef(frame, fn)
	} else {
		r.took = c.handleEventFrame(frame, fn)
	}
	return r
}

// checkParity fails t unless the scanner and the old decoder give the
// same result for frame: both refuse it, or both take it and deliver the
// same events (every field, time zones included) with the same Raw bytes.
func checkParity(t *testing.T, frame []byte, headOnly bool) frameResult {
	t.Helper()
	got, want := runFrame(frame, headOnly, false), runFrame(frame, headOnly, true)
	if got.took != want.took || len(got.updates) != len(want.updates) {
		t.Fatalf("headOnly %v: scanner took %v with %d updates, old decoder took %v with %d; frame %q",
			headOnly, got.took, len(got.updates), want.took, len(want.updates), frame)
	}
	for i := range got.updates {
		g, w := got.updates[i], want.updates[i]
		if g.Kind != w.Kind || !reflect.DeepEqual(g.Event, w.Event) || !bytes.Equal(g.Raw, w.Raw) {
			t.Fatalf("headOnly %v: update %d differs:\n scanner %+v raw %q\n old     %+v raw %q\nframe %q",
				headOnly, i, g.Event, g.Raw, w.Event, w.Raw, frame)
		}
	}
	return got
}

// realEvents returns encoded events as the recorder writes them: the
// benchmarks' request event and smaller events of the other kinds.
func realEvents(tb testing.TB) [][]byte {
	tb.Helper()
	gen := event.NewGenerator(nil)
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	req := benchbase.RequestEvent(gen.New(), at)
	evs := []event.Event{
		req,
		{V: 1, ID: gen.New(), Time: at, Kind: event.KindProvider, Name: "stripe charges.create", RequestID: req.RequestID,
			TraceID: req.TraceID, SpanID: "b7ad6b7169203331", ParentSpanID: req.SpanID, DurationNs: 42_000_000, Status: 402,
			Provider: &event.Provider{Name: "stripe", Operation: "charges.create", Status: 402, Error: "card_declined"}, App: "notes"},
		{V: 1, ID: gen.New(), Time: at, Kind: event.KindAudit, Name: "note.delete",
			Audit: &event.Audit{Actor: "ada", Tenant: "acme", Action: "note.delete", Resource: "note/42", Outcome: "ok"},
			Attrs: event.Attrs{"n": 3, "tags": []any{"a", "b"}, "nested": map[string]any{"x": nil, "y": true}}, Redacted: []string{"attrs.token"}},
		{V: 1, ID: gen.New(), Time: at, Kind: event.KindLog, Level: "WARN", Message: "slow \"query\"\n\ttook 2s — ünïcode", Instance: "pod-7"},
		{V: 1, ID: gen.New(), Time: at.In(time.FixedZone("", 2*3600)), Kind: event.KindError, Message: "panic: <nil>", Status: -1},
		{V: 1, ID: gen.New(), Time: at, Kind: event.KindCustom, Name: "cache.miss"},
	}
	encs := make([][]byte, len(evs))
	for i := range evs {
		b, err := event.Marshal(&evs[i])
		if err != nil {
			tb.Fatal(err)
		}
		encs[i] = b
	}
	return encs
}

// TestHeadScannerRealFrames: frames as the server writes them give the
// same events as with the old decoder, in both modes, and every Raw is the
// event's JSON exactly, capped so that appending to one leaves the next
// alone.
func TestHeadScannerRealFrames(t *testing.T) {
	encs := realEvents(t)
	body := eventsFrame(encs)[len(eventsFramePrefix)-1:]
	evs, ok := scanEventsFrame(body[:len(body)-1], true, nil)
	if !ok || len(evs) != len(encs) {
		t.Fatalf("scan: ok %v, %d events", ok, len(evs))
	}
	for i := range evs {
		if evs[i].fallback {
			t.Errorf("event %d left to encoding/json: the fast path should decode what the recorder writes", i)
		}
	}
	for _, head := range []bool{true, false} {
		r := checkParity(t, eventsFrame(encs), head)
		if !r.took || len(r.updates) != len(encs) {
			t.Fatalf("headOnly %v: took %v, %d updates; want %d", head, r.took, len(r.updates), len(encs))
		}
		for i, u := range r.updates {
			if !bytes.Equal(u.Raw, encs[i]) || cap(u.Raw) != len(u.Raw) {
				t.Fatalf("headOnly %v: event %d: Raw %q (cap %d), want %q", head, i, u.Raw, cap(u.Raw), encs[i])
			}
		}
		_ = append(r.updates[0].Raw, "spill"...)
		if !bytes.Equal(r.updates[1].Raw, encs[1]) {
			t.Fatalf("headOnly %v: appending to one Raw changed the next", head)
		}
		for _, enc := range encs {
			if r := checkParity(t, EventFrame(enc), head); !r.took || len(r.updates) != 1 {
				t.Fatalf("headOnly %v: event frame: took %v, %d updates", head, r.took, len(r.updates))
			}
		}
	}
}

// TestHeadScannerEdgeCases: events that the fast path leaves to
// encoding/json, or that encoding/json refuses, give the old decoder's
// result, in an events frame beside an ordinary event and alone in an
// event frame.
func TestHeadScannerEdgeCases(t *testing.T) {
	const id = `"01HZX3K4M5N6P7Q8R9S0T1V2W3"`
	const ts = `"2026-03-01T12:00:00.5Z"`
	base := `"v":1,"id":` + id + `,"time":` + ts + `,"kind":"log"`
	deep := func(n int) string { return strings.Repeat(`[`, n) + strings.Repeat(`]`, n) }
	tests := []struct {
		name string
		ev   string
		ok   bool                    // the old decoder takes it (with HeadOnly)
		want func(e event.Event) any // a head value to check
		is   any
	}{
		{"plain", `{` + base + `,"name":"n"}`, true, func(e event.Event) any { return e.Name }, "n"},
		{"key case", `{"ID":` + id + `,"Name":"n","STATUS":201}`, true, func(e event.Event) any { return e.Status }, 201},
		{"key fold non-ASCII", `{` + base + `,"ſtatus":202}`, true, func(e event.Event) any { return e.Status }, 202},
		{"key escaped", `{` + base + `,"n\u0061me":"x"}`, true, func(e event.Event) any { return e.Name }, "x"},
		{"key other", `{` + base + `,"nameX":"x","http":{"status":500}}`, true, func(e event.Event) any { return e.Name }, ""},
		{"escape in name", `{` + base + `,"name":"a\"b\u00e9\n"}`, true, func(e event.Event) any { return e.Name }, "a\"bé\n"},
		{"surrogate pair", `{` + base + `,"name":"\ud83d\ude00"}`, true, func(e event.Event) any { return e.Name }, "😀"},
		{"lone high surrogate", `{` + base + `,"name":"\ud800x"}`, true, func(e event.Event) any { return e.Name }, "\ufffdx"},
		{"two high surrogates", `{` + base + `,"name":"\ud800\ud800"}`, true, func(e event.Event) any { return e.Name }, "\ufffd\ufffd"},
		{"low then high surrogate", `{` + base + `,"name":"\udc00\ud800\udc00"}`, true, func(e event.Event) any { return e.Name }, "\ufffd𐀀"},
		{"high surrogate then letter escape", `{` + base + `,"name":"\ud83d\u0041"}`, true, func(e event.Event) any { return e.Name }, "\ufffdA"},
		{"escaped NUL", `{` + base + `,"message":"a\u0000b"}`, true, func(e event.Event) any { return e.Message }, "a\x00b"},
		{"all escapes", `{` + base + `,"level":"\"\\\/\b\f\n\r\t\u00E9\u20aC"}`, true, func(e event.Event) any { return e.Level }, "\"\\/\b\f\n\r\té€"},
		{"invalid UTF-8 and escapes", `{` + base + ",\"app\":\"\xe2\x82\\n\xc3\xa9\xed\xa0\x80\xef\xbf\xbd\"}", true,
			func(e event.Event) any { return e.App }, "\ufffd\ufffd\n\u00e9\ufffd\ufffd\ufffd\ufffd"},
		{"invalid UTF-8", `{` + base + ",\"name\":\"a\xffb\"}", true, func(e event.Event) any { return e.Name }, "a\ufffdb"},
		{"valid UTF-8", `{` + base + `,"name":"été"}`, true, func(e event.Event) any { return e.Name }, "été"},
		{"null string", `{` + base + `,"name":null}`, true, func(e event.Event) any { return e.Name }, ""},
		{"null time", `{"id":` + id + `,"time":null}`, true, func(e event.Event) any { return e.Time.IsZero() }, true},
		{"null status", `{` + base + `,"status":null}`, true, func(e event.Event) any { return e.Status }, 0},
		{"null id", `{"id":null,"v":1}`, false, nil, nil},
		{"duplicate key", `{` + base + `,"name":"a","name":"b"}`, true, func(e event.Event) any { return e.Name }, "b"},
		{"duplicate folded key", `{` + base + `,"name":"a","Name":"b"}`, true, func(e event.Event) any { return e.Name }, "b"},
		{"duplicate then null", `{` + base + `,"name":"a","name":null}`, true, func(e event.Event) any { return e.Name }, "a"},
		{"unknown kind", `{"id":` + id + `,"kind":"weird"}`, true, func(e event.Event) any { return e.Kind }, event.Kind("weird")},
		{"escaped kind", `{"id":` + id + `,"kind":"lo\u0067"}`, true, func(e event.Event) any { return e.Kind }, event.KindLog},
		{"lower-case id", `{"id":"01hzx3k4m5n6p7q8r9s0t1v2w3"}`, true, func(e event.Event) any { return e.ID.String() }, "01HZX3K4M5N6P7Q8R9S0T1V2W3"},
		{"escaped id", `{"id":"01HZX3K4M5N6P7Q8R9S0T1V2W\u0033"}`, true, func(e event.Event) any { return e.ID.String() }, "01HZX3K4M5N6P7Q8R9S0T1V2W3"},
		{"bad id", `{"id":"01HZX3K4M5N6P7Q8R9S0T1V2WU"}`, false, nil, nil},
		{"short id", `{"id":"01HZX"}`, false, nil, nil},
		{"empty id", `{"id":"","v":1}`, false, nil, nil},
		{"no id", `{"v":1,"kind":"log"}`, false, nil, nil},
		{"empty object", `{}`, false, nil, nil},
		{"number id", `{"id":12}`, false, nil, nil},
		{"time offset", `{"id":` + id + `,"time":"2026-03-01T14:00:00+02:00"}`, true,
			func(e event.Event) any { _, off := e.Time.Zone(); return off }, 7200},
		{"bad time", `{"id":` + id + `,"time":"2026-03-01 12:00:00Z"}`, false, nil, nil},
		{"escaped time", `{"id":` + id + `,"time":"2026-03-01T12:00:00\u005a"}`, false, nil, nil},
		{"number time", `{"id":` + id + `,"time":1}`, false, nil, nil},
		{"float status", `{` + base + `,"status":200.0}`, false, nil, nil},
		{"exponent status", `{` + base + `,"status":2e2}`, false, nil, nil},
		{"string status", `{` + base + `,"status":"200"}`, false, nil, nil},
		{"negative zero", `{` + base + `,"status":-0}`, true, func(e event.Event) any { return e.Status }, 0},
		{"min int64", `{` + base + `,"durationNs":-9223372036854775808}`, true, func(e event.Event) any { return e.DurationNs }, int64(-1 << 63)},
		{"max int64", `{` + base + `,"durationNs":9223372036854775807}`, true, func(e event.Event) any { return e.DurationNs }, int64(1<<63 - 1)},
		{"int64 overflow", `{` + base + `,"durationNs":9223372036854775808}`, false, nil, nil},
		{"20 digits", `{` + base + `,"v":10000000000000000000}`, false, nil, nil},
		{"bool v", `{` + base + `,"v":true}`, false, nil, nil},
		{"object name", `{` + base + `,"name":{"a":1}}`, false, nil, nil},
		{"whitespace", " {\n\t\"id\" : " + id + " ,\r\n \"name\" : \"n\" } ", true, func(e event.Event) any { return e.Name }, "n"},
		{"nested values", `{` + base + `,"attrs":{"a":[1,-2.5e-3,0,true,false,null,"s",{},[]],"b":{"c":{"d":[[]]}}}}`, true,
			func(e event.Event) any { return e.Kind }, event.KindLog},
		{"depth 10000", `{` + base + `,"x":` + deep(9999) + `}`, true, func(e event.Event) any { return e.Kind }, event.KindLog},
		{"attrs at depth 10000", `{` + base + `,"attrs":{"a":` + deep(9998) + `}}`, true, func(e event.Event) any { return e.Kind }, event.KindLog},
		{"attrs at depth 10001", `{` + base + `,"attrs":{"a":` + deep(9999) + `}}`, false, nil, nil},
		{"depth 10001", `{` + base + `,"x":` + deep(10000) + `}`, false, nil, nil},
		{"control char", `{` + base + ",\"attrs\":\"a\x01\"}", false, nil, nil},
		{"control char in head", `{` + base + ",\"name\":\"a\tb\"}", false, nil, nil},
		{"DEL is fine", `{` + base + ",\"name\":\"a\x7fb\"}", true, func(e event.Event) any { return e.Name }, "a\x7fb"},
		{"bad escape", `{` + base + `,"attrs":"\x"}`, false, nil, nil},
		{"bad unicode escape", `{` + base + `,"attrs":"\u12g4"}`, false, nil, nil},
		{"leading zero", `{` + base + `,"attrs":01}`, false, nil, nil},
		{"bare minus", `{` + base + `,"attrs":-}`, false, nil, nil},
		{"dot without digits", `{` + base + `,"attrs":1.}`, false, nil, nil},
		{"exponent without digits", `{` + base + `,"attrs":1e+}`, false, nil, nil},
		{"bad literal", `{` + base + `,"attrs":nul}`, false, nil, nil},
		{"trailing comma", `{` + base + `,}`, false, nil, nil},
		{"missing colon", `{` + base + `,"a" 1}`, false, nil, nil},
		{"unclosed", `{` + base, false, nil, nil},
		{"mismatched", `{` + base + `,"attrs":[}]}`, false, nil, nil},
		{"array", `[` + id + `]`, false, nil, nil},
		{"null nested", `{` + base + `,"http":null,"provider":null,"audit":null,"attrs":null,"redacted":null}`, true,
			func(e event.Event) any { return e.HTTP == nil && e.Attrs == nil && e.Redacted == nil }, true},
		{"nested", `{` + base + `,"http":{"method":"GET","requestHeaders":{"A":["b"]}},"attrs":{"n":1.50},"redacted":["x"]}`, true,
			func(e event.Event) any { return e.Kind }, event.KindLog},
		{"nested twice", `{` + base + `,"http":{"method":"GET"},"http":{"status":201}}`, true,
			func(e event.Event) any { return e.Kind }, event.KindLog},
		{"nested folded key", `{` + base + `,"HTTP":{"method":"GET"},"Attrs":{"a":1}}`, true,
			func(e event.Event) any { return e.Kind }, event.KindLog},
		{"nested wrong type", `{` + base + `,"http":{"status":"x"}}`, true, func(e event.Event) any { return e.Kind }, event.KindLog},
		{"attrs not an object", `{` + base + `,"attrs":[1]}`, true, func(e event.Event) any { return e.Kind }, event.KindLog},
		{"redacted not strings", `{` + base + `,"redacted":[1]}`, true, func(e event.Event) any { return e.Kind }, event.KindLog},
		{"null event", `null`, false, nil, nil},
	}
	// Taken with HeadOnly, refused without: a nested part does not decode.
	notFull := map[string]bool{"nested wrong type": true, "attrs not an object": true, "redacted not strings": true}
	// After the case's event, so that its ID (greater) is delivered too.
	other := `{"v":1,"id":"01HZX3K4M5N6P7Q8R9S0T1V2W4","kind":"log","name":"other"}`
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frames := map[string][]byte{
				"events": []byte(eventsFramePrefix + tc.ev + "," + other + eventsFrameSuffix),
				"event":  []byte(eventFramePrefix + tc.ev + eventFrameSuffix),
			}
			for shape, frame := range frames {
				for _, head := range []bool{true, false} {
					r := checkParity(t, frame, head)
					if want := tc.ok && (head || !notFull[tc.name]); r.took != want {
						t.Fatalf("%s frame, headOnly %v: took %v, want %v", shape, head, r.took, want)
					}
					if !r.took || tc.want == nil {
						continue
					}
					e := r.updates[0].Event
					if got := tc.want(e); got != tc.is {
						t.Fatalf("%s frame: got %#v, want %#v", shape, got, tc.is)
					}
				}
			}
		})
	}
}

// TestHeadScannerFrameShapes: what surrounds the events (an empty array,
// whitespace, what the old decoder's More let through after the array)
// is taken or refused as before.
func TestHeadScannerFrameShapes(t *testing.T) {
	enc := realEvents(t)[3]
	tests := []struct {
		inner string
		ok    bool
	}{
		{``, true},
		{` `, true},
		{string(enc), true},
		{" \n" + string(enc) + " , " + string(enc) + "\t", true},
		{string(enc) + `,`, false},
		{`,` + string(enc), false},
		{string(enc) + string(enc), false},
		{string(enc) + `]`, true},       // the array ends early: More stops at ']'
		{string(enc) + `]]x`, true},     // ... and looks no further
		{string(enc) + `]x`, false},     // anything else is more input
		{string(enc) + `]}`, true},      // '}' stops it too
		{string(enc) + `],1`, false},    // anything else is more input
		{string(enc) + `}`, false},      // '}' cannot close the array
		{`1`, false},                    // not an object
		{`"x"`, false},                  // not an object
		{string(enc) + `,null`, false},  // null decodes to the zero ID
		{string(enc) + `,[]`, false},    // not an object
		{string(enc) + `,{}`, false},    // no ID
		{string(enc) + `,{"v"}`, false}, // not JSON
	}
	for _, tc := range tests {
		frame := []byte(eventsFramePrefix + tc.inner + eventsFrameSuffix)
		for _, head := range []bool{true, false} {
			if r := checkParity(t, frame, head); r.took != tc.ok {
				t.Fatalf("headOnly %v: frame %q: took %v, want %v", head, frame, r.took, tc.ok)
			}
		}
	}
}

// TestSpecialBytes checks the eight-bytes-at-a-time search for quotes,
// backslashes and control characters against a byte-by-byte one, for
// each position of each kind of byte, behind every kind of byte.
func TestSpecialBytes(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			for _, before := range []byte{'a', 0x00, 0x1f, 0x20, 0x21, 0x22, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xa0, 0xff} {
				var b [8]byte
				for i := range b {
					b[i] = 'x'
					if i < pos {
						b[i] = before
					}
				}
				b[pos] = byte(c)
				want := -1
				for i, x := range b {
					if x == '"' || x == '\\' || x < 0x20 {
						want = i
						break
					}
				}
				got := -1
				if m := specialBytes(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
					uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56); m != 0 {
					got = 0
					for m&0x80 == 0 {
						m >>= 8
						got++
					}
				}
				if got != want {
					t.Fatalf("bytes % x: first special at %d, want %d", b, got, want)
				}
			}
		}
	}
}

// FuzzHeadScanner checks the scanner against the old decoder on any
// bytes: as a whole frame, as the inside of an events frame and as the
// event of an event frame, in both modes, both must take the frame or
// both refuse it, and deliver the same events with the same Raw bytes.
func FuzzHeadScanner(f *testing.F) {
	encs := realEvents(f)
	f.Add(bytes.Join(encs, []byte(",")))
	for _, enc := range encs {
		f.Add(enc)
	}
	f.Add(eventsFrame(encs[:2]))
	f.Add(EventFrame(encs[3]))
	const id = `"01HZX3K4M5N6P7Q8R9S0T1V2W3"`
	for _, s := range []string{
		`{"ID":` + id + `,"Status":201,"ſtatus":1}`,
		`{"id":` + id + `,"name":"a\"\u00e9","kind":"lo\u0067","n\u0061me":1}`,
		`{"id":` + id + `,"name":null,"time":null,"status":null,"v":1.5}`,
		`{"id":` + id + `,"name":"a","name":"b","durationNs":-9223372036854775808}`,
		`{"id":` + id + `,"time":"2026-03-01T14:00:00.123+02:00","attrs":{"a":[1,-2.5e-3,true,null,{}]}}`,
		"{\"id\":" + id + ",\"name\":\"\xff\xfe\"}",
		`{"id":` + id + `,"message":"\ud83d\ude00 \ud800\u0041 \udc00 \u0000\t\/","level":"\u00e9"}`,
		"{\"id\":" + id + ",\"app\":\"\xe2\x82\\n\xed\xa0\x80\xef\xbf\xbd\"}",
		`{"id":"01hzx3k4m5n6p7q8r9s0t1v2w3"} , {"id":` + id + `}]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		frames := [][]byte{
			b,
			fmt.Appendf(nil, "%s%s%s", eventsFramePrefix, b, eventsFrameSuffix),
			fmt.Appendf(nil, "%s%s%s", eventFramePrefix, b, eventFrameSuffix),
		}
		for _, frame := range frames {
			for _, head := range []bool{true, false} {
				checkParity(t, frame, head)
			}
		}
	})
}

// BenchmarkEventsFrame decodes an events frame of 100 request events as
// the recorder encodes them (benchbase.RequestEvent, about 1 KB each) and
// the server frames them, with the scanner and with the old json.Decoder
// path (handleEventFrameRef), with HeadOnly (tail --json) and without (the
// console). allocs/op are per frame.
func BenchmarkEventsFrame(b *testing.B) {
	const n = 100
	gen := event.NewGenerator(nil)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	encs := make([][]byte, n)
	for i := range encs {
		e := benchbase.RequestEvent(gen.New(), at.Add(time.Duration(i)*time.Millisecond))
		enc, err := event.Marshal(&e)
		if err != nil {
			b.Fatal(err)
		}
		encs[i] = enc
	}
	frame := eventsFrame(encs)
	for _, mode := range []struct {
		name     string
		headOnly bool
	}{{"head", true}, {"full", false}} {
		for _, path := range []string{"scanner", "decoder"} {
			b.Run(mode.name+"/"+path, func(b *testing.B) {
				c := NewClient(ClientOptions{URL: "ws://127.0.0.1:1/ws", HeadOnly: mode.headOnly})
				got := 0
				fn := func(Update) { got++ }
				handle := c.handleEventFrame
				if path == "decoder" {
					handle = c.handleEventFrameRef
				}
				b.SetBytes(int64(len(frame)))
				b.ReportAllocs()
				for b.Loop() {
					c.lastID = event.ID{} // deliver every event again
					if !handle(frame, fn) {
						b.Fatal("frame refused")
					}
				}
				if got != b.N*n {
					b.Fatalf("%d events delivered, want %d", got, b.N*n)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
			})
		}
	}
}

// TestClientScratchBounded: the events of a frame are not kept alive by
// the client after it, and a frame with far more events than the server
// batches does not leave a big scratch array behind.
func TestClientScratchBounded(t *testing.T) {
	gen := event.NewGenerator(nil)
	for _, n := range []int{3, 4 * maxBatchEvents} {
		encs := make([][]byte, n)
		for i := range encs {
			_, encs[i] = makeEvent(gen, event.KindLog, "e", 0)
		}
		c := NewClient(ClientOptions{URL: "ws://127.0.0.1:1/ws"})
		got := 0
		if !c.handleEventFrame(eventsFrame(encs), func(Update) { got++ }) || got != n {
			t.Fatalf("%d events: delivered %d", n, got)
		}
		if cap(c.scratch) > 2*maxBatchEvents {
			t.Fatalf("%d events: scratch of %d kept", n, cap(c.scratch))
		}
		for i, ev := range c.scratch[:cap(c.scratch)] {
			if !reflect.DeepEqual(ev, scannedEvent{}) {
				t.Fatalf("%d events: scratch %d still holds %+v", n, i, ev.e)
			}
		}
	}
}

// TestClientHandleBorrowsData: handle only borrows the frame (the session
// reads every frame into the same buffer): what it delivered stays intact
// when the buffer is overwritten, for event and events frames and for
// frames that take the general decoder.
func TestClientHandleBorrowsData(t *testing.T) {
	encs := realEvents(t)
	extra := append(append([]byte(eventFramePrefix), encs[0]...), `,"shard":3}`...)
	for _, head := range []bool{true, false} {
		for _, frame := range [][]byte{EventFrame(encs[0]), eventsFrame(encs), extra} {
			c := NewClient(ClientOptions{URL: "ws://127.0.0.1:1/ws", HeadOnly: head})
			buf := bytes.Clone(frame)
			var got []Update
			attempt := 0
			if err := c.handle(buf, func(u Update) { got = append(got, u) }, &attempt); err != nil {
				t.Fatal(err)
			}
			want := make([]Update, len(got))
			for i, u := range got {
				want[i] = u
				want[i].Raw = bytes.Clone(u.Raw)
			}
			for i := range buf {
				buf[i] = 'X'
			}
			if len(got) == 0 {
				t.Fatalf("headOnly %v: nothing delivered for %.60s", head, frame)
			}
			for i := range got {
				if !bytes.Equal(got[i].Raw, encs[i]) || !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("headOnly %v: update %d changed with the buffer: %+v", head, i, got[i].Event)
				}
			}
		}
	}
}

// TestClientBorrowRaw: with BorrowRaw, each event's Raw during the
// callback is exactly the bytes the client would otherwise copy, and it
// points into the frame (no copy was made).
func TestClientBorrowRaw(t *testing.T) {
	encs := realEvents(t)
	for _, head := range []bool{true, false} {
		for _, frame := range [][]byte{EventFrame(encs[0]), eventsFrame(encs)} {
			c := NewClient(ClientOptions{URL: "ws://127.0.0.1:1/ws", HeadOnly: head, BorrowRaw: true})
			buf := bytes.Clone(frame)
			n := 0
			attempt := 0
			err := c.handle(buf, func(u Update) {
				if u.Kind != UpdateEvent {
					return
				}
				if !bytes.Equal(u.Raw, encs[n]) {
					t.Errorf("headOnly %v: event %d: Raw %.60s, want %.60s", head, n, u.Raw, encs[n])
				}
				if i := bytes.Index(buf, u.Raw); i < 0 || &buf[i] != &u.Raw[0] {
					t.Errorf("headOnly %v: event %d: Raw was copied, not lent", head, n)
				}
				n++
			}, &attempt)
			if err != nil || n == 0 {
				t.Fatalf("headOnly %v: %d events, err %v", head, n, err)
			}
		}
	}
}

// BenchmarkReadFrame reads a frame of 100 request events the way the
// session does (into a buffer kept from frame to frame) and the way
// ws.Read does (io.ReadAll, a new buffer grown for each frame).
func BenchmarkReadFrame(b *testing.B) {
	gen := event.NewGenerator(nil)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	encs := make([][]byte, 100)
	for i := range encs {
		e := benchbase.RequestEvent(gen.New(), at)
		enc, err := event.Marshal(&e)
		if err != nil {
			b.Fatal(err)
		}
		encs[i] = enc
	}
	frame := eventsFrame(encs)
	b.Run("kept", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if _, err := buf.ReadFrom(bytes.NewReader(frame)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(encs)), "ns/event")
	})
	b.Run("readall", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := io.ReadAll(bytes.NewReader(frame)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(encs)), "ns/event")
	})
}

// TestClientSessionKeepsEachEvent: through a real session, whose frames
// are read into one reused buffer, every event a replay delivers (in events
// frames of varied sizes) keeps its own Raw and head, checked once all
// have arrived.
func TestClientSessionKeepsEachEvent(t *testing.T) {
	for _, head := range []bool{true, false} {
		hist := &memHistory{}
		ts := startServer(t, ServerOptions{History: hist, ReplayPage: 50})
		gen := event.NewGenerator(nil)
		var encs [][]byte
		var names []string
		var first event.ID
		for i := range 400 {
			e, enc := makeEvent(gen, event.KindLog, fmt.Sprintf("e%d", i), (i*37)%900)
			hist.add(e.ID, enc)
			encs, names = append(encs, enc), append(names, e.Name)
			if i == 0 {
				first = e.ID
			}
		}
		var mu sync.Mutex
		var got []Update
		all := make(chan struct{})
		c := NewClient(ClientOptions{URL: ts.url, Since: first, HeadOnly: head})
		stop := runClient(t, c, func(u Update) {
			if u.Kind != UpdateEvent {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if got = append(got, u); len(got) == len(encs)-1 {
				close(all)
			}
		})
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			t.Fatal("not every event arrived")
		}
		_ = stop()
		mu.Lock()
		for i, u := range got {
			if !bytes.Equal(u.Raw, encs[i+1]) || u.Event.Name != names[i+1] {
				t.Fatalf("headOnly %v: event %d: name %q raw %.80s; want %q %.80s", head, i+1, u.Event.Name, u.Raw, names[i+1], encs[i+1])
			}
		}
		mu.Unlock()
	}
}
