package recorder

import (
	"context"
	"sync"
	"sync/atomic"
)

// commitMark lets readers of the store wait for the batches already
// published live to be committed.
//
// The pipeline publishes a batch as soon as it is prepared and stores it
// afterwards, so that a console's live latency does not include the
// store's commit (two fdatasyncs and the page writes, milliseconds on a
// busy machine). Without a wait, a console that saw an event live and then
// resumed from the store (a reconnect with since=ID, or a history page
// read by ID) could find the rest of that event's batch missing for a
// moment: published, not yet stored, and never published again. Readers
// therefore wait until every batch published before they started is
// committed: at most one commit.
type commitMark struct {
	published atomic.Uint64 // sequence number of the last batch published (prepare stage)

	mu        sync.Mutex
	committed uint64        // sequence number of the last batch committed (commit stage)
	wake      chan struct{} // closed and replaced when committed moves
}

func newCommitMark() *commitMark { return &commitMark{wake: make(chan struct{})} }

// publish records that the batch with sequence number seq was published.
func (m *commitMark) publish(seq uint64) { m.published.Store(seq) }

// commit records that the batch with sequence number seq was committed
// (stored, or failed to store: either way nothing more will come of it)
// and wakes the waiters.
func (m *commitMark) commit(seq uint64) {
	m.mu.Lock()
	m.committed = seq
	close(m.wake)
	m.wake = make(chan struct{})
	m.mu.Unlock()
}

// wait returns once every batch published before the call is committed,
// or when ctx is done or stop is closed (the pipeline stopped: what it did
// not commit never will be). It does not wait when nothing is pending.
func (m *commitMark) wait(ctx context.Context, stop <-chan struct{}) error {
	target := m.published.Load()
	for {
		m.mu.Lock()
		done, wake := m.committed >= target, m.wake
		m.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-wake:
		case <-stop:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
