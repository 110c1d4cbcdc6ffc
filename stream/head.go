package stream

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/beignet/devtools/event"
)

// This file holds the client's fast path for event and events frames: a
// single pass over a frame that validates it as encoding/json would, finds
// each event's bytes and decodes the head fields (eventHead) on the way;
// without ClientOptions.HeadOnly, the nested parts (http, provider, audit,
// attrs, redacted) are then decoded with encoding/json, each on its own.
// encoding/json scans every event at least twice (once to find its end,
// once to decode it) through a state machine that costs a call per byte; a
// console streaming thousands of events a second spent about half of its
// CPU there.
//
// Exactness comes from a fallback rather than from re-implementing all of
// encoding/json: whatever the fast path does not decode exactly as
// encoding/json would (a key that matches a field only when case is
// ignored, an escape in a key or an ID, a null, a number that is not an
// integer, a repeated key ...) marks the event, and the event is then
// decoded as before: json.Unmarshal into eventHead, or event.Unmarshal.
// What the fast path decodes itself, it decodes with the functions
// encoding/json calls (event.ID.UnmarshalText, time.Time.UnmarshalJSON,
// the nested parts' decoding) or with rules that give the same values
// (strings, unescaped as encoding/json does; integers). FuzzHeadScanner
// checks the whole against the old decoder.

// maxNestingDepth is encoding/json's limit on nested arrays and objects in
// one value, counted from the value decoded (an event object is depth 1):
// the scanner refuses what encoding/json refuses.
const maxNestingDepth = 10000

// Head fields, in the order of their string slots: the string fields
// first, so that a field below numHeadStrings is its own slot in
// scannedEvent.strs.
const (
	fieldKind = iota
	fieldName
	fieldRequestID
	fieldTraceID
	fieldSpanID
	fieldParentSpanID
	fieldLevel
	fieldMessage
	fieldApp
	fieldInstance
	numHeadStrings // the fields above are strings

	fieldV = iota - 1
	fieldID
	fieldTime
	fieldDurationNs
	fieldStatus
	numHeadFields // the fields above are the head (eventHead)

	// The nested parts, decoded (with encoding/json) only without
	// HeadOnly.
	fieldHTTP = iota - 2
	fieldProvider
	fieldAudit
	fieldAttrs
	fieldRedacted
	numFields
)

// span is a range of bytes in the data being scanned.
type span struct {
	off, n int
	// unquote: the range is a string's contents that is not its text
	// as is (escapes, or bytes that are not UTF-8).
	unquote bool
}

// scannedEvent is one event of a frame as the scanner left it: its bytes,
// the head fields decoded so far and, for the string fields, where their
// text is, so that all of a frame's head strings can share one allocation.
type scannedEvent struct {
	start, end int         // the event's JSON in the scanned data
	e          event.Event // the decoded event (head fields only with HeadOnly)
	// strs holds where the head string fields' contents are, indexed by
	// field; n == 0 leaves the field as is.
	strs [numHeadStrings]span
	// nested holds, without HeadOnly, where the nested parts' values are
	// (indexed by field - numHeadFields); n == 0 when absent.
	nested [numFields - numHeadFields]span
	// fallback: the event is to be decoded with encoding/json, because
	// the fast path cannot promise to decode it identically.
	fallback bool
}

// headScanner walks JSON text once, validating it with the acceptance of
// encoding/json: balanced objects and arrays up to maxNestingDepth, the
// literals true, false and null, numbers of the JSON grammar, strings
// without raw control characters and with legal escapes. Like
// encoding/json, it does not check that strings are valid UTF-8.
type headScanner struct {
	data []byte
	pos  int
	// full: the events are decoded whole (not HeadOnly), so head also
	// records where the nested parts are.
	full bool
	// low and deep record, for each open nesting level, whether it is an
	// object (bit set) or an array: low for levels 0-63, deep (grown on
	// demand) for the levels above, so that ordinary JSON needs no
	// allocation.
	low  uint64
	deep []uint64
}

// scanEventsFrame scans the events array of an events frame (body: from
// '[' to the frame's closing ']'), appending each event to evs, and
// reports whether the frame is one the old decoder (a json.Decoder taking
// the array apart with Token, More and Decode) accepted: every element an
// object, and, after the array, nothing but whitespace up to the end or
// up to a ']' or '}' (Decoder.More looks no further). Each event's head
// fields are decoded; without headOnly, where its nested parts are is
// recorded too, for finishEvents.
func scanEventsFrame(body []byte, headOnly bool, evs []scannedEvent) ([]scannedEvent, bool) {
	s := headScanner{data: body, full: !headOnly}
	if len(body) == 0 || body[0] != '[' {
		return evs, false
	}
	s.pos = 1
	if !s.ws() {
		return evs, false
	}
	if body[s.pos] == ']' {
		s.pos++
	} else {
		for {
			if body[s.pos] != '{' {
				// Anything but an object fails to decode into an event
				// (a null decodes to the zero ID, refused too).
				return evs, false
			}
			evs = append(evs, scannedEvent{start: s.pos})
			if !s.head(&evs[len(evs)-1]) {
				return evs, false
			}
			ev := &evs[len(evs)-1]
			ev.end = s.pos
			if !s.ws() {
				return evs, false
			}
			c := body[s.pos]
			s.pos++
			if c == ']' {
				break
			}
			if c != ',' || !s.ws() {
				return evs, false
			}
		}
	}
	if s.ws() && body[s.pos] != ']' && body[s.pos] != '}' {
		return evs, false
	}
	return evs, true
}

// scanEvent scans raw, the event of an event frame, as json.Unmarshal
// would see it (one object, whitespace around it allowed), appending it to
// evs as scanEventsFrame does, and reports whether raw is valid JSON made
// of one object.
func scanEvent(raw []byte, headOnly bool, evs []scannedEvent) ([]scannedEvent, bool) {
	s := headScanner{data: raw, full: !headOnly}
	if !s.ws() || raw[s.pos] != '{' {
		return evs, false
	}
	evs = append(evs, scannedEvent{start: s.pos})
	ev := &evs[len(evs)-1]
	if !s.head(ev) {
		return evs, false
	}
	ev.end = s.pos
	if s.ws() {
		return evs, false
	}
	return evs, true
}

// finishEvents completes evs, scanned from data: it decodes the events
// marked for the fallback with encoding/json (into eventHead with
// headOnly, else whole), decodes the others' nested parts (without
// headOnly) with encoding/json, one by one, and gives them their head
// strings, all cut from one string so that a frame costs one allocation
// for them, not one per field. It reports false, as the old decoder did,
// when an event does not decode or has no ID.
func finishEvents(data []byte, headOnly bool, evs []scannedEvent) bool {
	total := 0
	for i := range evs {
		ev := &evs[i]
		raw := data[ev.start:ev.end]
		switch {
		case ev.fallback && headOnly:
			var h eventHead
			if err := json.Unmarshal(raw, &h); err != nil {
				return false
			}
			ev.e = h.event()
		case ev.fallback:
			if err := event.Unmarshal(raw, &ev.e); err != nil {
				return false
			}
		default:
			if !headOnly && !ev.decodeNested(data) {
				return false
			}
			for _, sp := range ev.strs {
				total += sp.n
			}
		}
		if ev.e.ID.IsZero() {
			return false
		}
	}
	if total == 0 {
		return true
	}
	var b strings.Builder
	b.Grow(total) // enough unless unquoting replaces bytes by U+FFFD
	for i := range evs {
		ev := &evs[i]
		if ev.fallback {
			continue
		}
		for f, sp := range ev.strs {
			if !sp.unquote {
				b.Write(data[sp.off : sp.off+sp.n])
				continue
			}
			// From here on, n is the length of the text.
			before := b.Len()
			writeUnquoted(&b, data[sp.off:sp.off+sp.n])
			ev.strs[f].n = b.Len() - before
		}
	}
	all := b.String()
	off := 0
	for i := range evs {
		ev := &evs[i]
		if ev.fallback {
			continue
		}
		for f, sp := range ev.strs {
			if sp.n == 0 {
				continue
			}
			ev.setString(f, all[off:off+sp.n])
			off += sp.n
		}
	}
	return true
}

// decodeNested decodes the nested parts that the scanner found, each as
// encoding/json decodes it inside the event (into the same field, which is
// nil before: each part appears once, or the event is left to the
// fallback).
func (ev *scannedEvent) decodeNested(data []byte) bool {
	for i, sp := range ev.nested {
		if sp.n == 0 {
			continue
		}
		var dst any
		switch i + numHeadFields {
		case fieldHTTP:
			dst = &ev.e.HTTP
		case fieldProvider:
			dst = &ev.e.Provider
		case fieldAudit:
			dst = &ev.e.Audit
		case fieldAttrs:
			dst = &ev.e.Attrs
		case fieldRedacted:
			dst = &ev.e.Redacted
		}
		if json.Unmarshal(data[sp.off:sp.off+sp.n], dst) != nil {
			return false
		}
	}
	return true
}

// setString sets the head string field f (below numHeadStrings).
func (ev *scannedEvent) setString(f int, s string) {
	e := &ev.e
	switch f {
	case fieldKind:
		e.Kind = event.Kind(s)
	case fieldName:
		e.Name = s
	case fieldRequestID:
		e.RequestID = s
	case fieldTraceID:
		e.TraceID = s
	case fieldSpanID:
		e.SpanID = s
	case fieldParentSpanID:
		e.ParentSpanID = s
	case fieldLevel:
		e.Level = s
	case fieldMessage:
		e.Message = s
	case fieldApp:
		e.App = s
	case fieldInstance:
		e.Instance = s
	}
}

// head moves past the event object at s.pos (a '{'), validating it, and
// decodes its head fields into ev, or marks ev for the fallback. It
// reports whether the object is valid JSON.
func (s *headScanner) head(ev *scannedEvent) bool {
	d := s.data
	s.pos++
	if !s.ws() {
		return false
	}
	if d[s.pos] == '}' {
		s.pos++
		return true
	}
	var seen uint32
	for {
		if d[s.pos] != '"' {
			return false
		}
		ks := s.pos + 1
		escaped, ok := s.str()
		if !ok {
			return false
		}
		key := d[ks : s.pos-1]
		if !s.ws() || d[s.pos] != ':' {
			return false
		}
		s.pos++
		if !s.ws() {
			return false
		}
		f := -1
		if !escaped {
			f = field(key)
		}
		if f >= numHeadFields && !s.full {
			f = -2 // a nested part, of no interest with HeadOnly
		}
		switch {
		case ev.fallback:
		case f >= 0 && seen&(1<<f) != 0:
			// A repeated key: encoding/json lets the last one win
			// (merging objects), with rules of its own for nulls;
			// leave it to it.
			ev.fallback = true
		case f >= 0:
			seen |= 1 << f
		case f == -1 && (escaped || foldsToField(key)):
			// encoding/json unescapes keys and matches them to fields
			// ignoring case.
			ev.fallback = true
		}
		switch {
		case f < 0 || ev.fallback:
			ok = s.skipValue(1)
		case f >= numHeadFields:
			start := s.pos
			ok = s.skipValue(1)
			ev.nested[f-numHeadFields] = span{start, s.pos - start, false}
		default:
			ok = s.headValue(f, ev)
		}
		if !ok || !s.ws() {
			return false
		}
		c := d[s.pos]
		s.pos++
		if c == '}' {
			return true
		}
		if c != ',' || !s.ws() {
			return false
		}
	}
}

// headValue moves past the value at s.pos, validating it, and decodes it
// into head field f of ev when it can do so exactly as encoding/json
// would, else marks ev for the fallback. It reports whether the value is
// valid JSON.
func (s *headScanner) headValue(f int, ev *scannedEvent) bool {
	d := s.data
	start := s.pos
	c := d[start]
	switch f {
	case fieldV, fieldDurationNs, fieldStatus:
		if c != '-' && (c < '0' || c > '9') {
			break
		}
		integer, ok := s.number()
		if !ok {
			return false
		}
		// encoding/json takes only integers (strconv.ParseInt) that fit
		// the field.
		n, fits := parseInt(d[start:s.pos])
		switch {
		case !integer || !fits:
			ev.fallback = true
		case f == fieldDurationNs:
			ev.e.DurationNs = n
		case int64(int(n)) != n:
			ev.fallback = true
		case f == fieldV:
			ev.e.V = int(n)
		default:
			ev.e.Status = int(n)
		}
		return true
	case fieldTime:
		// encoding/json hands a time.Time the value's bytes as they
		// are, whatever the value.
		if !s.skipValue(1) {
			return false
		}
		if ev.e.Time.UnmarshalJSON(d[start:s.pos]) != nil {
			ev.fallback = true
		}
		return true
	default: // fieldID and the string fields
		if c != '"' {
			break
		}
		escaped, ok := s.str()
		if !ok {
			return false
		}
		text := d[start+1 : s.pos-1]
		switch {
		case f == fieldID && escaped:
			ev.fallback = true
		case f == fieldID:
			// Without escapes, encoding/json passes the string's bytes
			// to UnmarshalText (invalid UTF-8 fails either way).
			if ev.e.ID.UnmarshalText(text) != nil {
				ev.fallback = true
			}
		case escaped || !utf8.Valid(text):
			// encoding/json resolves escapes and replaces what is not
			// UTF-8 with U+FFFD; finishEvents does the same.
			ev.strs[f] = span{start + 1, len(text), true}
		case f == fieldKind && knownKind(text) != "":
			// The kinds of schema v1 cost no allocation.
			ev.e.Kind = knownKind(text)
		default:
			ev.strs[f] = span{start + 1, len(text), false}
		}
		return true
	}
	// A null or a value of the wrong type.
	ev.fallback = true
	return s.skipValue(1)
}

// knownKind returns the kind of schema v1 spelled by b, or "".
func knownKind(b []byte) event.Kind {
	switch string(b) {
	case string(event.KindRequest):
		return event.KindRequest
	case string(event.KindProvider):
		return event.KindProvider
	case string(event.KindAudit):
		return event.KindAudit
	case string(event.KindLog):
		return event.KindLog
	case string(event.KindError):
		return event.KindError
	case string(event.KindCustom):
		return event.KindCustom
	}
	return ""
}

// field returns the field of event.Event whose JSON name is exactly key,
// or -1.
func field(key []byte) int {
	switch string(key) {
	case "v":
		return fieldV
	case "id":
		return fieldID
	case "time":
		return fieldTime
	case "kind":
		return fieldKind
	case "name":
		return fieldName
	case "requestId":
		return fieldRequestID
	case "traceId":
		return fieldTraceID
	case "spanId":
		return fieldSpanID
	case "parentSpanId":
		return fieldParentSpanID
	case "durationNs":
		return fieldDurationNs
	case "status":
		return fieldStatus
	case "level":
		return fieldLevel
	case "message":
		return fieldMessage
	case "app":
		return fieldApp
	case "instance":
		return fieldInstance
	case "http":
		return fieldHTTP
	case "provider":
		return fieldProvider
	case "audit":
		return fieldAudit
	case "attrs":
		return fieldAttrs
	case "redacted":
		return fieldRedacted
	}
	return -1
}

// foldsToField reports whether encoding/json might match key, which is
// not exactly the JSON name of a field of event.Event, to one anyway: it
// matches names ignoring case (Unicode simple folding, so that a non-ASCII
// key such as "ſtatus" can match too; those are all left to it).
func foldsToField(key []byte) bool {
	var lower [len("parentSpanId")]byte
	for i, c := range key {
		if c >= utf8.RuneSelf {
			return true
		}
		if i < len(lower) {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
	}
	if len(key) > len(lower) {
		return false
	}
	switch string(lower[:len(key)]) {
	case "v", "id", "time", "kind", "name", "requestid", "traceid", "spanid", "parentspanid",
		"durationns", "status", "level", "message", "app", "instance",
		"http", "provider", "audit", "attrs", "redacted":
		return true
	}
	return false
}

// parseInt parses b, an integer of the JSON grammar (an optional minus,
// then digits without a leading zero), and reports whether it fits an
// int64, as strconv.ParseInt(b, 10, 64) would.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	// 19 digits cannot overflow a uint64; 20 digits without a leading
	// zero overflow an int64.
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return int64(-n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

// ws skips whitespace and reports whether a byte follows.
func (s *headScanner) ws() bool {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return true
		}
	}
	return false
}

// setLevel records whether nesting level l is an object.
func (s *headScanner) setLevel(l int, object bool) {
	if l < 64 {
		if object {
			s.low |= 1 << l
		} else {
			s.low &^= 1 << l
		}
		return
	}
	i := l/64 - 1
	if i >= len(s.deep) {
		s.deep = append(s.deep, make([]uint64, i+1-len(s.deep))...)
	}
	if object {
		s.deep[i] |= 1 << (l % 64)
	} else {
		s.deep[i] &^= 1 << (l % 64)
	}
}

// isObject reports whether nesting level l is an object.
func (s *headScanner) isObject(l int) bool {
	if l < 64 {
		return s.low&(1<<l) != 0
	}
	return s.deep[l/64-1]&(1<<(l%64)) != 0
}

// skipValue moves past the value at s.pos (after whitespace), validating
// it; depth is the number of objects and arrays it sits in. It reports
// whether the value is valid JSON.
func (s *headScanner) skipValue(depth int) bool {
	base := depth
	d := s.data
values:
	for {
		if !s.ws() {
			return false
		}
		switch c := d[s.pos]; c {
		case '{', '[':
			if depth >= maxNestingDepth {
				return false
			}
			depth++
			s.setLevel(depth, c == '{')
			s.pos++
			if !s.ws() {
				return false
			}
			if d[s.pos] == c+2 { // '}' or ']': empty
				s.pos++
				depth--
				break
			}
			if c == '{' && !s.key() {
				return false
			}
			continue
		case '"':
			if _, ok := s.str(); !ok {
				return false
			}
		case 't':
			if !s.literal("true") {
				return false
			}
		case 'f':
			if !s.literal("false") {
				return false
			}
		case 'n':
			if !s.literal("null") {
				return false
			}
		default:
			if _, ok := s.number(); !ok {
				return false
			}
		}
		// A value ended: close what it ends, up to the next value.
		for depth > base {
			if !s.ws() {
				return false
			}
			c := d[s.pos]
			s.pos++
			object := s.isObject(depth)
			switch {
			case c == ',':
				if object && (!s.ws() || !s.key()) {
					return false
				}
				continue values
			case object && c == '}', !object && c == ']':
				depth--
			default:
				return false
			}
		}
		return true
	}
}

// key moves past an object key and its colon at s.pos.
func (s *headScanner) key() bool {
	if s.data[s.pos] != '"' {
		return false
	}
	if _, ok := s.str(); !ok {
		return false
	}
	if !s.ws() || s.data[s.pos] != ':' {
		return false
	}
	s.pos++
	return true
}

// literal moves past lit (true, false or null) at s.pos.
func (s *headScanner) literal(lit string) bool {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

// number moves past the number at s.pos and reports whether it is valid
// and whether it is an integer (no fraction, no exponent).
func (s *headScanner) number() (integer, ok bool) {
	d, i := s.data, s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return false, false
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		i = digits(d, i+1)
	default:
		return false, false
	}
	integer = true
	if i < len(d) && d[i] == '.' {
		integer = false
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return false, false
		}
		i = digits(d, i)
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integer = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return false, false
		}
		i = digits(d, i)
	}
	s.pos = i
	return integer, true
}

// digits returns the index of the first byte at or after i that is not a
// digit.
func digits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

// str moves past the string whose opening quote is at s.pos and reports
// whether it is valid and whether it holds escapes.
func (s *headScanner) str() (escaped, ok bool) {
	d := s.data
	i := s.pos + 1
	for {
		// Find the next quote, backslash or control byte, eight bytes
		// at a time, then byte by byte at the end of the data.
		for i+8 <= len(d) {
			if m := specialBytes(binary.LittleEndian.Uint64(d[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto found
			}
			i += 8
		}
		for i < len(d) && d[i] != '"' && d[i] != '\\' && d[i] >= 0x20 {
			i++
		}
		if i >= len(d) {
			return false, false
		}
	found:
		switch d[i] {
		case '"':
			s.pos = i + 1
			return escaped, true
		case '\\':
			escaped = true
			if i+1 >= len(d) {
				return false, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(d)-i < 6 || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return false, false
				}
				i += 6
			default:
				return false, false
			}
		default: // a control character
			return false, false
		}
	}
}

// writeUnquoted writes the text of s, the contents of a JSON string that
// the scanner found valid, to b as encoding/json's unquote makes it:
// escapes resolved, a \u escape of a surrogate that does not pair with the
// next one, and any byte that is not part of valid UTF-8, replaced by
// U+FFFD.
func writeUnquoted(b *strings.Builder, s []byte) {
	for r := 0; r < len(s); {
		switch c := s[r]; {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				rr := hex4(s[r+2:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if len(s)-r >= 6 && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:])); dec != unicode.ReplacementChar {
							r += 6
							b.WriteRune(dec)
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				b.WriteRune(rr)
				continue
			default: // '"', '\\', '/'
				b.WriteByte(s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			if rr == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.Write(s[r : r+size])
			}
			r += size
		}
	}
}

// hex4 returns the value of the four hexadecimal digits that s begins
// with (the scanner checked them).
func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// specialBytes returns, for the eight bytes of w (little endian: the first
// byte lowest), a mask with the top bit of each byte that is a quote, a
// backslash or below 0x20 set. Bits above the lowest set one may be false
// positives (borrows), so only the lowest is to be trusted.
func specialBytes(w uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := w ^ (lo * '"')
	b := w ^ (lo * '\\')
	return (((q - lo) &^ q) | ((b - lo) &^ b) | ((w - lo*0x20) &^ w)) & hi
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
