package recorder

import (
	"bytes"
	"encoding/json"
	"math"
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

// appendHeader copies a header's names and values into dst as bytes, as
// appendRequestHeader does.
func appendHeader(dst []byte, h map[string][]string) []byte {
	for k, vs := range h {
		for _, v := range vs {
			dst = appendField(dst, k, v)
		}
	}
	return dst
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

// randValue returns a random attrs value of the kinds snapshot produces,
// with floats across the magnitudes where encoding/json switches format.
func randValue(rng *rand.Rand, depth int) any {
	floats := []float64{0, math.Copysign(0, -1), 1, -1.5, 1e-6, 9.99e-7, 1e-7, 1.234e-9, 1e20, 1e21, 123456789e15, 5e-324,
		math.MaxFloat64, -math.SmallestNonzeroFloat64, 0.1, 1.0 / 3, 100, 1e6, 12345.678}
	n := 17
	if depth > 3 {
		n = 14 // no more containers
	}
	switch rng.IntN(n) {
	case 0:
		return nil
	case 1:
		return randText(rng)
	case 2:
		return rng.IntN(2) == 0
	case 3:
		return rng.Int64() >> rng.IntN(64)
	case 4:
		return int8(rng.Int32())
	case 5:
		return int32(rng.Int32())
	case 6:
		return uint64(rng.Uint64() >> rng.IntN(64))
	case 7:
		return uint16(rng.Uint32())
	case 8:
		f := floats[rng.IntN(len(floats))]
		if g := f * float64(1+rng.IntN(3)); !math.IsInf(g, 0) {
			f = g
		}
		return f
	case 9:
		if f := float32(floats[rng.IntN(len(floats))]); !math.IsInf(float64(f), 0) {
			return f
		}
		return float32(1e-7)
	case 10:
		return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))
	case 11:
		return int(rng.Int64())
	case 12:
		if rng.IntN(2) == 0 {
			return []string(nil)
		}
		return []string{randText(rng), randText(rng)}
	case 13:
		return uint(rng.Uint32())
	case 14:
		if rng.IntN(4) == 0 {
			return []any(nil)
		}
		var s []any = []any{}
		for range rng.IntN(4) {
			s = append(s, randValue(rng, depth+1))
		}
		return s
	default:
		if rng.IntN(5) == 0 {
			return map[string]any(nil)
		}
		m := map[string]any{}
		for range rng.IntN(5) {
			m[randText(rng)] = randValue(rng, depth+1)
		}
		return m
	}
}

// TestAppendValueMatchesEncodingJSON: the attrs fast path writes what
// encoding/json writes (without HTML escaping), byte for byte, and leaves
// what it does not know (json.Number, NaN, other types) to encoding/json.
func TestAppendValueMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 20000 {
		v := randValue(rng, 0)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatalf("value %d: encoding/json: %v", i, err)
		}
		got, ok := appendValue(nil, v, 0)
		if !ok || string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Fatalf("value %d (%#v):\n got %s (%v)\nwant %s", i, v, got, ok, want.String())
		}
	}
	for _, v := range []any{json.Number("1"), json.RawMessage(`{}`), math.NaN(), math.Inf(-1), float32(math.Inf(1)),
		struct{}{}, map[string]any{"a": []any{1, json.Number("2")}}, map[string]string{"a": "b"}} {
		if _, ok := appendValue(nil, v, 0); ok {
			t.Errorf("appendValue took %#v, which is encoding/json's to encode", v)
		}
	}
}
