package recorder

import (
	"cmp"
	"encoding/binary"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
)

// record is one captured event on its way through the queue. Bodies travel
// raw (capture limit plus slack) and are redacted, then cut, in the
// pipeline.
//
// A middleware record is pooled and carries what the request goroutine
// captured (req, w, body, hdrs), not an event: the pipeline builds the
// event from it (buildRequest). The request goroutine initialises every
// field it uses, so the pipeline does not have to clear them for the next
// request (which would move their cache lines to its core and back).
type record struct {
	// middleware state and capture, written on the request goroutine
	// only, read by the pipeline after the hand-off
	w    responseWriter
	body bodyTee
	req  reqCapture
	// headers flattened on the request goroutine (see appendField): one
	// pooled buffer instead of two map clones; the maps are built in the
	// pipeline.
	hdrs     []byte // request then response headers
	respHdrs int    // where the response headers start in hdrs

	// pooled records come back to the Recorder's pool once processed
	// (middleware records only: nothing outside the request holds them).
	pooled bool

	// the event: allocated with the record by the other producers
	// (newRecord); for a middleware record, lent by the pipeline while it
	// processes the batch, so the pooled record stays small.
	*eventPart

	// flushed, when set, marks a Flush: closed once everything before it
	// was processed. Such a record carries no event.
	flushed chan struct{}

	// queuedBytes is what the record counts against the queue's byte
	// budget while it waits in the queue (Config.QueueBytes).
	queuedBytes int64
}

// captureBytes is the memory the record's captured bodies and headers hold.
func (rec *record) captureBytes() int64 {
	n := cap(rec.hdrs) + cap(rec.w.buf)
	if p := rec.eventPart; p != nil {
		// Transport records: the request body's buffer is reqBody.raw.
		n += cap(p.reqBody.raw) + cap(p.respBody.raw)
	} else {
		n += cap(rec.body.buf)
	}
	return int64(n)
}

// eventPart is the event a record carries and its captured bodies.
type eventPart struct {
	ev       event.Event
	http     event.HTTP
	reqBody  capture
	respBody capture
	// the finished bodies e.HTTP points to (finishBody)
	reqBodyOut, respBodyOut event.Body

	// hmaps is a middleware event's header maps, kept by its stage set's
	// part from batch to batch (reset) and refilled, instead of two maps
	// built and dropped per request: the pipeline's largest source of
	// garbage, whose collection the app's request goroutines help pay for.
	hmaps headerMaps
}

// headerMaps are reusable header maps and the backing of their value
// slices. Nothing holds them after the batch that used them is committed:
// the store and the hub take the encoded bytes.
type headerMaps struct {
	req, resp map[string][]string
	vals      []string
}

// maxReusedHeaders bounds the maps a part keeps: clearing a map costs its
// capacity, and a request with many headers is rare.
const maxReusedHeaders = 32

// reset clears the part for the next batch, keeping its header maps.
func (p *eventPart) reset() {
	h := p.hmaps
	*p = eventPart{}
	for _, m := range [...]*map[string][]string{&h.req, &h.resp} {
		if len(*m) > maxReusedHeaders {
			*m = nil
		} else {
			clear(*m)
		}
	}
	if cap(h.vals) > 2*maxReusedHeaders {
		h.vals = nil
	}
	clear(h.vals)
	h.vals = h.vals[:0]
	p.hmaps = h
}

// newRecord returns a record with its event part, for the producers other
// than the middleware.
func newRecord() *record { return &record{eventPart: &eventPart{}} }

// reqCapture is what the middleware copies off the request when the
// handler returns. Every field is a value or an immutable string, except
// info, which points into the request's infoCtx (immutable once made).
type reqCapture struct {
	info          *reqInfo
	start         time.Time
	durationNs    int64
	status        int
	bytesOut      int64
	contentLength int64
	hasBody       bool
	tls           bool
	ownHdrs       uint8 // response headers left out of hdrs (ownRequestID, ownTraceparent)
	method        string
	route         string
	remoteAddr    string
	host, uri     string
	path          string
	url           *url.URL // a copy, when the URL is absolute or there is no RequestURI (Userinfo is immutable)
	contentType   string   // request Content-Type and Content-Encoding (at the start)
	encoding      string
}

// maxPooledBuf caps the capture buffers a pooled record keeps.
const maxPooledBuf = 4 << 10

func (r *Recorder) getRecord() *record {
	if rec, ok := r.pool.Get().(*record); ok {
		return rec
	}
	return &record{pooled: true}
}

// putRecord returns a processed record to the pool. It clears the event
// (the pipeline's own part), drops oversized buffers and the references
// that would pin the request's connection and context, and leaves the
// rest to the middleware, which initialises what it uses.
func (r *Recorder) putRecord(rec *record) {
	if !rec.pooled {
		return
	}
	rec.eventPart = nil // the pipeline's, cleared by process
	if cap(rec.w.buf) > maxPooledBuf {
		rec.w.buf = nil
	}
	if cap(rec.body.buf) > maxPooledBuf {
		rec.body.buf = nil
	}
	if cap(rec.hdrs) > maxPooledBuf {
		rec.hdrs = nil
	}
	rec.w.w = nil
	rec.body.rc = nil
	rec.req.info, rec.req.url = nil, nil
	r.pool.Put(rec)
}

// capture is a body as captured: raw bytes up to the capture limit plus
// slack, its full size, and whether raw holds all of it.
type capture struct {
	present     bool
	contentType string
	encoding    string // Content-Encoding: anything but identity makes it binary
	raw         []byte
	size        int64
	partial     bool // the reader stopped before the end: size is a lower bound
}

// linger is how long the prepare stage lets a partial batch's successors
// accumulate before looking again. Under load this turns one wake-up per
// event (a futex call on the request goroutine's side) and one published
// frame per event into one per linger. It is short because the prepare
// stage publishes: a console sees an event at most a linger (plus its
// batch's preparation) after it happened. An idle pipeline blocks on the
// queue and takes a lone event at once.
const linger = 5 * time.Millisecond

// commitEvery is the least time between the starts of two commits while
// batches keep coming (the commit stage gathers what comes meanwhile into
// one transaction). A commit costs about the same CPU whether it writes 5
// events or 500 (two fdatasyncs, about 120 µs of system time each on a
// virtual machine, the meta and freelist pages, the retention and
// index-sweep steps), so at a few thousand events a second one commit per
// linger spent more CPU per event on commits than on redacting and
// encoding them. 40 ms rather than 20: in profiles of the load test (about
// 14,000 events/s at the 100k-event cap) the commit stage cost 6.6 µs per
// event at 20 ms and 6.1 µs at 40 ms; longer windows save less and widen
// what a crash loses (see the package doc's Caveats). A batch after a
// quiet spell, and one carrying a Flush, is committed at once; store
// readers wait for at most one commit (see commitMark).
const commitEvery = 40 * time.Millisecond

// run is the pipeline's first stage: it takes records off the queue in
// batches, prepares them (stamp, redact, encode) and publishes them to the
// live hub; the second stage, commitLoop, stores the prepared batches, in
// order, while this one prepares the next ones. The store's fsync and the
// app's CPU work overlap instead of taking turns, and a console's live
// latency does not include the store.
func (r *Recorder) run() {
	pool := newSetPool(pipelineSets, cmp.Or(r.inFlightBytes, maxInFlightBytes))
	commits := make(chan *stageSet, pipelineSets) // never full: there are only pipelineSets sets
	committed := make(chan struct{})
	go r.commitLoop(commits, pool, committed)
	defer func() {
		close(commits)
		<-committed
		close(r.done)
	}()
	batch := make([]*record, 0, maxBatch)
	flush := func() {
		if r.processHook != nil {
			r.processHook(batch)
			for _, rec := range batch {
				if rec.flushed != nil {
					close(rec.flushed)
				}
			}
		} else {
			set := pool.get() // waits while the commit stage holds every set, or too many bytes
			if r.prepare(set, batch) {
				pool.hold(set)
				if r.handoffHook != nil {
					r.handoffHook()
				}
				commits <- set
			} else {
				pool.put(set)
			}
		}
		for _, rec := range batch {
			r.putRecord(rec)
		}
		clear(batch)
		batch = batch[:0]
	}
	final := func() {
		for !r.abort.Load() {
			batch = r.drain(batch)
			if len(batch) == 0 {
				return
			}
			flush()
		}
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select { // idle: wait for the first event
		case rec := <-r.queue:
			r.dequeued(rec)
			batch = append(batch, rec)
		case <-r.quit:
			final()
			return
		}
		for {
			batch = r.drain(batch)
			full := len(batch) == maxBatch
			flush()
			if full {
				continue
			}
			timer.Reset(linger)
			select {
			case <-r.quit:
				timer.Stop()
				final()
				return
			case <-timer.C:
			}
			if len(r.queue) == 0 {
				break
			}
		}
	}
}

func (r *Recorder) drain(batch []*record) []*record {
	for len(batch) < maxBatch {
		select {
		case rec := <-r.queue:
			r.dequeued(rec)
			batch = append(batch, rec)
		default:
			return batch
		}
	}
	return batch
}

// prepared is a batch ready for the store: stamped, redacted and encoded
// events, and the Flush calls waiting for it.
type prepared struct {
	events  []event.Event
	encs    [][]byte
	flushes []chan struct{}
	// kept is set when something outside the pipeline kept an encoded
	// event (a subscriber's queue, a test sink): the set's arena then
	// cannot be reused.
	kept bool
	// seq is the batch's sequence number once published (0: nothing was);
	// the commit stage marks it committed (commitMark).
	seq uint64
}

// pipelineSets is the number of batches in flight: prepared and published
// by the first stage, not yet committed by the second. While the store is
// slow (fsync), the first stage goes on with further sets, and the commit
// stage then stores all those waiting in one transaction (a group commit):
// a commit costs about as much for 2,000 events as for 250, so the
// pipeline's throughput follows the store's latency instead of being
// capped at maxBatch per commit. When every set is waiting, the first
// stage waits for one and the queue absorbs the rest.
const pipelineSets = 16

// maxInFlightBytes bounds the encoded events held by the sets in flight,
// as pipelineSets bounds their number: 16 sets of 256 ordinary events hold
// a few MiB, but with bodies near the 64 KiB limit they would hold over
// 500 MiB while the store is slow. Past it, the first stage waits for the
// commit stage (which then commits without waiting for its pace), and the
// queue, bounded by Config.QueueBytes, absorbs the rest. One set is always
// allowed, whatever its size.
const maxInFlightBytes = 64 << 20

// stageSet is what one batch in flight uses: the event parts lent to its
// middleware records and its prepared lists. The first stage fills a free
// one, the second stage commits it and frees it (setPool).
type stageSet struct {
	parts []eventPart
	lent  int
	p     prepared
	held  int64      // bytes of p.encs counted against the pool's budget
	arena batchArena // the memory of the batch's encoded events
	// text holds the strings the pipeline builds for the batch's request
	// events (header text, URL, name, body text), and paths the events'
	// Redacted lists. Once the batch is encoded and stored, nothing reads
	// the events (the store and the hub keep the encoded bytes), so both
	// are reused for the set's next batch.
	text  batchArena
	paths []string
}

// prepare stamps, redacts and encodes one batch into set, a free one
// (nothing else holds it: the commit stage freed it after committing its
// last batch), publishes it, and reports whether there is something to
// commit (events or Flush calls).
func (r *Recorder) prepare(set *stageSet, batch []*record) bool {
	if set.parts == nil {
		set.parts = make([]eventPart, maxBatch)
	}
	for i := range set.parts[:set.lent] {
		set.parts[i].reset()
	}
	set.lent = 0
	p := &set.p
	if p.kept {
		set.arena.drop()
	} else {
		set.arena.rewind() // nobody holds the last batch's events: reuse
	}
	p.kept, p.seq = false, 0
	clear(set.paths)
	var text *batchArena // nil: strings on the heap
	if r.sink != nil {
		set.text.drop() // a test's sink may keep the events themselves
		set.paths = nil
	} else {
		set.text.rewind()
		set.paths = set.paths[:0]
		if !r.redactor.HasHook() { // a hook is given the strings and may keep them
			text = &set.text
		}
	}
	clear(p.events)
	clear(p.encs)
	clear(p.flushes)
	p.events, p.encs, p.flushes = p.events[:0], p.encs[:0], p.flushes[:0]
	now := r.now()
	for _, rec := range batch {
		if rec.flushed != nil {
			p.flushes = append(p.flushes, rec.flushed)
			continue
		}
		if rec.req.info != nil {
			rec.eventPart = &set.parts[set.lent]
			set.lent++
			buildRequest(rec, text)
		}
		e := &rec.ev
		e.Stamp(r.ids, now)
		if e.App == "" {
			e.App = r.app
		}
		if e.Instance == "" {
			e.Instance = r.instance
		}
		start := len(set.paths)
		if rec.req.info != nil {
			set.paths = r.redactor.AppendEventOwned(set.paths, e) // buildRequest made its HTTP part
		} else {
			set.paths = r.redactor.AppendEvent(set.paths, e)
		}
		if e.HTTP != nil {
			if b, red := r.finishBody(&rec.reqBody, &rec.reqBodyOut, text); b != nil {
				e.HTTP.RequestBody = b
				if red {
					set.paths = append(set.paths, "http.requestBody")
				}
			}
			if b, red := r.finishBody(&rec.respBody, &rec.respBodyOut, text); b != nil {
				e.HTTP.ResponseBody = b
				if red {
					set.paths = append(set.paths, "http.responseBody")
				}
			}
		}
		if ps := set.paths[start:]; len(ps) > 0 {
			slices.Sort(ps)
			ps = slices.Compact(ps)
			e.Redacted = ps[:len(ps):len(ps)]
			set.paths = set.paths[:start+len(ps)]
		}
		var enc []byte
		var err error
		if r.fastEncode {
			r.encScratch, err = encodeEvent(r.encScratch[:0], e)
			enc = set.arena.copy(r.encScratch)
			if cap(r.encScratch) > maxScratch {
				r.encScratch = nil
			}
		} else {
			enc, err = event.Marshal(e)
		}
		if err != nil {
			r.encodeErrors.Add(1)
			continue
		}
		p.events = append(p.events, *e)
		p.encs = append(p.encs, enc)
	}
	if len(p.events) == 0 && len(p.flushes) == 0 {
		return false
	}
	r.publish(p)
	return true
}

// publish hands a prepared batch's events to the live hub, before the
// commit stage stores them: a console sees an event without waiting for
// the store's commit (see commitMark, which makes store readers wait for
// what was published before them).
func (r *Recorder) publish(p *prepared) {
	p.kept = r.sink != nil // a test's sink may keep what it is given
	if len(p.events) == 0 {
		return
	}
	// Marked before the first event goes out: a reader that saw one of
	// them live must find the batch pending.
	r.batchSeq++
	p.seq = r.batchSeq
	r.mark.publish(p.seq)
	for i := range p.events {
		e := &p.events[i]
		// enc is never modified; it is the pipeline's again (its arena
		// is reused) only if no subscriber kept it.
		if r.hub.PublishOwned(e.ID, e.Kind, e.RequestID, p.encs[i]) {
			p.kept = true
		}
	}
	r.published.Add(uint64(len(p.events)))
}

// setPool holds the free stage sets, most recently freed first, so that a
// pipeline that needs few sets at a time keeps using the same (warm, and
// no more grown than needed) ones. It also keeps the bytes the sets in
// flight hold under a budget (see maxInFlightBytes).
type setPool struct {
	mu     sync.Mutex
	free   []*stageSet
	n      int           // sets in all
	budget int64         // bytes the sets in flight may hold
	held   int64         // bytes they hold
	avail  chan struct{} // capacity 1: a set was freed
}

func newSetPool(n int, budget int64) *setPool {
	sets := make([]stageSet, n)
	p := &setPool{free: make([]*stageSet, n), n: n, budget: budget, avail: make(chan struct{}, 1)}
	for i := range sets {
		p.free[n-1-i] = &sets[i]
	}
	return p
}

// get returns a free set, waiting for the commit stage to free one when
// it holds them all, or when the sets it holds are over the budget.
func (p *setPool) get() *stageSet {
	for {
		p.mu.Lock()
		if n := len(p.free); n > 0 && (p.held < p.budget || n == p.n) {
			s := p.free[n-1]
			p.free = p.free[:n-1]
			p.mu.Unlock()
			return s
		}
		p.mu.Unlock()
		<-p.avail
	}
}

// hold counts the encoded events of s, prepared and about to go to the
// commit stage, against the budget.
func (p *setPool) hold(s *stageSet) {
	var n int64
	for _, enc := range s.p.encs {
		n += int64(len(enc))
	}
	p.mu.Lock()
	s.held = n
	p.held += n
	p.mu.Unlock()
}

// over reports whether the sets in flight hold the budget or more: the
// first stage is waiting, or will, for the commit stage.
func (p *setPool) over() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held >= p.budget
}

// put frees s.
func (p *setPool) put(s *stageSet) {
	p.mu.Lock()
	p.held -= s.held
	s.held = 0
	p.free = append(p.free, s)
	p.mu.Unlock()
	select {
	case p.avail <- struct{}{}:
	default:
	}
}

// maxScratch caps the encoding buffer the first stage keeps between events.
const maxScratch = 256 << 10

// batchArena hands out the memory of a batch's encoded events (or of its
// events' strings) in chunks: one allocation for dozens of events, each
// sized exactly, instead of one per event with room to grow. What is put
// in it is never modified (the store and the hub keep encoded events as
// they are), so events share chunks.
//
// When the batch is committed and nothing kept any of its events (no
// console was subscribed: the usual case while nobody watches), the
// chunks are reused for the set's next batch (rewind), and encoding
// allocates nothing; otherwise they are left to their holders (drop).
type batchArena struct {
	chunks [][]byte // in use for this batch, the last one being filled
	spare  [][]byte // rewound, to be filled again
}

const (
	arenaChunk     = 32 << 10 // the largest small-object size class
	arenaOwn       = 4 << 10  // larger pieces get their own allocation
	maxArenaChunks = 64       // chunks an arena keeps for reuse (2 MiB)
)

// grab returns n bytes to append to (length 0, capacity n): arena memory,
// or a new allocation when a is nil or n is large.
func (a *batchArena) grab(n int) []byte {
	if a == nil || n > arenaOwn {
		return make([]byte, 0, n)
	}
	k := len(a.chunks)
	if k == 0 || cap(a.chunks[k-1])-len(a.chunks[k-1]) < n {
		var c []byte
		if s := len(a.spare); s > 0 {
			c, a.spare = a.spare[s-1][:0], a.spare[:s-1]
		} else {
			c = make([]byte, 0, arenaChunk)
		}
		a.chunks = append(a.chunks, c)
		k++
	}
	c := &a.chunks[k-1]
	start := len(*c)
	*c = (*c)[:start+n]
	return (*c)[start : start : start+n]
}

// copy returns a copy of b in the arena, with no spare capacity.
func (a *batchArena) copy(b []byte) []byte { return append(a.grab(len(b)), b...) }

// str returns a string holding a copy of b: in the arena, or on the heap
// when a is nil.
func (a *batchArena) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	c := a.copy(b)
	return unsafe.String(&c[0], len(c))
}

// concat returns the concatenation of ss as str does.
func (a *batchArena) concat(ss ...string) string {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	if n == 0 {
		return ""
	}
	c := a.grab(n)
	for _, s := range ss {
		c = append(c, s...)
	}
	return unsafe.String(&c[0], n)
}

// rewind makes every chunk available again: nothing holds what they hold.
func (a *batchArena) rewind() {
	for _, c := range a.chunks {
		if len(a.spare) < maxArenaChunks {
			a.spare = append(a.spare, c)
		}
	}
	clear(a.chunks)
	a.chunks = a.chunks[:0]
}

// drop forgets the chunks in use, which their holders may still read; the
// spare ones stay.
func (a *batchArena) drop() {
	clear(a.chunks)
	a.chunks = a.chunks[:0]
}

// commitLoop is the pipeline's second stage: it commits the prepared
// sets in the order they come, every set waiting at once in one
// transaction (see pipelineSets), at most one commit per commitEvery while
// batches keep coming, frees them, and closes committed when commits is
// closed and drained.
func (r *Recorder) commitLoop(commits <-chan *stageSet, pool *setPool, committed chan<- struct{}) {
	defer close(committed)
	failing := false
	group := make([]*stageSet, 0, pipelineSets)
	pace := time.NewTimer(time.Hour)
	pace.Stop()
	var last time.Time // when the last commit began
	for set := range commits {
		group = append(group[:0], set)
		if wait := commitEvery - time.Since(last); wait > 0 && len(set.p.flushes) == 0 && !pool.over() {
			// Gather what comes until commitEvery has passed, every set
			// is here or the budget is held (the prepare stage would
			// wait), or a Flush waits.
			pace.Reset(wait)
		gather:
			for len(group) < pipelineSets {
				select {
				case s, ok := <-commits:
					if !ok {
						break gather
					}
					group = append(group, s)
					if len(s.p.flushes) > 0 || pool.over() {
						break gather
					}
				case <-pace.C:
					break gather
				}
			}
			pace.Stop()
		}
	more:
		for len(group) < pipelineSets {
			select {
			case s, ok := <-commits:
				if !ok {
					break more
				}
				group = append(group, s)
			default:
				break more
			}
		}
		last = time.Now()
		r.commit(group, &failing)
		for i, s := range group {
			pool.put(s)
			group[i] = nil
		}
	}
}

// groupScratch is the commit stage's room for joining the batches of a
// group commit.
type groupScratch struct {
	events []event.Event
	encs   [][]byte
}

// maxGroupScratch caps the events the joined lists keep between commits.
const maxGroupScratch = 4 * maxBatch

// commit stores a group of prepared (and already published) batches in
// one transaction, offers them to the exporters, marks them committed,
// and then releases the Flush calls that waited for them.
func (r *Recorder) commit(group []*stageSet, failing *bool) {
	var seq uint64
	for _, set := range group {
		seq = max(seq, set.p.seq)
	}
	defer func() {
		if seq != 0 {
			r.mark.commit(seq)
		}
		for _, set := range group {
			for _, c := range set.p.flushes {
				close(c)
			}
		}
	}()
	var events []event.Event
	var encs [][]byte
	switch {
	case len(group) == 1:
		events, encs = group[0].p.events, group[0].p.encs
	case r.sink != nil:
		// A test's sink may keep the lists: fresh ones.
		for _, set := range group {
			events = append(events, set.p.events...)
			encs = append(encs, set.p.encs...)
		}
	default:
		g := &r.group
		for _, set := range group {
			g.events = append(g.events, set.p.events...)
			g.encs = append(g.encs, set.p.encs...)
		}
		events, encs = g.events, g.encs
		defer func() {
			clear(g.events) // the events' strings are the sets' to reuse
			clear(g.encs)
			g.events, g.encs = g.events[:0], g.encs[:0]
			if cap(g.events) > maxGroupScratch {
				g.events, g.encs = nil, nil
			}
		}()
	}
	if len(events) == 0 {
		return
	}
	var err error
	switch st := r.openStore(r.now()); {
	case r.sink != nil:
		err = r.sink(events, encs)
	case st == nil:
		err = errNoStore
	default:
		err = st.AppendEncoded(events, encs)
	}
	if err != nil {
		r.storeErrors.Add(1)
		r.storeFailed.Add(uint64(len(events)))
		if err != errNoStore {
			r.setStoreErr(err)
		}
		if !*failing {
			*failing = true
			// Store errors describe the store, not event content; pass
			// them through the redactor anyway.
			msg, _ := r.redactor.String(err.Error())
			r.log.Warn("recorder: store write failed; events are still streamed live and requests keep being served", "error", msg, "events", len(events))
		}
	} else {
		r.recorded.Add(uint64(len(events)))
		r.setStoreErr(nil)
		if *failing {
			*failing = false
			r.log.Info("recorder: store writes recovered", "failedBatches", r.storeErrors.Load())
		}
	}
	for _, set := range group {
		r.offerExport(set.p.encs) // copies: never waits
	}
}

// errNoStore: the store could not be opened (yet); Stats.StoreError says why.
var errNoStore = errors.New("recorder: store unavailable")

// openStore returns the store, trying to open it again (with backoff) when
// the recorder owns it and it could not be opened so far. A retry waits at
// most a moment for the file lock, so the pipeline is not held up.
func (r *Recorder) openStore(now time.Time) *store.Store {
	if st := r.st.Load(); st != nil || !r.ownStore || r.closed.Load() && r.abort.Load() {
		return st
	}
	if now.Before(r.reopenAt) {
		return nil
	}
	r.openMu.Lock() // Handler may be opening it (see openDeferred)
	defer r.openMu.Unlock()
	if st := r.st.Load(); st != nil {
		return st
	}
	r.reopenBackoff = min(max(2*r.reopenBackoff, time.Second), 15*time.Second)
	r.reopenAt = now.Add(r.reopenBackoff)
	opts := r.stOpts
	if opts.Timeout <= 0 || opts.Timeout > 100*time.Millisecond {
		opts.Timeout = 100 * time.Millisecond
	}
	st, err := store.Open(r.stPath, opts)
	if err != nil {
		r.setStoreErr(err)
		return nil
	}
	r.reopenBackoff = 0
	r.st.Store(st)
	r.log.Info("recorder: store opened", "path", st.Path())
	return st
}

// finishBody redacts a captured body and cuts it to the body limit at a
// UTF-8 boundary, and reports whether redaction changed it. Redaction runs
// on the capture with its slack, so a secret that straddles the limit is
// replaced before the cut. The body's text is copied into text (see
// batchArena.str).
func (r *Recorder) finishBody(c *capture, b *event.Body, text *batchArena) (_ *event.Body, redacted bool) {
	if !c.present {
		return nil, false
	}
	ct := c.contentType
	*b = event.Body{ContentType: ct, Size: c.size}
	if c.size < int64(len(c.raw)) {
		b.Size = int64(len(c.raw))
	}
	if ct == "" && len(c.raw) > 0 {
		ct = http.DetectContentType(c.raw)
		b.ContentType = ct
	}
	if r.bodyLimit < 0 || len(c.raw) == 0 && b.Size > 0 && ct == "" {
		b.Truncated = b.Size > 0 // capture disabled, or the handler read nothing
		return b, false
	}
	if c.encoding != "" && !strings.EqualFold(c.encoding, "identity") || !isText(ct) {
		b.Binary = true // size and type only
		return b, false
	}
	if len(c.raw) == 0 {
		b.Truncated = b.Size > 0 // nothing of it was read
		return b, false
	}
	truncated := int64(len(c.raw)) < b.Size || c.partial
	// The body's one copy. The redactor reports paths inside the body;
	// the event reports the body itself.
	red, paths := r.redactor.BodyString(ct, text.str(c.raw), truncated)
	if len(red) > r.bodyLimit {
		red = cutUTF8(red, r.bodyLimit)
		truncated = true
	}
	b.Text = red
	b.Truncated = truncated
	return b, len(paths) > 0
}

// cutUTF8 returns b cut to at most n bytes without splitting a rune.
func cutUTF8[T ~string | ~[]byte](b T, n int) T {
	if len(b) <= n {
		return b
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(b[i]) {
		i--
	}
	return b[:i]
}

// isText reports whether a content type is text-like enough to keep.
func isText(ct string) bool {
	switch ct { // the usual ones, as handlers set them
	case "application/json", "application/json; charset=utf-8", "text/plain; charset=utf-8",
		"text/html; charset=utf-8", "text/event-stream":
		return true
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.ToLower(strings.TrimSpace(ct))
	switch {
	case ct == "":
		return false
	case strings.HasPrefix(ct, "text/"):
		return true
	case strings.HasSuffix(ct, "+json"), strings.HasSuffix(ct, "+xml"):
		return true
	}
	switch ct {
	case "application/json", "application/xml", "application/x-www-form-urlencoded",
		"application/javascript", "application/ecmascript", "application/graphql",
		"application/x-ndjson", "application/ndjson", "application/jsonl",
		"application/problem+json", "application/x-yaml", "application/yaml",
		"application/toml", "application/csp-report", "application/soap+xml":
		return true
	}
	return false
}

// binaryType reports, cheaply on the request goroutine, that a declared
// content type is definitely not text, so capture can skip copying bytes.
func binaryType(ct string) bool {
	return ct != "" && !isText(ct)
}

// buildRequest builds a middleware record's event from what the request
// goroutine captured: IDs, URL, name, header maps and body captures are
// assembled here, off the request path (and redacted afterwards with the
// rest of the event). The strings it makes are in text (see
// batchArena.str).
func buildRequest(rec *record, text *batchArena) {
	c := &rec.req
	e := &rec.ev
	hp := &rec.http
	e.Kind = event.KindRequest
	e.Time = c.start
	e.DurationNs = c.durationNs
	e.RequestID = c.info.requestID
	e.TraceID = c.info.traceID()
	e.SpanID = c.info.spanID()
	e.ParentSpanID = c.info.parentSpan
	e.Status = c.status
	hp.Method = c.method
	hp.Route = c.route
	hp.Status = c.status
	hp.BytesOut = c.bytesOut
	hp.RemoteAddr = c.remoteAddr
	hm := &rec.hmaps
	if hm.req == nil {
		hm.req = make(map[string][]string, 8)
	}
	if hm.resp == nil {
		hm.resp = make(map[string][]string, 8)
	}
	all := text.str(rec.hdrs) // one string for every name and value
	hm.vals = parseHeaders(hm.req, hm.vals, all[:rec.respHdrs])
	hm.vals = parseHeaders(hm.resp, hm.vals, all[rec.respHdrs:])
	if c.ownHdrs&ownRequestID != 0 {
		hm.vals = addHeader(hm.resp, hm.vals, "X-Request-Id", c.info.requestID)
	}
	if c.ownHdrs&ownTraceparent != 0 {
		hm.vals = addHeader(hm.resp, hm.vals, "Traceparent", c.info.traceparent())
	}
	if len(hm.req) > 0 {
		hp.RequestHeaders = hm.req
	}
	if len(hm.resp) > 0 {
		hp.ResponseHeaders = hm.resp
	}
	e.HTTP = hp
	if c.url != nil {
		hp.URL = c.url.String()
	} else {
		scheme := "http://"
		if c.tls {
			scheme = "https://"
		}
		hp.URL = text.concat(scheme, c.host, c.uri)
	}
	route := hp.Route
	switch {
	case route == "":
		e.Name = text.concat(hp.Method, " ", c.path)
	case strings.HasPrefix(route, hp.Method+" "):
		e.Name = route
	case strings.IndexByte(route, ' ') >= 0:
		e.Name = route // "METHOD host/path" of another method set (HEAD via GET)
	default:
		e.Name = text.concat(hp.Method, " ", route)
	}
	if c.hasBody {
		t := &rec.body
		size := max(t.n, c.contentLength)
		hp.BytesIn = size
		rec.reqBody = capture{
			present:     true,
			size:        size,
			raw:         t.buf,
			contentType: c.contentType,
			encoding:    c.encoding,
		}
	}
	if rw := &rec.w; rw.bytes > 0 {
		rec.respBody = capture{
			present:     true,
			size:        rw.bytes,
			raw:         rw.buf,
			contentType: rw.contentType,
			encoding:    rw.encoding,
		}
	}
}

// reqHeaders are the first values of the request headers the middleware
// reads (strings: immutable).
type reqHeaders struct {
	contentType, encoding, traceparent, requestID string
}

// appendRequestHeader copies a header's names and values into dst as
// bytes (appendField; a pointer-free copy: the request
// goroutine writes no pointers, hence no GC write barriers, and the pooled
// buffer is never scanned) that also returns the first values of the
// request headers the middleware needs, saving four lookups.
func appendRequestHeader(dst []byte, h map[string][]string) ([]byte, reqHeaders) {
	var rh reqHeaders
	for k, vs := range h {
		if len(vs) > 0 {
			switch k {
			case "Content-Type":
				rh.contentType = vs[0]
			case "Content-Encoding":
				rh.encoding = vs[0]
			case "Traceparent":
				rh.traceparent = vs[0]
			case "X-Request-Id":
				rh.requestID = vs[0]
			}
		}
		for _, v := range vs {
			dst = appendField(dst, k, v)
		}
	}
	return dst, rh
}

// Headers of the response that appendResponseHeader leaves out because
// they still hold the middleware's values (see buildRequest).
const (
	ownRequestID = 1 << iota
	ownTraceparent
)

// appendResponseHeader is appendRequestHeader for the response, except for
// X-Request-Id and Traceparent when they still hold exactly the values the
// middleware set (info's): those are flagged in own instead of copied.
func appendResponseHeader(dst []byte, h map[string][]string, info *reqInfo) (_ []byte, own uint8) {
	for k, vs := range h {
		if len(vs) == 1 {
			switch {
			case k == "X-Request-Id" && vs[0] == info.requestID:
				own |= ownRequestID
				continue
			case k == "Traceparent" && vs[0] == info.traceparent():
				own |= ownTraceparent
				continue
			}
		}
		for _, v := range vs {
			dst = appendField(dst, k, v)
		}
	}
	return dst, own
}

// appendField appends a header name and value: each as its uvarint
// length, then its bytes (parseHeaders reads them back).
func appendField(dst []byte, k, v string) []byte {
	if len(k) < 0x80 && len(v) < 0x80 { // one-byte uvarints
		dst = append(dst, byte(len(k)))
		dst = append(dst, k...)
		dst = append(dst, byte(len(v)))
		return append(dst, v...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(k)))
	dst = append(dst, k...)
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...)
}

// parseHeaders adds the fields of appendField's bytes (as a string: the
// names and values are substrings of it) to m, whose value slices it
// appends to vals, and returns vals. Bytes that do not parse (which
// appendField does not write) end the parse.
func parseHeaders(m map[string][]string, vals []string, b string) []string {
	for pos := 0; pos < len(b); {
		k, p1, ok1 := headerField(b, pos)
		v, p2, ok2 := headerField(b, p1)
		if !ok1 || !ok2 {
			break
		}
		pos = p2
		vals = addHeader(m, vals, k, v)
	}
	return vals
}

// addHeader adds the value v of header k to m; a first value's slice is
// cut from vals, which it returns.
func addHeader(m map[string][]string, vals []string, k, v string) []string {
	if vs, dup := m[k]; dup {
		m[k] = append(vs, v) // vs has no spare capacity: this copies
		return vals
	}
	vals = append(vals, v)
	i := len(vals) - 1
	m[k] = vals[i : i+1 : i+1]
	return vals
}

// headerField reads one uvarint-prefixed string at pos.
func headerField(b string, pos int) (string, int, bool) {
	var n uint64
	var shift uint
	for i := pos; i < len(b) && i-pos < binary.MaxVarintLen64; i++ {
		c := b[i]
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			start := i + 1
			if uint64(len(b)-start) < n {
				return "", pos, false
			}
			return b[start : start+int(n)], start + int(n), true
		}
		shift += 7
	}
	return "", pos, false
}
