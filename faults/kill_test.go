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
// and a console is attached. The recorder publishes an event only after the
// store committed its batch, so every event the console received was
// acknowledged: after the kill each of them must be in the store, and the
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
		missing := 0
		for _, id := range got {
			if _, err := s.Get(id); err != nil {
				missing++
			}
		}
		n := len(got)
		mu.Unlock()
		s.Close()
		if missing > 0 {
			t.Fatalf("round %d: %d of %d acknowledged events missing after SIGKILL", round, missing, n)
		}
		t.Logf("round %d: %d acknowledged events all present after SIGKILL", round, n)
	}
}
