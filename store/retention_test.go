package store

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

func TestPaginationUnderConcurrentAppends(t *testing.T) {
	s := openTemp(t, nil)
	gen := event.NewGenerator(nil)
	appendN(t, s, gen, t0, 300, event.KindRequest, "seed")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			evs := make([]event.Event, 7)
			for j := range evs {
				evs[j] = mkEvent(gen, t0, event.Kind([]event.Kind{event.KindLog, event.KindRequest}[j%2]), fmt.Sprint("c", i), j)
			}
			if err := s.Append(evs...); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	// Older pages: from the newest at the time of the first page down.
	var older []event.ID
	page, err := s.List(Query{Limit: 13})
	if err != nil {
		t.Fatal(err)
	}
	top := page.Events[0].ID
	for {
		for _, e := range page.Events {
			older = append(older, e.ID)
		}
		if page.Next.IsZero() {
			break
		}
		if page, err = s.List(Query{Limit: 13, Before: page.Next}); err != nil {
			t.Fatal(err)
		}
	}
	// Newer pages: from the middle up, following Newer.
	mid := older[len(older)/2]
	var newer []event.ID
	after := mid
	for i := 0; i < 60; i++ {
		p, err := s.List(Query{Limit: 11, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for j := len(p.Events) - 1; j >= 0; j-- {
			newer = append(newer, p.Events[j].ID)
		}
		if p.Newer.IsZero() {
			break
		}
		after = p.Newer
	}
	close(stop)
	wg.Wait()

	ids, _, err := s.SinceEncoded(event.ID{}, MaxSinceLimit)
	if err != nil {
		t.Fatal(err)
	}
	// Expected older walk: every stored ID <= top, newest first.
	var want []event.ID
	for i := len(ids) - 1; i >= 0; i-- {
		if ids[i].Compare(top) <= 0 {
			want = append(want, ids[i])
		}
	}
	if fmt.Sprint(older) != fmt.Sprint(want) {
		t.Fatalf("older walk: %d ids, want %d (holes or repeats)", len(older), len(want))
	}
	// Expected newer walk: every stored ID after mid, up to what it reached.
	var wantNewer []event.ID
	for _, id := range ids {
		if id.Compare(mid) > 0 && (len(newer) == 0 || id.Compare(newer[len(newer)-1]) <= 0) {
			wantNewer = append(wantNewer, id)
		}
	}
	if len(newer) == 0 || fmt.Sprint(newer) != fmt.Sprint(wantNewer) {
		t.Fatalf("newer walk: %d ids, want %d (holes or repeats)", len(newer), len(wantNewer))
	}
}

func TestListFilters(t *testing.T) {
	s := openTemp(t, nil)
	clock := newClock(t0)
	gen := event.NewGenerator(clock.Now)
	evs := make([]event.Event, 0, 40)
	for i := 0; i < 40; i++ {
		clock.Set(t0.Add(time.Duration(i) * time.Second))
		e := mkEvent(gen, clock.Now(), event.KindRequest, fmt.Sprint("r", i%4), i)
		if i%10 == 0 {
			e.Kind, e.HTTP, e.Message = event.KindLog, nil, "Cache MISS for key"
		}
		evs = append(evs, e)
	}
	if err := s.Append(evs...); err != nil {
		t.Fatal(err)
	}
	count := func(q Query) int {
		t.Helper()
		p, err := s.List(q)
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Events)
	}
	checks := []struct {
		name string
		q    Query
		want int
	}{
		{"all", Query{}, 40},
		{"kind", Query{Kinds: []event.Kind{event.KindLog}}, 4},
		{"status 5xx", Query{StatusMin: 500, StatusMax: 599}, 10}, // i%4 == 3
		{"method", Query{Method: "post"}, 20},
		{"path prefix", Query{PathPrefix: "/api/notes/1"}, 10}, // 1, 11..19 minus log at 10 -> 1,11..19 = 10
		{"request", Query{RequestID: "r1"}, 10},
		{"text in message", Query{Text: "cache miss"}, 4},
		{"text in name", Query{Text: "notes/3"}, 11}, // 3 and 30..39
		{"since/until", Query{Since: t0.Add(5 * time.Second), Until: t0.Add(14 * time.Second)}, 10},
		{"limit", Query{Limit: 7}, 7},
	}
	for _, c := range checks {
		if got := count(c.q); got != c.want {
			t.Errorf("%s: %d events, want %d", c.name, got, c.want)
		}
	}
}

func TestRetentionOnAppend(t *testing.T) {
	clock := newClock(t0)
	s := openTemp(t, &Options{NoSync: true, MaxAge: time.Hour, MaxEvents: 100, Now: clock.Now})
	gen := event.NewGenerator(clock.Now)
	old := appendN(t, s, gen, clock.Now(), 50, event.KindRequest, "old")
	clock.Set(t0.Add(2 * time.Hour))
	appendN(t, s, gen, clock.Now(), 1, event.KindLog, "new")
	for _, e := range old {
		if _, err := s.Get(e.ID); err == nil {
			t.Fatal("expired event survived an append")
		}
	}
	// MaxEvents: never more than 100 after an append.
	for i := 0; i < 30; i++ {
		appendN(t, s, gen, clock.Now(), 9, event.KindLog, fmt.Sprint("n", i))
		st, _ := s.Stats()
		if st.Count > 100 {
			t.Fatalf("count %d after append %d", st.Count, i)
		}
	}
	// The rolling sweep has caught up: the index matches the events.
	if p := indexProblems(t, s); len(p) > 0 {
		t.Fatalf("index after retention: %d problems, first %s", len(p), p[0])
	}
	if c, _ := s.Correlated("old"); len(c) != 0 {
		t.Fatal("Correlated returned expired events")
	}
}

func TestTwoAdjacentExpiredKeys(t *testing.T) {
	for _, auto := range []bool{false, true} {
		t.Run(fmt.Sprint("auto=", auto), func(t *testing.T) {
			clock := newClock(t0)
			opts := Options{NoSync: true, MaxAge: -1, MaxEvents: -1, Now: clock.Now}
			if auto {
				opts.MaxAge = time.Minute
			}
			s := openTemp(t, &opts)
			gen := event.NewGenerator(clock.Now)
			a := mkEvent(gen, t0, event.KindLog, "x", 1)
			b := mkEvent(gen, t0, event.KindLog, "x", 2) // same millisecond: adjacent keys
			if err := s.Append(a, b); err != nil {
				t.Fatal(err)
			}
			clock.Set(t0.Add(time.Hour))
			keep := mkEvent(gen, clock.Now(), event.KindLog, "x", 3)
			if err := s.Append(keep); err != nil {
				t.Fatal(err)
			}
			if !auto {
				if n, err := s.Purge(t0.Add(time.Second)); err != nil || n != 2 {
					t.Fatalf("Purge = %d, %v", n, err)
				}
			}
			for _, e := range []event.Event{a, b} {
				if _, err := s.Get(e.ID); err == nil {
					t.Fatalf("adjacent expired key %s survived", e.ID)
				}
			}
			if _, err := s.Get(keep.ID); err != nil {
				t.Fatal(err)
			}
			if st, _ := s.Stats(); st.Count != 1 {
				t.Fatalf("count %d", st.Count)
			}
		})
	}
}

func TestIndexConsistencyAfterPurge(t *testing.T) {
	s := openTemp(t, nil)
	clock := newClock(t0)
	gen := event.NewGenerator(clock.Now)
	// 8,000 events over 8 minutes, requests spanning minute boundaries, so
	// purges split requests and run over several chunks.
	for m := 0; m < 8; m++ {
		evs := make([]event.Event, 1000)
		for i := range evs {
			clock.Set(t0.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Millisecond*50))
			evs[i] = mkEvent(gen, clock.Now(), event.Kinds()[i%6], fmt.Sprintf("req-%d", (m*1000+i)/3+1), i)
		}
		if err := s.Append(evs...); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Purge(t0.Add(5*time.Minute + 30*time.Second))
	if err != nil || n != 5600 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	if p := indexProblems(t, s); len(p) > 0 {
		t.Fatalf("%d index problems, first: %s", len(p), p[0])
	}
	want, err := s.countPurgeable(time.Time{}, event.KindLog, event.KindAudit)
	if err != nil || want != 802 { // 334 per full minute, 134 in the half minute
		t.Fatalf("CountPurgeable = %d, %v", want, err)
	}
	n, err = s.purgeKinds(time.Time{}, event.KindLog, event.KindAudit)
	if err != nil || n != want {
		t.Fatalf("PurgeKinds = %d, %v", n, err)
	}
	if c, _ := s.countPurgeable(time.Time{}, event.KindLog); c != 0 {
		t.Fatalf("logs left: %d", c)
	}
	if p := indexProblems(t, s); len(p) > 0 {
		t.Fatalf("%d index problems after PurgeKinds, first: %s", len(p), p[0])
	}
	// A request cut by the purge keeps its surviving events.
	c, _ := s.Correlated(fmt.Sprintf("req-%d", 5500/3+1))
	for _, e := range c {
		if e.ID.Time().Before(t0.Add(5*time.Minute + 30*time.Second)) {
			t.Fatal("Correlated returned a purged event")
		}
	}
	mustCheck(t, s)
}

// fileContains reports whether the file at path holds marker.
func fileContains(t *testing.T, path string, marker []byte) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, marker)
}

func TestErasureAfterPurgeAndCompact(t *testing.T) {
	clock := newClock(t0)
	s := openTemp(t, &Options{NoSync: true, MaxAge: -1, MaxEvents: -1, CompactFreeRatio: -1, Now: clock.Now})
	gen := event.NewGenerator(clock.Now)
	var rnd [12]byte
	rand.Read(rnd[:])
	marker := "ERASE-ME-" + hex.EncodeToString(rnd[:])
	// Marked events among ordinary ones, in the request ID (index keys),
	// the body and a header.
	for i := 0; i < 300; i++ {
		e := mkEvent(gen, clock.Now(), event.KindRequest, fmt.Sprint("plain-", i), i)
		if i%3 == 0 {
			e.RequestID = marker + fmt.Sprint("-", i)
			e.Message = "secret " + marker
			e.HTTP.RequestHeaders = map[string][]string{"X-Marker": {marker}}
		}
		if err := s.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	clock.Set(t0.Add(time.Hour))
	appendN(t, s, gen, clock.Now(), 50, event.KindLog, "after")
	if !fileContains(t, s.Path(), []byte(marker)) {
		t.Fatal("marker not in the file before purge: the test proves nothing")
	}
	if n, err := s.Purge(t0.Add(time.Minute)); err != nil || n != 300 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Compact(dst); err != nil {
		t.Fatal(err)
	}
	if fileContains(t, dst, []byte(marker)) {
		t.Fatal("marker survived in Compact's copy")
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o600 {
		t.Fatalf("copy mode %v", fi.Mode().Perm())
	}
	if err := s.CompactInPlace(); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{marker, marker[len(marker)-12:]} {
		if fileContains(t, s.Path(), []byte(m)) {
			t.Fatalf("marker fragment %q survived purge + compaction", m)
		}
	}
	// The store keeps working on the new file.
	if c, _ := s.Correlated("after"); len(c) != 50 {
		t.Fatalf("after compaction: %d correlated", len(c))
	}
	appendN(t, s, gen, clock.Now(), 5, event.KindLog, "after")
	if fi, _ := os.Stat(s.Path()); fi.Mode().Perm() != 0o600 {
		t.Fatalf("compacted file mode %v", fi.Mode().Perm())
	}
	mustCheck(t, s)
	// And a reopen sees the compacted file.
	path := s.Path()
	closeChecked(t, s)
	s2, err := Open(path, Options{NoSync: true, MaxAge: -1, MaxEvents: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeChecked(t, s2)
	if st, _ := s2.Stats(); st.Count != 55 {
		t.Fatalf("reopened count %d", st.Count)
	}
	if err := s2.Compact(filepath.Join(filepath.Dir(path), "public", "x.db")); err == nil {
		t.Fatal("Compact into a public dir accepted")
	}
}

func TestAutoCompactionAfterPurge(t *testing.T) {
	s := openTemp(t, &Options{NoSync: true, MaxAge: -1, MaxEvents: -1})
	gen := event.NewGenerator(nil)
	for i := 0; i < 8; i++ { // about 5.6 MB, so purging frees > MinAutoCompactBytes
		appendN(t, s, gen, t0, 1000, event.KindRequest, fmt.Sprint("r", i))
	}
	fi, _ := os.Stat(s.Path())
	big := fi.Size()
	if _, err := s.trim(500); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(s.Path())
	if fi.Size() > big/4 {
		t.Fatalf("no automatic compaction: %d -> %d bytes", big, fi.Size())
	}
	if st, _ := s.Stats(); st.Count != 500 {
		t.Fatalf("count %d", st.Count)
	}
}

func TestSizeCapPurgesOldest(t *testing.T) {
	const capBytes = 2 << 20
	s := openTemp(t, &Options{NoSync: true, MaxAge: -1, MaxEvents: -1, MaxSize: capBytes})
	gen := event.NewGenerator(nil)
	var last []event.Event
	for i := 0; i < 15; i++ { // about 10 MB of events
		last = appendN(t, s, gen, t0, 1000, event.KindRequest, fmt.Sprint("r", i))
		if fi, _ := os.Stat(s.Path()); fi.Size() > capBytes {
			t.Fatalf("file grew to %d bytes past the cap", fi.Size())
		}
	}
	if _, err := s.Get(last[999].ID); err != nil {
		t.Fatalf("newest event lost: %v", err)
	}
	st, _ := s.Stats()
	if st.Count == 0 || st.Count >= 15000 {
		t.Fatalf("count %d", st.Count)
	}
	// An event bigger than the cap cannot fit: a clear error, no panic.
	huge := mkEvent(gen, t0, event.KindLog, "", 0)
	huge.Message = string(bytes.Repeat([]byte("y"), capBytes))
	if err := s.Append(huge); err == nil {
		t.Fatal("an event larger than the cap was accepted")
	}
}

func TestCompactInPlaceWhileWritingAndReading(t *testing.T) {
	s := openTemp(t, nil)
	gen := event.NewGenerator(nil)
	appendN(t, s, gen, t0, 2000, event.KindRequest, "seed")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var appended []event.ID
	wg.Add(2)
	go func() { // the pipeline writer
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			e := mkEvent(gen, t0, event.KindLog, fmt.Sprint("w", i), i)
			if err := s.Append(e); err != nil {
				t.Error(err)
				return
			}
			appended = append(appended, e.ID)
		}
	}()
	go func() { // a console reading
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.List(Query{Limit: 50}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 3; i++ {
		if err := s.CompactInPlace(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	for _, id := range appended {
		if _, err := s.Get(id); err != nil {
			t.Fatalf("event appended around a compaction is missing: %v", err)
		}
	}
	if st, _ := s.Stats(); st.Count != 2000+len(appended) {
		t.Fatalf("count %d, want %d", st.Count, 2000+len(appended))
	}
	if _, err := os.Stat(s.Path() + ".compact.tmp"); !os.IsNotExist(err) {
		t.Fatal("temporary compaction file left behind")
	}
}

func TestAutoCompactionFromAppendRetention(t *testing.T) {
	clock := newClock(t0)
	s := openTemp(t, &Options{NoSync: true, MaxAge: time.Minute, MaxEvents: -1, Now: clock.Now})
	gen := event.NewGenerator(clock.Now)
	for i := 0; i < 8; i++ {
		appendN(t, s, gen, clock.Now(), 1000, event.KindRequest, fmt.Sprint("r", i))
	}
	_, before := s.freeSpace()
	// Everything expires; small appends delete it over the following calls
	// and the periodic check compacts.
	clock.Set(t0.Add(time.Hour))
	const small = autoCompactEvery + 20 // the check runs at the 256th Append
	for i := 0; i < small; i++ {
		appendN(t, s, gen, clock.Now(), 1, event.KindLog, "")
	}
	_, after := s.freeSpace()
	if after > before/4 {
		t.Fatalf("no automatic compaction from Append: used %d -> %d bytes", before, after)
	}
	if st, _ := s.Stats(); st.Count != small {
		t.Fatalf("count %d", st.Count)
	}
}

func TestUntilFindsEventsRecordedAfterTheirTime(t *testing.T) {
	s := openTemp(t, nil)
	clock := newClock(t0.Add(5 * time.Second)) // recorded 5 s after it started
	gen := event.NewGenerator(clock.Now)
	e := mkEvent(gen, t0, event.KindRequest, "slow", 1)
	if err := s.Append(e); err != nil {
		t.Fatal(err)
	}
	p, err := s.List(Query{Until: t0.Add(time.Second)})
	if err != nil || len(p.Events) != 1 {
		t.Fatalf("Until missed an event recorded after its start: %d, %v", len(p.Events), err)
	}
	if p, _ := s.List(Query{Until: t0.Add(-time.Second)}); len(p.Events) != 0 {
		t.Fatal("Until let a later event through")
	}
}

func TestSweepMarkPersistsUntilTheIndexIsClean(t *testing.T) {
	clock := newClock(t0)
	s := openTemp(t, &Options{NoSync: true, MaxAge: time.Minute, MaxEvents: -1, Now: clock.Now})
	gen := event.NewGenerator(clock.Now)
	marked := func() bool {
		var m bool
		s.view(func(tx *boltTx) error { m = tx.Bucket(bucketMeta).Get(keySweep) != nil; return nil })
		return m
	}
	for i := 0; i < 5; i++ {
		appendN(t, s, gen, clock.Now(), 1000, event.KindRequest, fmt.Sprint("a", i))
	}
	if marked() {
		t.Fatal("marked before any deletion")
	}
	clock.Set(t0.Add(time.Hour))
	// Retention deletes 1024 (its budget) and sweeps 4096 of 5001 entries.
	appendN(t, s, gen, clock.Now(), 1, event.KindLog, "b")
	if !marked() {
		t.Fatal("not marked after retention deleted events")
	}
	// Reopen: the mark survives, and the rolling sweep resumes and ends.
	path := s.Path()
	closeChecked(t, s)
	s2, err := Open(path, Options{NoSync: true, MaxAge: time.Minute, MaxEvents: -1, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s = s2
	defer closeChecked(t, s)
	if !marked() {
		t.Fatal("mark lost on reopen")
	}
	for i := 0; i < 20 && marked(); i++ {
		appendN(t, s, gen, clock.Now(), 1, event.KindLog, "c")
	}
	if marked() {
		t.Fatal("rolling sweep never finished")
	}
	if p := indexProblems(t, s); len(p) > 0 {
		t.Fatalf("index after the sweep: %v", p[0])
	}
	// An explicit purge sweeps fully and leaves no mark.
	appendN(t, s, gen, clock.Now(), 50, event.KindLog, "d")
	clock.Set(t0.Add(2 * time.Hour))
	if _, err := s.Purge(clock.Now()); err != nil {
		t.Fatal(err)
	}
	if marked() {
		t.Fatal("marked after a complete purge")
	}
}

// TestKeyScratch: every collected key keeps its bytes while the buffer
// grows under it, and a reset reuses the buffer (dropping one that grew
// past maxKeyScratch).
func TestKeyScratch(t *testing.T) {
	var s keyScratch
	var want []string
	for i := range 1000 {
		k := []byte(strings.Repeat(string(rune('a'+i%26)), 1+i%40))
		want = append(want, string(k))
		s.add(k)
		k[0] = '!' // like a bbolt key after its transaction: the scratch holds a copy
	}
	for i := range want {
		if string(s.list[i]) != want[i] {
			t.Fatalf("key %d = %q, want %q", i, s.list[i], want[i])
		}
	}
	first := &s.flat[:1][0]
	s.reset()
	s.add([]byte("again"))
	if len(s.list) != 1 || string(s.list[0]) != "again" || &s.flat[0] != first {
		t.Fatalf("after reset: %q (buffer reused: %v)", s.list, &s.flat[0] == first)
	}
	s.add(make([]byte, maxKeyScratch+1))
	s.reset()
	if cap(s.flat) != 0 {
		t.Fatalf("kept %d bytes past the cap", cap(s.flat))
	}
}
