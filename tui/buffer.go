package tui

import (
	"slices"
	"sort"

	"github.com/beignet/devtools/event"
)

// entry is one event in memory with its filter verdict (computed once, on
// arrival or when the filter changes) and its cached row rendering.
type entry struct {
	seq   int64
	ev    event.Event
	match bool
	rowW  int
	rowG  int
	row   string
}

// buffer is a bounded deque of the events in memory, a contiguous window of
// the event timeline in ID order (the order events were recorded), plus the ascending list of sequence numbers of the
// entries the filter lets through. Pushing at one end when full evicts at the
// other end, so memory stays bounded whichever way the user pages.
type buffer struct {
	cap  int
	buf  []entry // circular, len(buf) grows by doubling up to cap
	head int
	n    int
	// first is the sequence number of the entry at head.
	first int64
	// vis holds the seqs of matching entries, ascending, from visHead on.
	vis     []int64
	visHead int
	// floor bounds the window from below: events older than floor may be
	// missing from memory (evicted, or never paged in), so merge leaves
	// such events to history instead of opening a hole in the window.
	floor event.ID
}

// seqBase is the sequence number of the first event pushed into an empty
// buffer. Paging history in prepends, so numbers go down from there; the
// base keeps them positive, because the model uses -1 for "no selection".
const seqBase = 1 << 40

func newBuffer(capacity int) *buffer {
	if capacity <= 0 {
		capacity = defaultRingSize
	}
	return &buffer{cap: capacity, first: seqBase}
}

func (b *buffer) len() int { return b.n }

func (b *buffer) grow() {
	size := min(b.cap, max(64, 2*len(b.buf)))
	nb := make([]entry, size)
	for i := 0; i < b.n; i++ {
		nb[i] = b.buf[(b.head+i)%len(b.buf)]
	}
	b.buf, b.head = nb, 0
}

// at returns the entry with sequence seq, or nil when it is not in memory.
func (b *buffer) at(seq int64) *entry {
	if b.n == 0 || seq < b.first || seq >= b.first+int64(b.n) {
		return nil
	}
	return &b.buf[(b.head+int(seq-b.first))%len(b.buf)]
}

func (b *buffer) oldest() *entry { return b.at(b.first) }
func (b *buffer) newest() *entry { return b.at(b.first + int64(b.n) - 1) }

// pushBack appends a newer event; when full, the oldest entry is evicted.
func (b *buffer) pushBack(ev event.Event, match bool) {
	b.pushEntry(entry{ev: ev, match: match})
}

// pushFront prepends older events, given newest first (as Older returns
// them). When full, the newest entries are evicted; it reports how many.
func (b *buffer) pushFront(evs []event.Event, match func(*event.Event) bool) (evicted int) {
	var front []int64
	for i := range evs {
		if b.n == b.cap {
			b.evictBack()
			evicted++
		}
		if b.n == len(b.buf) {
			b.grow()
		}
		b.head = (b.head - 1 + len(b.buf)) % len(b.buf)
		b.first--
		m := match(&evs[i])
		b.buf[b.head] = entry{seq: b.first, ev: evs[i], match: m}
		b.n++
		if m {
			front = append(front, b.first)
		}
	}
	if len(front) > 0 {
		// front is descending; reverse and put before vis.
		for i, j := 0, len(front)-1; i < j; i, j = i+1, j-1 {
			front[i], front[j] = front[j], front[i]
		}
		b.vis = append(front, b.vis[b.visHead:]...)
		b.visHead = 0
	}
	return evicted
}

func (b *buffer) evictFront() {
	e := &b.buf[b.head]
	if e.match && b.visHead < len(b.vis) && b.vis[b.visHead] == e.seq {
		b.visHead++
		if b.visHead > 4096 && b.visHead > len(b.vis)/2 {
			b.vis = append(b.vis[:0], b.vis[b.visHead:]...)
			b.visHead = 0
		}
	}
	if e.ev.ID.Compare(b.floor) > 0 {
		b.floor = e.ev.ID
	}
	*e = entry{}
	b.head = (b.head + 1) % len(b.buf)
	b.first++
	b.n--
}

func (b *buffer) evictBack() {
	i := (b.head + b.n - 1) % len(b.buf)
	e := &b.buf[i]
	if e.match && len(b.vis) > b.visHead && b.vis[len(b.vis)-1] == e.seq {
		b.vis = b.vis[:len(b.vis)-1]
	}
	b.buf[i] = entry{}
	b.n--
}

// reset empties the buffer (and releases its memory).
func (b *buffer) reset() {
	*b = buffer{cap: b.cap, first: seqBase}
}

// refilter recomputes every verdict and the visible list.
func (b *buffer) refilter(match func(*event.Event) bool) {
	b.vis = b.vis[:0]
	b.visHead = 0
	for i := 0; i < b.n; i++ {
		e := &b.buf[(b.head+i)%len(b.buf)]
		e.match = match(&e.ev)
		if e.match {
			b.vis = append(b.vis, e.seq)
		}
	}
}

// visLen is the number of entries the filter lets through.
func (b *buffer) visLen() int { return len(b.vis) - b.visHead }

// visAt returns the i-th visible entry (0 = oldest).
func (b *buffer) visAt(i int) *entry {
	if i < 0 || i >= b.visLen() {
		return nil
	}
	return b.at(b.vis[b.visHead+i])
}

// visIndex returns the position of the first visible entry with seq >= s.
func (b *buffer) visIndex(s int64) int {
	v := b.vis[b.visHead:]
	return sort.Search(len(v), func(i int) bool { return v[i] >= s })
}

// visible returns copies of the visible events, oldest first.
func (b *buffer) visible() []event.Event {
	out := make([]event.Event, 0, b.visLen())
	for i := 0; i < b.visLen(); i++ {
		out = append(out, b.visAt(i).ev)
	}
	return out
}

// byRequest returns the events in memory with the given request ID.
func (b *buffer) byRequest(id string) []event.Event {
	var out []event.Event
	if id == "" {
		return out
	}
	for i := 0; i < b.n; i++ {
		e := &b.buf[(b.head+i)%len(b.buf)]
		if e.ev.RequestID == id {
			out = append(out, e.ev)
		}
	}
	return out
}

// entryAt returns the i-th entry in memory (0 = oldest).
func (b *buffer) entryAt(i int) *entry {
	if i < 0 || i >= b.n {
		return nil
	}
	return &b.buf[(b.head+i)%len(b.buf)]
}

// search returns the index of the first entry whose ID is >= id (b.n when
// none): the window is in ID order.
func (b *buffer) search(id event.ID) int {
	return sort.Search(b.n, func(i int) bool { return b.entryAt(i).ev.ID.Compare(id) >= 0 })
}

// seqOf returns the sequence number of the entry with id, or -1.
func (b *buffer) seqOf(id event.ID) int64 {
	if i := b.search(id); i < b.n && b.entryAt(i).ev.ID == id {
		return b.first + int64(i)
	}
	return -1
}

// raiseFloor drops the entries older than id (they stay in history) and
// makes id the floor.
func (b *buffer) raiseFloor(id event.ID) {
	for b.n > 0 && b.oldest().ev.ID.Compare(id) < 0 {
		b.evictFront()
	}
	if id.Compare(b.floor) > 0 {
		b.floor = id
	}
}

// merge adds evs (in ID order) where they belong in the window, so that
// the window stays in ID order whichever source or page they came from.
// The common case, events newer than the newest, appends. An event older
// than the newest is slotted in by taking the entries after it off the
// back and putting them back after it (their sequence numbers change from
// moved on; moved is -1 when nothing moved). Events already in memory and
// events below the floor are skipped. It returns how many matching events
// were added.
func (b *buffer) merge(evs []event.Event, match func(*event.Event) bool) (added int, moved int64) {
	moved = -1
	i := 0
	for i < len(evs) && b.floor.Compare(evs[i].ID) > 0 {
		i++ // below the floor: history has them
	}
	evs = evs[i:]
	if len(evs) == 0 {
		return 0, moved
	}
	// Older than everything in memory: in front.
	if o := b.oldest(); o != nil && evs[0].ID.Compare(o.ev.ID) < 0 {
		j := 0
		for j < len(evs) && evs[j].ID.Compare(o.ev.ID) < 0 {
			j++
		}
		if room := b.cap - b.n; j > room {
			// No room without evicting the newest: keep the newest of
			// them and leave the rest to history.
			b.floor = evs[j-room].ID
			evs, j = evs[j-room:], room
		}
		front := make([]event.Event, j)
		for k := range j {
			front[k] = evs[j-1-k]
			if match(&front[k]) {
				added++
			}
		}
		b.pushFront(front, match)
		evs = evs[j:]
	}
	if len(evs) == 0 {
		return added, moved
	}
	var saved []entry
	if nw := b.newest(); nw != nil && evs[0].ID.Compare(nw.ev.ID) <= 0 {
		// Drop those already in memory first (a replayed page, a
		// duplicate): only the new ones move entries.
		evs = slices.DeleteFunc(slices.Clone(evs), func(e event.Event) bool { return b.seqOf(e.ID) >= 0 })
		if len(evs) == 0 {
			return added, moved
		}
	}
	if nw := b.newest(); nw != nil && evs[0].ID.Compare(nw.ev.ID) <= 0 {
		p := b.search(evs[0].ID)
		moved = b.first + int64(p)
		saved = make([]entry, 0, b.n-p)
		for b.n > p {
			saved = append(saved, *b.newest())
			b.evictBack()
		}
		slices.Reverse(saved)
	}
	var last event.ID
	push := func(e entry) {
		if !last.IsZero() && e.ev.ID == last {
			return
		}
		last = e.ev.ID
		b.pushEntry(e)
	}
	for len(evs) > 0 || len(saved) > 0 {
		if len(saved) > 0 && (len(evs) == 0 || saved[0].ev.ID.Compare(evs[0].ID) <= 0) {
			push(saved[0])
			saved = saved[1:]
			continue
		}
		ok := match(&evs[0])
		if evs[0].ID != last {
			if ok {
				added++
			}
			push(entry{ev: evs[0], match: ok})
		}
		evs = evs[1:]
	}
	return added, moved
}

// pushEntry is pushBack keeping the entry's verdict and cached row.
func (b *buffer) pushEntry(e entry) {
	if b.n == b.cap {
		b.evictFront()
	}
	if b.n == len(b.buf) {
		b.grow()
	}
	e.seq = b.first + int64(b.n)
	b.buf[(b.head+b.n)%len(b.buf)] = e
	b.n++
	if e.match {
		b.vis = append(b.vis, e.seq)
	}
}

// byTrace returns the events in memory with the given trace ID.
func (b *buffer) byTrace(id string) []event.Event {
	var out []event.Event
	if id == "" {
		return out
	}
	for i := 0; i < b.n; i++ {
		e := &b.buf[(b.head+i)%len(b.buf)]
		if e.ev.TraceID == id {
			out = append(out, e.ev)
		}
	}
	return out
}
