package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/benchbase"
	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/redaction"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

// stalledSink is a store sink that holds its first write until released
// and keeps the names of what it stored, and a handoff hook; with stall,
// they stop the whole pipeline on purpose.
type stalledSink struct {
	entered  chan struct{} // the first write began
	handoffs chan struct{} // the prepare stage handed a batch over
	release  chan struct{}
	once     sync.Once
	// handedOff counts the prepare stage's hand-overs; from the second
	// one on it waits for release.
	handedOff atomic.Int64
	stored    atomic.Int64
	mu        sync.Mutex
	names     []string
}

// storedNames returns the names of the stored events, in order.
func (s *stalledSink) storedNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.names)
}

func newStalledSink() *stalledSink {
	return &stalledSink{entered: make(chan struct{}, 1), handoffs: make(chan struct{}, 16), release: make(chan struct{})}
}

func (s *stalledSink) unblock() { s.once.Do(func() { close(s.release) }) }

func (s *stalledSink) hooks() hooks {
	return hooks{
		sink: func(evs []event.Event, _ [][]byte) error {
			select {
			case s.entered <- struct{}{}:
				<-s.release
			default:
			}
			s.mu.Lock()
			for _, e := range evs {
				s.names = append(s.names, e.Name)
			}
			s.mu.Unlock()
			s.stored.Add(int64(len(evs)))
			return nil
		},
		handoff: func() {
			select {
			case s.handoffs <- struct{}{}:
			default:
			}
			if s.handedOff.Add(1) >= 2 {
				// The commit stage would take this batch while it holds
				// the first one in the store write; the prepare stage
				// could then go on with further sets. Hold it here, so
				// that the queue is all the callers have.
				<-s.release
			}
		},
	}
}

// stall records "first" and "second" and returns once the commit stage
// holds "first" in the store write and the prepare stage has prepared
// "second" and waits to hand it over: from then on the queue is all the
// callers have.
func (s *stalledSink) stall(t *testing.T, r *Recorder) {
	t.Helper()
	// Cleanups run last-in first-out: this one, registered after the
	// recorder's, releases the store before the recorder's Close waits
	// for it, also when the test fails.
	t.Cleanup(s.unblock)
	ctx := context.Background()
	r.Event(ctx, event.KindCustom, "first", nil)
	<-s.entered
	<-s.handoffs // "first"'s
	r.Event(ctx, event.KindCustom, "second", nil)
	<-s.handoffs
}

// TestQueueFullDrops blocks the pipeline inside a store write, fills the
// queue and checks that every event beyond its capacity is dropped and
// counted while the callers never wait.
func TestQueueFullDrops(t *testing.T) {
	const qs = 8
	ss := newStalledSink()
	r := newTestRecorderHooks(t, Config{QueueSize: qs}, ss.hooks())
	ctx := context.Background()
	ss.stall(t, r)
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {}))
	const extra = 100
	start := time.Now()
	for i := range extra {
		if i%2 == 0 {
			r.Event(ctx, event.KindCustom, "more", nil)
		} else {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("callers waited on a full queue: %v", d)
	}
	st := r.Stats()
	if st.Dropped != extra-qs || st.Queued != qs {
		t.Fatalf("dropped %d queued %d, want %d and %d", st.Dropped, st.Queued, extra-qs, qs)
	}
	ss.unblock()
	flush(t, r)
	st = r.Stats()
	if st.Recorded != 2+qs || ss.stored.Load() != 2+qs || st.Dropped != extra-qs || st.Published != 2+qs {
		t.Fatalf("after release: %+v (stored %d)", st, ss.stored.Load())
	}
}

// TestDroppedRequestCostsNoRecord checks that a request dropped on a full
// queue gives its record back: under overload most requests are dropped,
// and each must cost no more than the request context (one allocation).
func TestDroppedRequestCostsNoRecord(t *testing.T) {
	ss := newStalledSink()
	r := newTestRecorderHooks(t, Config{QueueSize: 1}, ss.hooks())
	ss.stall(t, r)
	r.Event(context.Background(), event.KindCustom, "fills the queue", nil)
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {}))
	req := httptest.NewRequest("GET", "/notes/1", nil)
	req.Header.Set("Accept", "application/json")
	w := &benchbase.Writer{}
	h.ServeHTTP(w, req) // warm the pool
	before := r.Stats().Dropped
	allocs := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, req) })
	if dropped := r.Stats().Dropped - before; dropped < 200 {
		t.Fatalf("dropped %d requests, want every one of 200+", dropped)
	}
	if allocs > 1 {
		t.Fatalf("a dropped request allocates %v times, want 1 (its context)", allocs)
	}
}

// TestQueueBytesBudget blocks the pipeline and sends requests with large
// bodies: the queue takes them only while their captures fit QueueBytes,
// drops and counts the rest, and gives the budget back as the pipeline
// takes them.
func TestQueueBytesBudget(t *testing.T) {
	const budget = 20 << 10
	ss := newStalledSink()
	r := newTestRecorderHooks(t, Config{QueueSize: 1000, QueueBytes: budget}, ss.hooks())
	ss.stall(t, r)
	body := strings.Repeat("x", 6<<10)
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	const sent = 20
	for range sent {
		req := httptest.NewRequest("POST", "/upload", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/plain")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	st := r.Stats()
	if st.QueuedBytes > budget || st.QueuedBytes < 2*6<<10 {
		t.Fatalf("queued bytes %d, want between two bodies and the budget %d", st.QueuedBytes, budget)
	}
	if st.Queued+int(st.Dropped) != sent || st.Dropped == 0 || st.Queued < 2 {
		t.Fatalf("queued %d dropped %d of %d", st.Queued, st.Dropped, sent)
	}
	if st.QueueBytes != budget {
		t.Fatalf("Stats.QueueBytes %d", st.QueueBytes)
	}
	queued := st.Queued
	ss.unblock()
	flush(t, r)
	st = r.Stats()
	if st.QueuedBytes != 0 || ss.stored.Load() != int64(2+queued) {
		t.Fatalf("after release: queued bytes %d, stored %d, want 0 and %d", st.QueuedBytes, ss.stored.Load(), 2+queued)
	}
}

// TestPrepareOverlapsCommit holds a store write and checks that the
// pipeline meanwhile takes the next batch off the queue and prepares it
// (the fsync and the next batch's redaction overlap), and that the store
// still gets every event once, in order.
func TestPrepareOverlapsCommit(t *testing.T) {
	ss := newStalledSink()
	r := newTestRecorderHooks(t, Config{QueueSize: 100}, ss.hooks())
	t.Cleanup(ss.unblock) // before the recorder's Close, also on failure
	ctx := context.Background()
	r.Event(ctx, event.KindCustom, "e0", nil)
	<-ss.entered // the commit stage holds e0 in the store
	for i := 1; i <= 10; i++ {
		r.Event(ctx, event.KindCustom, fmt.Sprintf("e%d", i), nil)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Stats().Queued > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the queue still holds %d events while the store write is held: preparing waits for committing", r.Stats().Queued)
		}
		time.Sleep(time.Millisecond)
	}
	ss.unblock()
	flush(t, r)
	names := ss.storedNames()
	if len(names) != 11 {
		t.Fatalf("stored %d events, want 11: %v", len(names), names)
	}
	for i, n := range names {
		if n != fmt.Sprintf("e%d", i) {
			t.Fatalf("stored out of order: %v", names)
		}
	}
}

// TestUnencodableBatchWhileCommitting holds the store write of one batch
// while a batch whose only event fails to encode (nothing to commit) and
// then a Flush come through: the held batch is stored and published
// intact, and the Flush returns once, after it.
func TestUnencodableBatchWhileCommitting(t *testing.T) {
	ss := newStalledSink()
	r := newTestRecorderHooks(t, Config{}, ss.hooks())
	t.Cleanup(ss.unblock)
	ctx := context.Background()
	r.Event(ctx, event.KindCustom, "held", nil)
	<-ss.entered
	r.Event(ctx, event.KindCustom, "bad", map[string]any{"nan": math.NaN()})
	deadline := time.Now().Add(10 * time.Second)
	for r.Stats().EncodeErrors == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the unencodable event was not taken while the store write was held")
		}
		time.Sleep(time.Millisecond)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- r.Flush(ctx) }()
	// The Flush must not return while "held" is still in the store write.
	select {
	case err := <-flushed:
		t.Fatalf("Flush returned before the batch before it was stored (err %v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	ss.unblock()
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	r.Event(ctx, event.KindCustom, "after", nil)
	flush(t, r)
	if stored := ss.storedNames(); strings.Join(stored, ",") != "held,after" {
		t.Fatalf("stored %v, want [held after]", ss.storedNames())
	}
	if st := r.Stats(); st.Published != 2 || st.EncodeErrors != 1 {
		t.Fatalf("published %d, encode errors %d", st.Published, st.EncodeErrors)
	}
}

// TestStoreFailureKeepsServing makes the store fail, checks that requests
// keep being answered, failures are counted and logged once per state
// change, and that recording recovers when the store works again.
func TestStoreFailureKeepsServing(t *testing.T) {
	var failing atomic.Bool
	var stored atomic.Int64
	logs := &testutil.Buffer{}
	r := newTestRecorderHooks(t, Config{Logger: testLogger(logs)}, hooks{sink: func(evs []event.Event, _ [][]byte) error {
		if failing.Load() {
			return errors.New("store: write: no space left on device")
		}
		stored.Add(int64(len(evs)))
		return nil
	}})
	srv := httptest.NewServer(r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()
	get := func() {
		t.Helper()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("request failed while the store fails: %d %q", resp.StatusCode, b)
		}
	}
	get()
	flush(t, r)
	failing.Store(true)
	for range 5 {
		get()
		flush(t, r) // one batch per request: five failures
	}
	st := r.Stats()
	if st.StoreErrors != 5 || st.StoreFailed != 5 || st.Recorded != 1 {
		t.Fatalf("while failing: %+v", st)
	}
	if n := strings.Count(logs.String(), "store write failed"); n != 1 {
		t.Fatalf("failure logged %d times:\n%s", n, logs.String())
	}
	failing.Store(false)
	for range 3 {
		get()
		flush(t, r)
	}
	st = r.Stats()
	if st.Recorded != 4 || stored.Load() != 4 || st.StoreErrors != 5 || st.Published != 9 {
		t.Fatalf("after recovery: %+v", st)
	}
	if n := strings.Count(logs.String(), "store writes recovered"); n != 1 {
		t.Fatalf("recovery logged %d times:\n%s", n, logs.String())
	}
}

// TestClosedStoreKeepsServing closes the real store under the recorder.
func TestClosedStoreKeepsServing(t *testing.T) {
	st := openStore(t)
	r := newTestRecorder(t, Config{Store: st})
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { w.WriteHeader(204) }))
	_ = st.Close()
	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if w.Code != 204 {
			t.Fatalf("status %d", w.Code)
		}
	}
	flush(t, r)
	if s := r.Stats(); s.StoreErrors == 0 || s.Recorded != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestCloseFlushesAndOwnsStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devtools.db")
	r, err := New(Config{Env: "development", StorePath: path, StoreOptions: store.Options{NoSync: true}})
	if err != nil {
		t.Fatal(err)
	}
	for range 500 {
		r.Event(context.Background(), event.KindCustom, "e", nil)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal("second Close:", err)
	}
	r.Event(context.Background(), event.KindCustom, "after close", nil) // no-op, no panic
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal("store not closed by Close:", err)
	}
	defer st.Close()
	s, err := st.Stats()
	if err != nil || s.Count != 500 {
		t.Fatalf("stored %d (%v), want 500", s.Count, err)
	}
}

// TestUnavailableStoreAtStart: a store file another process holds (or a
// corrupt one, or a full disk) does not stop the app: New succeeds, devtools
// run live only, Stats says why, and the store is opened once it can be.
func TestUnavailableStoreAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devtools.db")
	holder, err := store.Open(path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var offset atomic.Int64
	base := time.Now()
	clock := func() time.Time { return base.Add(time.Duration(offset.Load())) }
	logs := &testutil.Buffer{}
	r, err := New(Config{Env: "development", StorePath: path, StoreOptions: store.Options{Timeout: 20 * time.Millisecond, NoSync: true},
		Now: clock, Logger: testLogger(logs)})
	if err != nil {
		holder.Close()
		t.Fatalf("New over a locked store: %v", err)
	}
	defer r.Close(context.Background())
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { _, _ = io.WriteString(w, "ok") }))
	serve := func() {
		t.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if w.Code != 200 || w.Body.String() != "ok" {
			t.Fatalf("app not serving: %d", w.Code)
		}
	}
	serve()
	flush(t, r)
	st := r.Stats()
	if r.Store() != nil || !strings.Contains(st.StoreError, store.ErrLocked.Error()) || st.Recorded != 0 || st.Published != 1 {
		t.Fatalf("degraded stats: %+v", st)
	}
	if err := holder.Close(); err != nil {
		t.Fatal(err)
	}
	serve()
	flush(t, r) // within the backoff: no retry yet
	if r.Store() != nil {
		t.Fatal("retried before the backoff")
	}
	offset.Add(int64(2 * time.Second))
	serve()
	flush(t, r)
	st = r.Stats()
	if r.Store() == nil || st.StoreError != "" || st.Recorded != 1 {
		t.Fatalf("after the lock was released: %+v", st)
	}
	if !strings.Contains(logs.String(), "store unavailable") || !strings.Contains(logs.String(), "store opened") {
		t.Errorf("logs: %s", logs.String())
	}
}

func TestPublicStorePathRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "public")
	_, err := New(Config{Env: "development", StorePath: filepath.Join(dir, "devtools.db")})
	if !errors.Is(err, store.ErrPublicPath) {
		t.Fatalf("store in a public dir: %v", err)
	}
}

// TestReusedHeaderMapsHoldOneEventEach: the pipeline refills the same
// header maps from batch to batch (and redacts them in place); every
// stored event holds its own request's headers, redacted, and nothing of
// an earlier one.
func TestReusedHeaderMapsHoldOneEventEach(t *testing.T) {
	r := newTestRecorder(t, Config{})
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("X-Resp-"+req.URL.Query().Get("n"), "r")
	}))
	serve := func(n int) {
		req := httptest.NewRequest("GET", fmt.Sprintf("/x?n=%d", n), nil)
		req.Header.Set(fmt.Sprintf("X-Req-%d", n), "v")
		if n%2 == 0 {
			req.Header.Set("Cookie", fmt.Sprintf("sid=s3cret-%d", n))
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	// One request per batch, then batches of three: both stage sets are
	// reused several times over, and parts within a batch too.
	n := 0
	for range 4 {
		serve(n)
		n++
		flush(t, r)
	}
	for range 3 {
		for range 3 {
			serve(n)
			n++
		}
		flush(t, r)
	}
	seen := 0
	for _, e := range allEvents(t, r.Store()) {
		if e.Kind != event.KindRequest {
			continue
		}
		seen++
		i := e.HTTP.URL[strings.LastIndexByte(e.HTTP.URL, '=')+1:]
		num, err := strconv.Atoi(i)
		if err != nil {
			t.Fatalf("url %q", e.HTTP.URL)
		}
		wantReq := []string{"X-Req-" + i}
		if num%2 == 0 {
			wantReq = append(wantReq, "Cookie")
			if c := e.HTTP.RequestHeaders["Cookie"]; len(c) != 1 || c[0] != "sid=[REDACTED]" {
				t.Errorf("event %s: cookie %q", i, c)
			}
		}
		if got := headerNames(e.HTTP.RequestHeaders); !slices.Equal(got, sorted(wantReq)) {
			t.Errorf("event %s: request headers %v, want %v", i, got, wantReq)
		}
		wantResp := []string{"X-Resp-" + i, "X-Request-Id", "Traceparent"}
		if got := headerNames(e.HTTP.ResponseHeaders); !slices.Equal(got, sorted(wantResp)) {
			t.Errorf("event %s: response headers %v, want %v", i, got, wantResp)
		}
		if id := e.HTTP.ResponseHeaders["X-Request-Id"]; len(id) != 1 || id[0] != e.RequestID {
			t.Errorf("event %s: X-Request-Id %q, request ID %q", i, id, e.RequestID)
		}
	}
	if seen != n {
		t.Fatalf("stored %d request events, want %d", seen, n)
	}
}

func headerNames(m map[string][]string) []string { return slices.Sorted(maps.Keys(m)) }

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// TestEncArena: events are copied exactly into shared chunks; rewind hands
// the same memory out again, drop never does.
func TestBatchArena(t *testing.T) {
	var a batchArena
	first := a.copy([]byte("first event"))
	second := a.copy([]byte("second"))
	if string(first) != "first event" || string(second) != "second" || cap(first) != len(first) {
		t.Fatalf("copies %q %q (cap %d)", first, second, cap(first))
	}
	if unsafe.Add(unsafe.Pointer(unsafe.SliceData(first)), len(first)) != unsafe.Pointer(unsafe.SliceData(second)) {
		t.Fatal("small events do not share a chunk")
	}
	big := a.copy(make([]byte, arenaOwn+1))
	if len(a.chunks) != 1 || len(big) != arenaOwn+1 {
		t.Fatal("a large event went into the chunk")
	}
	name := a.concat("GET", " ", "/notes/{id}")
	hdr := a.str([]byte("Accept\x00*/*"))
	if name != "GET /notes/{id}" || hdr != "Accept\x00*/*" || a.str(nil) != "" || a.concat("", "") != "" {
		t.Fatalf("strings %q %q", name, hdr)
	}
	if unsafe.StringData(name) != (*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(second)), len(second))) {
		t.Fatal("strings do not share the chunk")
	}
	var none *batchArena // strings on the heap
	if s := none.concat("POST", " ", "/x"); s != "POST /x" || none.str([]byte("v")) != "v" {
		t.Fatalf("nil arena: %q", s)
	}
	a.rewind()
	if again := a.copy([]byte("next batch")); &again[0] != &first[0] {
		t.Fatal("rewind did not reuse the chunk")
	}
	a.drop()
	a.spare = nil
	if fresh := a.copy([]byte("after drop")); &fresh[0] == &first[0] || string(first[:10]) != "next batch" {
		t.Fatal("drop handed out memory a holder may still read")
	}
}

// TestRequestTextKeptWhenHeld: the strings the pipeline builds for request
// events live in memory it reuses two batches later, except when something
// may hold them: a sink given the events, or a redaction hook given their
// values. Later batches then must not change what those hold.
func TestRequestTextKeptWhenHeld(t *testing.T) {
	serve := func(r *Recorder, i int) {
		h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = fmt.Fprintf(w, "body %03d", i)
		}))
		req := httptest.NewRequest("GET", fmt.Sprintf("/page/%03d", i), nil)
		req.Header.Set("X-Mark", fmt.Sprintf("mark %03d", i))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	// Six requests, a batch each: the two stage sets take turns, so each
	// set's memory is reused twice.
	serveBatches := func(t *testing.T, r *Recorder) {
		for i := range 6 {
			serve(r, i)
			flush(t, r)
		}
	}
	t.Run("sink", func(t *testing.T) {
		var mu sync.Mutex
		var held [][3]string // the strings, not the event's HTTP part, which is reused
		r := newTestRecorderHooks(t, Config{}, hooks{sink: func(evs []event.Event, _ [][]byte) error {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range evs {
				held = append(held, [3]string{e.Name, e.HTTP.URL, e.HTTP.ResponseBody.Text})
			}
			return nil
		}})
		serveBatches(t, r)
		mu.Lock()
		defer mu.Unlock()
		if len(held) != 6 {
			t.Fatalf("sink got %d events", len(held))
		}
		for i, h := range held {
			want := fmt.Sprintf("/page/%03d", i)
			if h[0] != "GET "+want || !strings.HasSuffix(h[1], want) || h[2] != fmt.Sprintf("body %03d", i) {
				t.Fatalf("event %d changed after the sink got it: %q", i, h)
			}
		}
	})
	t.Run("hook", func(t *testing.T) {
		var mu sync.Mutex
		var seen []string
		hook := func(path []string, v any) (any, bool) {
			if vs, ok := v.([]string); ok && slices.Equal(path, []string{"http", "requestHeaders", "x-mark"}) {
				mu.Lock()
				seen = append(seen, vs...)
				mu.Unlock()
			}
			return nil, false
		}
		r := newTestRecorder(t, Config{Redaction: redaction.Options{Hook: hook}})
		serveBatches(t, r)
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 6 {
			t.Fatalf("hook saw %d marks", len(seen))
		}
		for i, v := range seen {
			if v != fmt.Sprintf("mark %03d", i) {
				t.Fatalf("value %d changed after the hook got it: %q", i, v)
			}
		}
	})
}

// TestArenaKeptBySubscriber: an encoded event a subscriber has queued keeps
// its bytes while later batches are encoded (the arena of its batch is not
// reused), and batches nobody kept do not disturb it either.
func TestArenaKeptBySubscriber(t *testing.T) {
	r := newTestRecorder(t, Config{})
	sub := r.hub.Subscribe(&stream.Filter{Kinds: []event.Kind{event.KindAudit}})
	defer sub.Close()
	r.Audit(context.Background(), Audit{Actor: "ada", Action: "kept.by.subscriber"})
	flush(t, r)
	for i := range 6 { // custom events: no subscriber takes them, their arenas are reused
		for j := range 50 {
			r.Event(context.Background(), event.KindCustom, fmt.Sprintf("overwrite-%d-%d", i, j), map[string]any{"pad": strings.Repeat("x", 200)})
		}
		flush(t, r)
	}
	items, _ := sub.Drain(nil)
	if len(items) != 1 {
		t.Fatalf("subscriber has %d events", len(items))
	}
	var e event.Event
	if err := event.Unmarshal(items[0].Enc, &e); err != nil || e.Name != "kept.by.subscriber" || e.ID != items[0].ID {
		t.Fatalf("the kept event changed under its subscriber: %s (%v)", items[0].Enc, err)
	}
}
