package event

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// ID identifies an event: 16 bytes, the first 6 a big-endian Unix time in
// milliseconds and the last 10 random (the ULID layout). Byte order is time
// order, so IDs double as store keys and retention is a range delete.
type ID [16]byte

// IDLen is the length of an ID's text form.
const IDLen = 26

// crockford is the Crockford base32 alphabet; its order matches byte order,
// so the text form sorts like the bytes.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ErrBadID is returned, wrapped, by ParseID for text that is not an ID.
var ErrBadID = errors.New("event: bad id")

// IsZero reports whether id is the zero ID, used as "no ID" (for example an
// empty resume point).
func (id ID) IsZero() bool { return id == ID{} }

// Time returns the millisecond timestamp carried in the ID.
func (id ID) Time() time.Time {
	var b [8]byte
	copy(b[2:], id[:6])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:]))).UTC()
}

// Compare returns -1, 0 or +1 as id sorts before, equal to, or after other.
func (id ID) Compare(other ID) int {
	for i := range id {
		switch {
		case id[i] < other[i]:
			return -1
		case id[i] > other[i]:
			return 1
		}
	}
	return 0
}

// String returns the 26-character Crockford base32 text form, or "" for the
// zero ID.
func (id ID) String() string {
	if id.IsZero() {
		return ""
	}
	var dst [IDLen]byte
	id.encode(&dst)
	return string(dst[:])
}

func (id ID) encode(dst *[IDLen]byte) {
	// 128 bits as 26 characters of 5 bits: the first character carries the
	// top 3 bits, so the maximum text is 7ZZZZZZZZZZZZZZZZZZZZZZZZZ.
	hi := binary.BigEndian.Uint64(id[:8])
	lo := binary.BigEndian.Uint64(id[8:])
	for i := IDLen - 1; i >= 0; i-- {
		dst[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
}

// ParseID parses the text form of an ID. It accepts lower case. The empty
// string parses as the zero ID.
func ParseID(s string) (ID, error) {
	var id ID
	if s == "" {
		return id, nil
	}
	if len(s) != IDLen {
		return id, fmt.Errorf("%w: want %d characters, got %d", ErrBadID, IDLen, len(s))
	}
	var hi, lo uint64
	for i := 0; i < IDLen; i++ {
		v := decodeCrockford(s[i])
		if v < 0 {
			return ID{}, fmt.Errorf("%w: character %d is not Crockford base32", ErrBadID, i+1)
		}
		if i == 0 && v > 7 {
			return ID{}, fmt.Errorf("%w: value overflows 128 bits", ErrBadID)
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	binary.BigEndian.PutUint64(id[:8], hi)
	binary.BigEndian.PutUint64(id[8:], lo)
	return id, nil
}

// MustParseID is ParseID for constants in tests and examples; it panics on
// bad text.
func MustParseID(s string) ID {
	id, err := ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

func decodeCrockford(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		c -= 'a' - 'A'
	}
	if c < 'A' || c > 'Z' {
		return -1
	}
	for i := 10; i < len(crockford); i++ {
		if crockford[i] == c {
			return i
		}
	}
	return -1
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) {
	if id.IsZero() {
		return []byte{}, nil
	}
	var dst [IDLen]byte
	id.encode(&dst)
	return dst[:], nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// IDFromTime returns the smallest ID at time t: every ID generated at or after
// t's millisecond sorts at or after it. Stores use it as a range bound.
func IDFromTime(t time.Time) ID {
	var id ID
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ms))
	copy(id[:6], b[2:])
	return id
}

// Generator makes IDs that are strictly increasing, even when the clock stands
// still or steps back, and unique across processes through 80 random bits.
// The zero value is not usable; create one with NewGenerator. A Generator is
// safe for concurrent use.
type Generator struct {
	now     func() time.Time
	entropy io.Reader

	mu   sync.Mutex
	last ID
	// rnd receives the entropy (under mu): reading into a local ID would
	// move every ID New makes to the heap, since the reader is an interface.
	rnd [10]byte
}

// NewGenerator returns a Generator reading time from now (time.Now when nil)
// and randomness from crypto/rand.
func NewGenerator(now func() time.Time) *Generator {
	if now == nil {
		now = time.Now
	}
	return &Generator{now: now, entropy: rand.Reader}
}

// New returns the next ID. When the clock has not moved past the previous
// ID's millisecond (the same millisecond, or a step back) it returns the
// previous ID plus one, so order is kept and the time prefix never goes back.
func (g *Generator) New() ID {
	ms := g.now().UnixMilli()
	g.mu.Lock()
	defer g.mu.Unlock()
	next := IDFromTime(time.UnixMilli(ms))
	if next.Compare(g.last) <= 0 || sameMillisecond(next, g.last) {
		next = g.last
		increment(&next)
	} else if _, err := io.ReadFull(g.entropy, g.rnd[:]); err != nil {
		// crypto/rand does not fail on supported platforms; if it ever
		// does, ordering still holds through the increment.
		next = g.last
		increment(&next)
	} else {
		copy(next[6:], g.rnd[:])
	}
	g.last = next
	return next
}

func sameMillisecond(a, b ID) bool { return [6]byte(a[:6]) == [6]byte(b[:6]) }

// increment adds one to the 128-bit big-endian number in id. A carry into the
// time prefix is fine: it keeps the order strictly increasing.
func increment(id *ID) {
	for i := len(id) - 1; i >= 0; i-- {
		id[i]++
		if id[i] != 0 {
			return
		}
	}
}
