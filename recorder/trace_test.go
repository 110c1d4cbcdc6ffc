package recorder

import (
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

func TestRequestIDIsAnOrderedULID(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	_, _, a := newIDs("", "", t0)
	_, _, b := newIDs("", "", t0.Add(time.Millisecond))
	ia, err := event.ParseID(a)
	if err != nil || ia.Time() != t0 {
		t.Fatalf("%q: %v %v", a, err, ia.Time())
	}
	if a >= b || !validRequestID(a) {
		t.Fatalf("not ordered: %q %q", a, b)
	}
	if _, _, c := newIDs("", "keep-me", t0); c != "keep-me" {
		t.Fatal(c)
	}
}
