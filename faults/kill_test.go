package faults_test

import (
	"context"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/stream"
)

// TestSIGKILLDuringLoad kills the demo app with SIGKILL while traffic flows
// and a console is attached. The recorder publishes a batch before its
// commit stage stores it (so that live latency does not include fsync),
// and commits batches in order: after the kill the store holds what the
// console received up to some point, possibly without the newest events
// (those published in the last commit window), never with a hole; and the
// file must check clean.
func TestSIGKILLDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the app as a process")
	}
	for round := 0; round < 3; round++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		db := filepath.Join(t.TempDir(), "state", "devtools.db")
		cmd, vals := headless(t, ctx, "--rate", "400", "--db", db)

		var mu sync.Mutex
		var got []event.ID
		cctx, stopClient := context.WithCancel(ctx)
		client := stream.NewClient(stream.ClientOptions{URL: vals["url"] + "/ws", Token: vals["token"], MaxBackoff: 50 * time.Millisecond})
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = client.Run(cctx, func(u stream.Update) {
				if u.Kind == stream.UpdateEvent {
					mu.Lock()
					got = append(got, u.Event.ID)
					mu.Unlock()
				}
			})
		}()
		// Kill at a different point each round.
		want := 200 + round*250
		testutil.WaitFor(t, time.Minute, "events to reach the console", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(got) >= want
		})
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		stopClient()
		<-done
		cancel()

		s, err := store.Open(db, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		if err := s.Check(); err != nil {
			t.Errorf("round %d: store check after SIGKILL: %v", round, err)
		}
		mu.Lock()
		stored, hole := 0, -1
		for i, id := range got {
			if _, err := s.Get(id); err != nil {
				if hole < 0 {
					hole = i
				}
				continue
			}
			stored++
			if hole >= 0 {
				mu.Unlock()
				t.Fatalf("round %d: event %d of %d received live is missing from the store but a later one (%d) is there", round, hole+1, len(got), i+1)
			}
		}
		n := len(got)
		mu.Unlock()
		s.Close()
		if stored == 0 {
			t.Fatalf("round %d: none of the %d events received live was stored", round, n)
		}
		t.Logf("round %d: the store holds the first %d of the %d events received live after SIGKILL", round, stored, n)
	}
}
