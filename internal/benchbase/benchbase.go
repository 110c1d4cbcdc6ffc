// Package benchbase holds the baselines that the benchmarks compare the
// product against, one definition each, so that `go run ./bench` and the
// packages' `go test -bench` measure the same thing and cannot drift apart.
//
// Bolt is the store's baseline: bare bbolt puts of the same bytes, written
// the way the store writes its events bucket (map freelist, packed pages,
// one transaction per batch), without the store's index, counters and
// retention.
//
// Fanout is the stream's baseline: a bare coder/websocket writer per
// client sending the same frames, without hub, subscription or batching.
//
// NoteHandler, NewRequest, StatusMiddleware and SlogMiddleware are the
// request-cost baselines: the bare handler, the floor of any middleware
// and the slog JSON request line that the recorder's added cost is
// compared with.
//
// The package imports no package of the module, so that any package's
// tests may use it (stream's too, without a cycle).
package benchbase

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Bolt is a bare bbolt file with one events bucket.
type Bolt struct {
	db *bolt.DB
}

// OpenBolt creates the baseline file at path. noSync skips the fsync per
// transaction, matching a store opened with Options.NoSync.
func OpenBolt(path string, noSync bool) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType, NoSync: noSync})
	if err != nil {
		return nil, fmt.Errorf("benchbase: %w", err)
	}
	return &Bolt{db: db}, nil
}

// Put writes n records in one transaction: kv(i) returns the i-th key and
// value. The bucket fills its pages completely (FillPercent 1.0), as the
// store's events bucket does: keys only ever arrive at the end.
func (b *Bolt) Put(n int, kv func(i int) (key, value []byte)) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists([]byte("events"))
		if err != nil {
			return err
		}
		bk.FillPercent = 1.0
		for i := range n {
			k, v := kv(i)
			if err := bk.Put(k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close closes the file.
func (b *Bolt) Close() error { return b.db.Close() }
