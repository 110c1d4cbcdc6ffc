package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/store"
)

func Example() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)

	s, err := store.Open(filepath.Join(dir, ".beignet", "devtools.db"), store.Options{MaxAge: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	gen := event.NewGenerator(nil)
	var evs []event.Event
	for _, name := range []string{"GET /notes", "stripe charges.create", "POST /notes"} {
		e := event.Event{Kind: event.KindRequest, Name: name, RequestID: "req-1"}
		e.Stamp(gen, time.Now())
		evs = append(evs, e)
	}
	if err := s.Append(evs...); err != nil { // one transaction
		fmt.Println(err)
		return
	}

	page, _ := s.List(store.Query{Limit: 2})
	for _, e := range page.Events {
		fmt.Println(e.Name)
	}
	fmt.Println("more:", !page.Next.IsZero())
	// Output:
	// POST /notes
	// stripe charges.create
	// more: true
}

func ExampleStore_Correlated() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	s, _ := store.Open(filepath.Join(dir, "devtools.db"), store.Options{})
	defer s.Close()

	gen := event.NewGenerator(nil)
	for _, e := range []event.Event{
		{Kind: event.KindRequest, Name: "POST /checkout", RequestID: "req-7"},
		{Kind: event.KindLog, Name: "unrelated"},
		{Kind: event.KindProvider, Name: "stripe charges.create", RequestID: "req-7"},
	} {
		e.Stamp(gen, time.Now())
		_ = s.Append(e)
	}
	evs, _ := s.Correlated("req-7") // through the index, oldest first
	for _, e := range evs {
		fmt.Println(e.Kind, e.Name)
	}
	// Output:
	// request POST /checkout
	// provider stripe charges.create
}

func ExampleOpen_publicDir() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	_, err := store.Open(filepath.Join(dir, "public", "devtools.db"), store.Options{})
	var pe *store.PublicPathError
	fmt.Println(errors.As(err, &pe), filepath.Base(pe.PublicDir))
	// Output: true public
}

func ExampleStore_Purge() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	s, _ := store.Open(filepath.Join(dir, "devtools.db"), store.Options{})
	defer s.Close()

	old := time.Now().Add(-2 * time.Hour)
	e := event.Event{Kind: event.KindAudit, Name: "note.delete"}
	e.Stamp(event.NewGenerator(func() time.Time { return old }), old)
	_ = s.Append(e)

	cutoff := time.Now().Add(-time.Hour)
	n, _ := s.Purge(cutoff)
	fmt.Println("purged", n)
	_ = s.CompactInPlace() // so the purged bytes leave the file
	// Output:
	// purged 1
}

// An erasure request: count first, then remove everything about one
// person, with their requests, and compact the file (the default for a
// match) so the bytes are gone from it.
func ExampleStore_Do() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	s, _ := store.Open(filepath.Join(dir, "devtools.db"), store.Options{})
	defer s.Close()

	gen := event.NewGenerator(nil)
	for _, actor := range []string{"ada@example.com", "adam@example.com"} {
		req := event.Event{Kind: event.KindRequest, Name: "POST /notes", RequestID: "req-" + actor}
		audit := event.Event{Kind: event.KindAudit, Name: "note.create", RequestID: "req-" + actor, Audit: &event.Audit{Actor: actor}}
		req.Stamp(gen, time.Now())
		audit.Stamp(gen, time.Now())
		_ = s.Append(req, audit)
	}

	ctx := context.Background()
	req := store.PurgeRequest{Selection: store.Selection{Match: "actor:ada@example.com", WithRequests: true}, DryRun: true}
	res, _ := s.Do(ctx, req, time.Now())
	fmt.Println("would remove", res.Removed, res.PerKind)
	req.DryRun = false
	res, _ = s.Do(ctx, req, time.Now())
	fmt.Println("removed", res.Removed, "compacted", res.Compacted)
	// Output:
	// would remove 2 map[audit:1 request:1]
	// removed 2 compacted true
}
