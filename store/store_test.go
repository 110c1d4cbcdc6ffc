package store

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

var t0 = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

func TestAppendGetListCorrelatedSince(t *testing.T) {
	s := openTemp(t, nil)
	gen := event.NewGenerator(func() time.Time { return t0 })
	a := appendN(t, s, gen, t0, 3, event.KindRequest, "req-a")
	b := appendN(t, s, gen, t0, 2, event.KindProvider, "req-b")
	l := appendN(t, s, gen, t0, 1, event.KindLog, "")

	got, err := s.Get(a[1].ID)
	if err != nil || got.ID != a[1].ID || got.Name != a[1].Name || got.HTTP.ResponseBody.Text != padding {
		t.Fatalf("Get = %+v, %v", got.ID, err)
	}
	if _, err := s.Get(event.IDFromTime(t0.Add(time.Hour))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: %v, want ErrNotFound", err)
	}

	page, err := s.List(Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 6 || page.Events[0].ID != l[0].ID || page.Events[5].ID != a[0].ID {
		t.Fatalf("List order wrong: %d events", len(page.Events))
	}
	if !page.Next.IsZero() {
		t.Fatalf("Next should be zero when everything fits")
	}

	page, _ = s.List(Query{Kinds: []event.Kind{event.KindProvider}})
	if len(page.Events) != 2 || page.Events[0].ID != b[1].ID {
		t.Fatalf("kind filter: %d events", len(page.Events))
	}
	page, _ = s.List(Query{RequestID: "req-a", Limit: 2})
	if len(page.Events) != 2 || page.Events[0].ID != a[2].ID || page.Next != a[1].ID {
		t.Fatalf("request filter page 1: %d, next %s", len(page.Events), page.Next)
	}
	page, _ = s.List(Query{RequestID: "req-a", Limit: 2, Before: page.Next})
	if len(page.Events) != 1 || page.Events[0].ID != a[0].ID {
		t.Fatalf("request filter page 2: %d", len(page.Events))
	}

	corr, err := s.Correlated("req-a")
	if err != nil || len(corr) != 3 || corr[0].ID != a[0].ID || corr[2].ID != a[2].ID {
		t.Fatalf("Correlated = %d events, %v", len(corr), err)
	}
	if corr, _ := s.Correlated("req"); len(corr) != 0 {
		t.Fatalf("prefix of a requestId matched %d events", len(corr))
	}

	since, err := s.Since(a[2].ID, 2)
	if err != nil || len(since) != 2 || since[0].ID != b[0].ID || since[1].ID != b[1].ID {
		t.Fatalf("Since = %d, %v", len(since), err)
	}
	ids, enc, err := s.SinceEncoded(event.ID{}, 0)
	if err != nil || len(ids) != 6 || ids[0] != a[0].ID {
		t.Fatalf("SinceEncoded = %d, %v", len(ids), err)
	}
	want, _ := event.Marshal(&a[0])
	if !bytes.Equal(enc[0], want) {
		t.Fatalf("SinceEncoded bytes differ from event.Marshal")
	}

	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Count != 6 || st.PerKind[event.KindRequest] != 3 || st.PerKind[event.KindLog] != 1 || st.Bytes == 0 || !st.Oldest.Equal(t0) {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestAppendEncodedStoresBytesAsGiven(t *testing.T) {
	s := openTemp(t, nil)
	gen := event.NewGenerator(nil)
	e := mkEvent(gen, t0, event.KindAudit, "r1", 1)
	enc, _ := event.Marshal(&e)
	if err := s.AppendEncoded([]event.Event{e}, [][]byte{enc}); err != nil {
		t.Fatal(err)
	}
	_, got, _ := s.SinceEncoded(event.ID{}, 10)
	if len(got) != 1 || !bytes.Equal(got[0], enc) {
		t.Fatal("stored bytes differ")
	}
	if err := s.AppendEncoded([]event.Event{e}, nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("length mismatch: %v", err)
	}
	bad := e
	bad.ID = event.ID{}
	if err := s.Append(bad); !errors.Is(err, ErrInvalid) || !errors.Is(err, event.ErrMissingID) {
		t.Fatalf("invalid event: %v", err)
	}
}

func TestPurgeAndTrim(t *testing.T) {
	s := openTemp(t, nil)
	clock := newClock(t0)
	gen := event.NewGenerator(clock.Now)
	old := appendN(t, s, gen, t0, 10, event.KindRequest, "old")
	clock.Set(t0.Add(time.Hour))
	newer := appendN(t, s, gen, t0.Add(time.Hour), 10, event.KindLog, "new")
	if n, err := s.countPurgeable(t0.Add(time.Minute)); err != nil || n != 10 {
		t.Fatalf("CountPurgeable = %d, %v", n, err)
	}
	n, err := s.Purge(t0.Add(time.Minute))
	if err != nil || n != 10 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	for _, e := range old {
		if _, err := s.Get(e.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("purged event still there: %v", err)
		}
	}
	if c, _ := s.Correlated("old"); len(c) != 0 {
		t.Fatalf("Correlated found %d purged events", len(c))
	}
	if p := indexProblems(t, s); len(p) > 0 {
		t.Fatalf("index after purge: %v", p)
	}
	n, err = s.trim(4)
	if err != nil || n != 6 {
		t.Fatalf("Trim = %d, %v", n, err)
	}
	page, _ := s.List(Query{})
	if len(page.Events) != 4 || page.Events[0].ID != newer[9].ID || page.Events[3].ID != newer[6].ID {
		t.Fatalf("Trim kept the wrong events")
	}
	if p := indexProblems(t, s); len(p) > 0 {
		t.Fatalf("index after trim: %v", p)
	}
	st, _ := s.Stats()
	if st.Count != 4 {
		t.Fatalf("count = %d", st.Count)
	}
}
