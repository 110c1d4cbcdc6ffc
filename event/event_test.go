package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func fullEvent() Event {
	return Event{
		V:            1,
		ID:           MustParseID("01JDQ3Z9X8K4M2N6P7R8S9T0VW"),
		Time:         time.Date(2026, 11, 29, 9, 0, 0, 123456789, time.UTC),
		Kind:         KindRequest,
		Name:         "GET /notes/{id}",
		RequestID:    "req-1",
		TraceID:      "4bf92f3577b34da6a3ce929d0e0e4736",
		SpanID:       "00f067aa0ba902b7",
		ParentSpanID: "00f067aa0ba902b8",
		DurationNs:   1234567,
		Status:       200,
		Level:        "INFO",
		Message:      "hello",
		HTTP: &HTTP{
			Method: "GET", URL: "/notes/1?x=1", Route: "GET /notes/{id}", Status: 200,
			RequestHeaders:  map[string][]string{"Accept": {"application/json"}},
			ResponseHeaders: map[string][]string{"Content-Type": {"application/json"}},
			RequestBody:     &Body{ContentType: "application/json", Size: 2, Text: "{}"},
			ResponseBody:    &Body{ContentType: "image/png", Size: 99, Binary: true, Truncated: true},
			BytesIn:         2, BytesOut: 99, RemoteAddr: "127.0.0.1:5555",
		},
		Provider: &Provider{Name: "stripe", Operation: "charges.create", Method: "POST", URL: "https://api.stripe.test/v1/charges", Status: 402, Error: "card declined"},
		Audit:    &Audit{Actor: "ada", Tenant: "acme", Action: "note.delete", Resource: "note:1", Outcome: "success"},
		Attrs:    Attrs{"big": json.Number("12345678901234567890"), "f": json.Number("1.50"), "nested": map[string]any{"a": []any{"x", json.Number("2")}}},
		Redacted: []string{"http.requestHeaders.authorization"},
		App:      "notes", Instance: "host-1",
	}
}

func TestJSONRoundTripIsExact(t *testing.T) {
	e := fullEvent()
	first, err := Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	var back Event
	if err := Unmarshal(first, &back); err != nil {
		t.Fatal(err)
	}
	second, err := Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("round trip changed the bytes:\n%s\n%s", first, second)
	}
	if !strings.HasPrefix(string(first), `{"v":1,"id":"01JDQ3Z9X8K4M2N6P7R8S9T0VW","time":"2026-11-29T09:00:00.123456789Z","kind":"request"`) {
		t.Fatalf("unexpected field order or form: %s", first)
	}
	if back.Attrs["big"] != json.Number("12345678901234567890") {
		t.Fatalf("big number lost precision: %#v", back.Attrs["big"])
	}
}

func TestUnknownFieldsAreIgnored(t *testing.T) {
	in := `{"v":1,"id":"01JDQ3Z9X8K4M2N6P7R8S9T0VW","time":"2026-11-29T09:00:00Z","kind":"log","future":{"x":1},"http":{"method":"GET","http3":true}}`
	var e Event
	if err := Unmarshal([]byte(in), &e); err != nil {
		t.Fatalf("unknown fields refused: %v", err)
	}
	if e.Kind != KindLog || e.HTTP.Method != "GET" {
		t.Fatalf("known fields lost: %+v", e)
	}
}

func TestValidate(t *testing.T) {
	ok := fullEvent()
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid event refused: %v", err)
	}
	cases := []struct {
		name string
		mod  func(*Event)
		want error
	}{
		{"no id", func(e *Event) { e.ID = ID{} }, ErrMissingID},
		{"no time", func(e *Event) { e.Time = time.Time{} }, ErrMissingTime},
		{"no kind", func(e *Event) { e.Kind = "" }, ErrMissingKind},
		{"bad kind", func(e *Event) { e.Kind = "telemetry" }, ErrUnknownKind},
		{"newer schema", func(e *Event) { e.V = 2 }, ErrVersion},
	}
	for _, c := range cases {
		e := fullEvent()
		c.mod(&e)
		err := e.Validate()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestIDTextRoundTripAndSort(t *testing.T) {
	g := NewGenerator(nil)
	var texts []string
	for i := 0; i < 1000; i++ {
		id := g.New()
		texts = append(texts, id.String())
		back, err := ParseID(strings.ToLower(id.String()))
		if err != nil || back != id {
			t.Fatalf("parse(%s) = %v, %v", id, back, err)
		}
	}
	if !sort.StringsAreSorted(texts) {
		t.Fatal("text forms of increasing IDs are not sorted")
	}
	// Random bytes: text order must equal byte order.
	var a, b ID
	for i := 0; i < 2000; i++ {
		for j := range a {
			a[j], b[j] = byte(i*31+j*7), byte(i*17+j*13)
		}
		if (a.Compare(b) < 0) != (a.String() < b.String()) && a.Compare(b) != 0 {
			t.Fatalf("order mismatch for %x %x", a, b)
		}
	}
	max := ID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if got, err := ParseID(max.String()); err != nil || got != max {
		t.Fatalf("max id round trip: %v %v", got, err)
	}
}

func TestParseIDErrors(t *testing.T) {
	for _, s := range []string{"short", "01JDQ3Z9X8K4M2N6P7R8S9T0V!", "81JDQ3Z9X8K4M2N6P7R8S9T0VW", "01JDQ3Z9X8K4M2N6P7R8S9T0VU"} {
		if _, err := ParseID(s); !errors.Is(err, ErrBadID) {
			t.Errorf("ParseID(%q) = %v, want ErrBadID", s, err)
		}
	}
	if id, err := ParseID(""); err != nil || !id.IsZero() {
		t.Errorf("empty text should be the zero ID")
	}
}

func TestGeneratorStrictlyIncreasingWhenClockStandsStillOrStepsBack(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := []time.Time{base, base, base, base.Add(-time.Hour), base.Add(-time.Hour), base.Add(time.Millisecond), base}
	i := 0
	g := NewGenerator(func() time.Time { t := clock[i%len(clock)]; i++; return t })
	prev := ID{}
	for n := 0; n < 70; n++ {
		id := g.New()
		if id.Compare(prev) <= 0 {
			t.Fatalf("id %d (%s) not after %s", n, id, prev)
		}
		if id.Time().Before(base) {
			t.Fatalf("time prefix went back: %v", id.Time())
		}
		prev = id
	}
}

// TestGeneratorNewAllocatesNothing: the pipeline stamps every event with
// New, so an ID that escaped to the heap would be garbage per event. The
// clock moves a millisecond per call, so every call reads fresh entropy.
func TestGeneratorNewAllocatesNothing(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := NewGenerator(func() time.Time { now = now.Add(time.Millisecond); return now })
	var prev ID
	if n := testing.AllocsPerRun(100, func() {
		id := g.New()
		if id.Compare(prev) <= 0 || [10]byte(id[6:]) == [10]byte{} {
			t.Fatalf("id %s after %s: not increasing or no entropy", id, prev)
		}
		prev = id
	}); n != 0 {
		t.Errorf("New allocates %.1f times per call, want 0", n)
	}
}

func TestGeneratorUniqueAcrossGoroutines(t *testing.T) {
	g := NewGenerator(nil)
	const workers, each = 8, 2000
	var mu sync.Mutex
	seen := make(map[ID]bool, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]ID, 0, each)
			prev := ID{}
			for i := 0; i < each; i++ {
				id := g.New()
				if id.Compare(prev) <= 0 {
					t.Errorf("not increasing within a goroutine")
					return
				}
				prev = id
				local = append(local, id)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range local {
				if seen[id] {
					t.Errorf("duplicate id %s", id)
				}
				seen[id] = true
			}
		}()
	}
	wg.Wait()
	// Two generators (as in two processes) at the same instant differ.
	now := func() time.Time { return time.Unix(1, 0) }
	if a, b := NewGenerator(now).New(), NewGenerator(now).New(); a == b {
		t.Fatal("two generators produced the same id at the same instant")
	}
}

func TestIDFromTimeBoundsGeneratedIDs(t *testing.T) {
	at := time.Date(2026, 5, 5, 5, 5, 5, 5e6, time.UTC)
	g := NewGenerator(func() time.Time { return at })
	id := g.New()
	if id.Compare(IDFromTime(at)) < 0 || id.Compare(IDFromTime(at.Add(time.Millisecond))) >= 0 {
		t.Fatalf("id %s outside its millisecond", id)
	}
	if !id.Time().Equal(at.Truncate(time.Millisecond)) {
		t.Fatalf("Time() = %v", id.Time())
	}
}

func TestPath(t *testing.T) {
	for in, want := range map[string]string{
		"/notes/1?token=x":             "/notes/1",
		"https://api.test/v1/charges?": "/v1/charges",
		"https://api.test":             "/",
		"":                             "",
	} {
		e := Event{HTTP: &HTTP{URL: in}}
		if got := e.Path(); got != want {
			t.Errorf("Path(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseID(f *testing.F) {
	f.Add("01JDQ3Z9X8K4M2N6P7R8S9T0VW")
	f.Add("7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil || id.IsZero() {
			return
		}
		if !strings.EqualFold(id.String(), s) && strings.ToUpper(s) != id.String() {
			// Crockford aliases are not accepted, so the text must round-trip.
			t.Fatalf("ParseID(%q).String() = %q", s, id.String())
		}
	})
}

func TestStatusCode(t *testing.T) {
	for _, c := range []struct {
		name string
		e    Event
		want int
	}{
		{"none", Event{}, 0},
		{"own", Event{Status: 500, HTTP: &HTTP{Status: 200}}, 500},
		{"http", Event{HTTP: &HTTP{Status: 404}, Provider: &Provider{Status: 502}}, 404},
		{"http without status falls to provider", Event{HTTP: &HTTP{}, Provider: &Provider{Status: 402}}, 402},
		{"provider", Event{Provider: &Provider{Status: 201}}, 201},
	} {
		if got := c.e.StatusCode(); got != c.want {
			t.Errorf("%s: StatusCode() = %d, want %d", c.name, got, c.want)
		}
	}
}
