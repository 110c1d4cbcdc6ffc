package recorder

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

func randText(rng *rand.Rand) string {
	pieces := []string{"a", "Z", " ", `"`, `\`, "<", ">", "&", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "€", "😀", "\u2028", "\u2029", "\xff", "\xc3", "\xe2\x82", "/", "[REDACTED]", "{}", "\ufffd"}
	n := rng.IntN(12)
	var b strings.Builder
	for range n {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

func randEvent(rng *rand.Rand) event.Event {
	s := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return randText(rng)
	}
	e := event.Event{
		V: rng.IntN(2), Kind: event.Kind(s()), Name: s(), RequestID: s(), TraceID: s(), SpanID: s(), ParentSpanID: s(),
		DurationNs: rng.Int64N(3) * rng.Int64(), Status: rng.IntN(3) * 200, Level: s(), Message: s(), App: s(), Instance: s(),
		Time: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).In(time.FixedZone("x", rng.IntN(3)*3600)),
	}
	if rng.IntN(2) == 0 {
		e.ID = event.IDFromTime(e.Time)
		e.ID[15] = byte(rng.IntN(256))
	}
	hdr := func() map[string][]string {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			return map[string][]string{}
		}
		m := map[string][]string{}
		for range rng.IntN(4) {
			var vs []string
			for range rng.IntN(3) {
				vs = append(vs, randText(rng))
			}
			m[randText(rng)] = vs
		}
		return m
	}
	body := func() *event.Body {
		if rng.IntN(2) == 0 {
			return nil
		}
		return &event.Body{ContentType: s(), Size: rng.Int64N(3) * 100, Text: s(), Truncated: rng.IntN(2) == 0, Binary: rng.IntN(2) == 0}
	}
	if rng.IntN(3) > 0 {
		e.HTTP = &event.HTTP{Method: s(), URL: s(), Route: s(), Status: rng.IntN(2) * 404, RequestHeaders: hdr(), ResponseHeaders: hdr(),
			RequestBody: body(), ResponseBody: body(), BytesIn: rng.Int64N(2) * 10, BytesOut: rng.Int64N(2) * 7, RemoteAddr: s()}
	}
	if rng.IntN(3) == 0 {
		e.Provider = &event.Provider{Name: s(), Operation: s(), Method: s(), URL: s(), Status: rng.IntN(2) * 500, Error: s()}
	}
	if rng.IntN(3) == 0 {
		e.Audit = &event.Audit{Actor: s(), Tenant: s(), Action: s(), Resource: s(), Outcome: s()}
	}
	if rng.IntN(2) == 0 {
		e.Attrs = event.Attrs{}
		for range rng.IntN(4) {
			e.Attrs[randText(rng)] = []any{randText(rng), 1.5, json.Number("12"), nil, map[string]any{"k<": true}}[rng.IntN(5)]
		}
	}
	for range rng.IntN(3) {
		e.Redacted = append(e.Redacted, randText(rng))
	}
	return e
}

// TestEncodeMatchesMarshal checks the fast encoder against event.Marshal,
// byte for byte, on random events full of characters that need escaping.
func TestEncodeMatchesMarshal(t *testing.T) {
	if !fastEncodable() {
		t.Fatal("event types changed shape: update encodeEvent (the pipeline falls back to event.Marshal meanwhile)")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 4000 {
		e := randEvent(rng)
		want, werr := event.Marshal(&e)
		got, gerr := encodeEvent(nil, &e)
		if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("event %d differs:\nwant %s (%v)\ngot  %s (%v)", i, want, werr, got, gerr)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	e := randEvent(rand.New(rand.NewPCG(3, 4)))
	b.Run("eventMarshal", func(b *testing.B) {
		for b.Loop() {
			_, _ = event.Marshal(&e)
		}
	})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			_, _ = encodeEvent(nil, &e)
		}
	})
}

func TestFastEncodeSelfCheck(t *testing.T) {
	if !fastEncodeOK() {
		t.Fatal("fast encoder disagrees with event.Marshal on a full event")
	}
}

func TestHeaderBytesRoundTrip(t *testing.T) {
	h := map[string][]string{"A": {"1", "2", "3"}, "B-Long": {strings.Repeat("x", 300)}, "Empty": {""}, "C": {"c"}, "Set-Cookie": {"a=1", "b=2"}}
	got := map[string][]string{"Stale": {"from the last event"}}
	var vals []string
	for range 20 { // map order differs between runs: values of one name must not clobber the next name's
		enc := appendHeader(nil, h)
		clear(got)
		vals = parseHeaders(got, vals[:0], string(enc))
		if !reflect.DeepEqual(got, h) {
			t.Fatalf("got %v, want %v", got, h)
		}
		// A cut encoding keeps the whole fields before the cut.
		cut := map[string][]string{}
		parseHeaders(cut, nil, string(enc[:len(enc)-1]))
		if len(cut) < len(h)-1 {
			t.Fatalf("cut encoding lost more than its last field: %v", cut)
		}
	}
	empty := map[string][]string{}
	if parseHeaders(empty, nil, ""); len(empty) != 0 {
		t.Fatal("empty")
	}
}
