package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// subject builds a small app history: ada's requests (each a request, a
// provider call and an audit record sharing a requestId and a traceId,
// plus a log line of another service that shares only the traceId),
// adam's, an upper-case ADA's, and unrelated traffic. Events are 1 ms
// apart from t0. It returns the store and the events by label.
type scenario struct {
	s      *Store
	gen    *event.Generator
	clock  *testClock
	marker string
	byName map[string]event.Event
}

func newScenario(t *testing.T) *scenario {
	t.Helper()
	clock := newClock(t0)
	sc := &scenario{
		s:      openTemp(t, &Options{NoSync: true, MaxAge: -1, MaxEvents: -1, CompactFreeRatio: -1, Now: clock.Now}),
		gen:    event.NewGenerator(clock.Now),
		clock:  clock,
		byName: map[string]event.Event{},
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	sc.marker = "PLANTED-" + hex.EncodeToString(rnd[:])
	add := func(name string, e event.Event) {
		t.Helper()
		clock.Set(clock.Now().Add(time.Millisecond))
		e.Stamp(sc.gen, clock.Now())
		if err := sc.s.Append(e); err != nil {
			t.Fatal(err)
		}
		sc.byName[name] = e
	}
	req := func(name, rid, tid, actor string, extra string) {
		add(name+".request", event.Event{Kind: event.KindRequest, Name: "POST /notes", RequestID: rid, TraceID: tid,
			HTTP: &event.HTTP{Method: "POST", URL: "/notes", Status: 201,
				RequestBody: &event.Body{ContentType: "application/json", Text: `{"owner":"` + actor + `","note":"` + extra + `"}`}}})
		add(name+".provider", event.Event{Kind: event.KindProvider, Name: "mail send", RequestID: rid, TraceID: tid,
			Provider: &event.Provider{Name: "mail", Operation: "send", URL: "https://mail.example/v1/send"}})
		add(name+".audit", event.Event{Kind: event.KindAudit, Name: "note.create", RequestID: rid, TraceID: tid,
			Audit: &event.Audit{Actor: actor, Tenant: "acme", Action: "note.create", Resource: "note/1", Outcome: "allowed"},
			Attrs: event.Attrs{"extra": extra}})
	}
	req("ada1", "r-ada-1", "t-ada-1", "ada@example.com", sc.marker)
	add("other", event.Event{Kind: event.KindRequest, Name: "GET /health", RequestID: "r-other", TraceID: "t-other",
		HTTP: &event.HTTP{Method: "GET", URL: "/health", Status: 200}})
	add("ada1.downstream", event.Event{Kind: event.KindLog, Level: "INFO", Message: "indexed note for " + sc.marker, TraceID: "t-ada-1", RequestID: "r-search-9"})
	req("adam", "r-adam", "t-adam", "adam@example.com", "adam's note")
	req("ada2", "r-ada-2", "t-ada-2", "ADA@Example.COM", sc.marker)
	add("beta", event.Event{Kind: event.KindAudit, Name: "tenant.update", Audit: &event.Audit{Actor: "bob@example.com", Tenant: "beta", Action: "tenant.update"}})
	return sc
}

func (sc *scenario) names(t *testing.T, ids [][]byte) []string {
	t.Helper()
	byID := map[event.ID]string{}
	for n, e := range sc.byName {
		byID[e.ID] = n
	}
	var out []string
	for _, k := range ids {
		out = append(out, byID[event.ID(k)])
	}
	slices.Sort(out)
	return out
}

func (sc *scenario) remaining(t *testing.T) []string {
	t.Helper()
	evs, err := sc.s.Since(event.ID{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids [][]byte
	for _, e := range evs {
		ids = append(ids, bytes.Clone(e.ID[:]))
	}
	return sc.names(t, ids)
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func TestSelectionExactActorAndWidening(t *testing.T) {
	sc := newScenario(t)
	ctx := context.Background()
	cases := []struct {
		sel  Selection
		want []string
	}{
		// Exact on the field, case-insensitive: ADA@Example.COM yes, adam no.
		{Selection{Match: "actor:ada@example.com"}, sorted("ada1.audit", "ada2.audit")},
		{Selection{Match: "actor:Ada@Example.com"}, sorted("ada1.audit", "ada2.audit")},
		{Selection{Match: "actor:adam@example.com"}, sorted("adam.audit")},
		{Selection{Match: "actor:ada@example.co"}, nil},
		// A requestId and a traceId widen one step: ada1's log line of
		// another request joins through its traceId.
		{Selection{Match: "actor:ada@example.com", WithRequests: true}, sorted(
			"ada1.request", "ada1.provider", "ada1.audit", "ada1.downstream",
			"ada2.request", "ada2.provider", "ada2.audit")},
		{Selection{Match: "tenant:beta"}, sorted("beta")},
		{Selection{Match: "tenant:acme", Kinds: []event.Kind{event.KindAudit}}, sorted("ada1.audit", "adam.audit", "ada2.audit")},
		{Selection{Match: "req:r-adam"}, sorted("adam.request", "adam.provider", "adam.audit")},
		// Free words are substrings of the text fields.
		{Selection{Match: "health"}, sorted("other")},
		{Selection{Match: "actor:*@example.com -actor:bob*"}, sorted("ada1.audit", "adam.audit", "ada2.audit")},
		{Selection{Kinds: []event.Kind{event.KindLog}, WithRequests: true}, sorted("ada1.downstream",
			"ada1.request", "ada1.provider", "ada1.audit")},
	}
	for _, c := range cases {
		cc, err := c.sel.compile(sc.clock.Now())
		if err != nil {
			t.Fatalf("%+v: %v", c.sel, err)
		}
		got, err := sc.s.selectKeys(ctx, &cc, true)
		if err != nil {
			t.Fatal(err)
		}
		var keys [][]byte
		for _, k := range got.keys {
			keys = append(keys, k.key)
		}
		if names := sc.names(t, keys); !slices.Equal(names, c.want) {
			t.Errorf("%+v selects %q, want %q", c.sel, names, c.want)
		}
		if got.count != len(c.want) {
			t.Errorf("%+v: count %d, want %d", c.sel, got.count, len(c.want))
		}
	}
}

func TestSelectionOlderThan(t *testing.T) {
	sc := newScenario(t)
	// ada1 was recorded in the first milliseconds, ada2 later; "older
	// than" counts back from the time given.
	cut := sc.byName["adam.request"].ID.Time()
	now := cut.Add(time.Hour)
	res, err := sc.s.Do(context.Background(), PurgeRequest{Selection: Selection{Match: "actor:ada@example.com", OlderThan: "1h"}, DryRun: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 1 || res.PerKind[event.KindAudit] != 1 {
		t.Fatalf("older than 1h: %+v, want ada1's audit only", res)
	}
	if _, err := sc.s.Do(context.Background(), PurgeRequest{Selection: Selection{OlderThan: "soon"}}, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad olderThan: %v", err)
	}
}

func TestDoDryRunCountsPerKindAndRange(t *testing.T) {
	sc := newScenario(t)
	before := sc.remaining(t)
	res, err := sc.s.Do(context.Background(), PurgeRequest{
		Selection: Selection{Match: "actor:ada@example.com", WithRequests: true}, DryRun: true}, sc.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := map[event.Kind]int{event.KindRequest: 2, event.KindProvider: 2, event.KindAudit: 2, event.KindLog: 1}
	if res.Removed != 7 || !maps.Equal(res.PerKind, want) || res.Widened != 5 || !res.DryRun || res.Compacted {
		t.Fatalf("dry run = %+v, want 7 removed %v, 5 widened", res, want)
	}
	if o, n := sc.byName["ada1.request"].ID.Time(), sc.byName["ada2.audit"].ID.Time(); !res.Oldest.Equal(o) || !res.Newest.Equal(n) {
		t.Fatalf("range %v..%v, want %v..%v", res.Oldest, res.Newest, o, n)
	}
	if after := sc.remaining(t); !slices.Equal(after, before) {
		t.Fatalf("dry run changed the store: %q", after)
	}
	if !fileContains(t, sc.s.Path(), []byte(sc.marker)) {
		t.Fatal("dry run erased the marker")
	}
}

// TestEraseSubjectBytesGone is the erasure check: the marker planted in the
// subject's request bodies, audit attrs and a correlated log line is in
// the file before, and no byte of it is after Do (which compacts by
// default for a match).
func TestEraseSubjectBytesGone(t *testing.T) {
	sc := newScenario(t)
	path := sc.s.Path()
	if !fileContains(t, path, []byte(sc.marker)) {
		t.Fatal("marker not in the file before: the test proves nothing")
	}
	res, err := sc.s.Do(context.Background(), PurgeRequest{Selection: Selection{Match: "actor:ada@example.com", WithRequests: true}}, sc.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 7 || !res.Compacted || res.DryRun {
		t.Fatalf("Do = %+v", res)
	}
	for _, m := range []string{sc.marker, sc.marker[len(sc.marker)-12:], "r-ada-1", "t-ada-2"} {
		if fileContains(t, path, []byte(m)) {
			t.Fatalf("%q survived the erasure", m)
		}
	}
	if _, err := os.Stat(path + ".compact.tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("compaction left its temporary file: %v", err)
	}
	want := sorted("adam.request", "adam.provider", "adam.audit", "other", "beta")
	if got := sc.remaining(t); !slices.Equal(got, want) {
		t.Fatalf("left %q, want %q", got, want)
	}
	if probs := indexProblems(t, sc.s); len(probs) > 0 {
		t.Fatalf("index after erasure: %q", probs)
	}
	if c, _ := sc.s.Correlated("r-ada-1"); len(c) != 0 {
		t.Fatalf("Correlated(r-ada-1) = %d events", len(c))
	}
	st, err := sc.s.Stats()
	if err != nil || st.Count != 5 {
		t.Fatalf("Stats = %d, %v", st.Count, err)
	}
	mustCheck(t, sc.s)
}

func TestDoNoCompactLeavesFileUncompacted(t *testing.T) {
	sc := newScenario(t)
	no := false
	res, err := sc.s.Do(context.Background(), PurgeRequest{Selection: Selection{Match: "tenant:beta"}, Compact: &no}, sc.clock.Now())
	if err != nil || res.Removed != 1 || res.Compacted {
		t.Fatalf("Do = %+v, %v", res, err)
	}
	yes := true
	res, err = sc.s.Do(context.Background(), PurgeRequest{Compact: &yes}, sc.clock.Now())
	if err != nil || !res.Compacted || res.Removed != 0 {
		t.Fatalf("compact only = %+v, %v", res, err)
	}
}

func TestDoByAgeAndKindAsBefore(t *testing.T) {
	sc := newScenario(t)
	res, err := sc.s.Do(context.Background(), PurgeRequest{Selection: Selection{OlderThan: "0", Kinds: []event.Kind{event.KindAudit}}, Keep: 4}, sc.clock.Now().Add(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 4 || res.PerKind[event.KindAudit] != 4 || res.Compacted {
		t.Fatalf("Do = %+v", res)
	}
	// 12 events, 4 audits gone, keep 4 of the other 8.
	if res.Trimmed != 4 {
		t.Fatalf("trimmed %d", res.Trimmed)
	}
	if st, _ := sc.s.Stats(); st.Count != 4 {
		t.Fatalf("count %d", st.Count)
	}
	if probs := indexProblems(t, sc.s); len(probs) > 0 {
		t.Fatal(probs)
	}
}

func TestDoRefusesBadRequests(t *testing.T) {
	sc := newScenario(t)
	ctx := context.Background()
	for _, req := range []PurgeRequest{
		{},
		{Selection: Selection{WithRequests: true}},
		{Selection: Selection{Match: `actor:"unterminated`}},
		{Selection: Selection{Match: "nosuchfield:x"}},
		{Selection: Selection{Kinds: []event.Kind{"mail"}}},
		{Selection: Selection{OlderThan: "-1h"}},
		{Keep: -1},
	} {
		if _, err := sc.s.Do(ctx, req, sc.clock.Now()); !errors.Is(err, ErrInvalid) {
			t.Errorf("Do(%+v) = %v, want ErrInvalid", req, err)
		}
	}
	if st, _ := sc.s.Stats(); st.Count != 12 {
		t.Fatalf("a refused request changed the store: %d events", st.Count)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := sc.s.Do(cancelled, PurgeRequest{Selection: Selection{Match: "tenant:beta"}}, sc.clock.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Do = %v", err)
	}
}

func TestDoReadOnly(t *testing.T) {
	sc := newScenario(t)
	path := sc.s.Path()
	closeChecked(t, sc.s)
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	req := PurgeRequest{Selection: Selection{Match: "actor:ada@example.com"}, DryRun: true}
	if res, err := ro.Do(context.Background(), req, time.Now()); err != nil || res.Removed != 2 {
		t.Fatalf("read-only dry run = %+v, %v", res, err)
	}
	req.DryRun = false
	if _, err := ro.Do(context.Background(), req, time.Now()); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only purge = %v", err)
	}
}

// TestSelectionFoldsLikeTheFilter: a field the filter lower-cases to the
// query (KELVIN SIGN is a k to strings.ToLower) is found although its
// bytes do not hold the query's text.
func TestSelectionFoldsLikeTheFilter(t *testing.T) {
	s := openTemp(t, nil)
	gen := event.NewGenerator(nil)
	e := event.Event{Kind: event.KindAudit, Audit: &event.Audit{Actor: "\u212aim@example.com"}}
	e.Stamp(gen, t0)
	if err := s.Append(e); err != nil {
		t.Fatal(err)
	}
	res, err := s.Do(context.Background(), PurgeRequest{Selection: Selection{Match: "actor:kim@example.com"}, DryRun: true}, t0)
	if err != nil || res.Removed != 1 {
		t.Fatalf("Do = %+v, %v", res, err)
	}
}

func TestExport(t *testing.T) {
	sc := newScenario(t)
	var buf bytes.Buffer
	res, err := sc.s.Export(context.Background(), Selection{Match: "actor:ada@example.com", WithRequests: true}, &buf, sc.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Exported != 7 || res.Widened != 5 || res.PerKind[event.KindAudit] != 2 {
		t.Fatalf("Export = %+v", res)
	}
	var prev event.ID
	n := 0
	sc2 := bufio.NewScanner(&buf)
	sc2.Buffer(nil, 1<<20)
	for sc2.Scan() {
		line := sc2.Bytes()
		var e event.Event
		if err := event.Unmarshal(line, &e); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if e.V != event.SchemaVersion || e.ID.Compare(prev) <= 0 {
			t.Fatalf("line %d: v=%d id %s after %s", n, e.V, e.ID, prev)
		}
		prev = e.ID
		stored, _ := event.Marshal(&e)
		if !bytes.Equal(line, stored) {
			t.Fatalf("line %d is not the stored JSON:\n%s\n%s", n, line, stored)
		}
		if e.Audit != nil && !strings.EqualFold(e.Audit.Actor, "ada@example.com") {
			t.Fatalf("exported another actor: %s", e.Audit.Actor)
		}
		n++
	}
	if n != 7 {
		t.Fatalf("%d lines", n)
	}
	if _, err := sc.s.Export(context.Background(), Selection{}, &buf, sc.clock.Now()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty selection: %v", err)
	}
	if _, err := sc.s.Export(context.Background(), Selection{Match: "tenant:acme"}, failWriter{}, sc.clock.Now()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("write error: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

// TestFoldNeedle compares the anchored search with a plain lower-case
// search on random ASCII text built from the needle's own bytes.
func TestFoldNeedle(t *testing.T) {
	rnd := mrand.New(mrand.NewPCG(3, 4))
	needles := []string{"ada@example.com", "acme", "a", "zz", "/users/", "two words", "r-ada-1", "aaab", "@"}
	for _, nd := range needles {
		fn := newFoldNeedle(nd)
		alphabet := nd + strings.ToUpper(nd) + "xyz\"{}"
		for i := 0; i < 2000; i++ {
			b := make([]byte, rnd.IntN(40))
			for j := range b {
				b[j] = alphabet[rnd.IntN(len(alphabet))]
			}
			if rnd.IntN(4) == 0 && len(b) >= len(nd) { // plant it, in mixed case
				p := rnd.IntN(len(b) - len(nd) + 1)
				for j := 0; j < len(nd); j++ {
					c := nd[j]
					if rnd.IntN(2) == 0 {
						c = strings.ToUpper(string(c))[0]
					}
					b[p+j] = c
				}
			}
			want := strings.Contains(strings.ToLower(string(b)), nd)
			if got := fn.in(b); got != want {
				t.Fatalf("needle %q in %q: %v, want %v", nd, b, got, want)
			}
		}
	}
}
