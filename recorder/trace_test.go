package recorder

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

func TestRequestIDIsAnOrderedULID(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	newID := func(incoming string, t time.Time) string {
		var c infoCtx
		c.setIDs("", incoming, t)
		return c.info.requestID
	}
	a := newID("", t0)
	b := newID("", t0.Add(time.Millisecond))
	ia, err := event.ParseID(a)
	if err != nil || ia.Time() != t0 {
		t.Fatalf("%q: %v %v", a, err, ia.Time())
	}
	if a >= b || !validRequestID(a) {
		t.Fatalf("not ordered: %q %q", a, b)
	}
	if c := newID("keep-me", t0); c != "keep-me" {
		t.Fatal(c)
	}
}

func TestPutHex(t *testing.T) {
	vals := []uint64{0, 1, 9, 10, 15, 16, 0xabcdef0123456789, 0xffffffffffffffff, 0x8000000000000000}
	for i := 0; i < 10000; i++ {
		vals = append(vals, rand.Uint64())
	}
	for _, v := range vals {
		var b [16]byte
		putHex(b[:], v)
		if want := fmt.Sprintf("%016x", v); string(b[:]) != want {
			t.Fatalf("putHex(%#x) = %q, want %q", v, b[:], want)
		}
	}
}
