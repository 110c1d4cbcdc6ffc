package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/filter"
	"github.com/beignet/devtools/internal/testutil"
)

// The erasure benchmarks run on a store at the default cap, 100,000
// events (about 600 bytes each: 25,000 requests of a request, a provider
// call, a log line and an audit record, by 1,000 users), where the subject
// (ada@example.com) made 25 requests and adam@example.com, who must not be
// touched, as many:
//
//	go test -run '^$' -bench 'Erase100k' -benchtime 5x -count 3 ./store
//
// select/prefilter is the selection Do and Export run (dry run: nothing
// deleted), select/fullscan the same selection by decoding every event
// and matching it with the filter (the baseline), and erase the whole
// erasure on a fresh copy with fsync on: select, delete, sweep the index,
// compact the file.
const eraseEvents = 100_000

var eraseFixture struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func cleanupEraseFixture() {
	if eraseFixture.dir != "" {
		os.RemoveAll(eraseFixture.dir)
	}
}

func loadEraseFixture(b *testing.B) string {
	b.Helper()
	eraseFixture.once.Do(func() {
		eraseFixture.dir, eraseFixture.err = os.MkdirTemp("", "store-erase-bench-")
		if eraseFixture.err != nil {
			return
		}
		eraseFixture.path = filepath.Join(eraseFixture.dir, "devtools.db")
		s, err := Open(eraseFixture.path, Options{NoSync: true, MaxAge: -1, MaxEvents: -1, CompactFreeRatio: -1})
		if err != nil {
			eraseFixture.err = err
			return
		}
		defer s.Close()
		base := time.Now().Add(-12 * time.Hour)
		var tick int64
		clock := func() time.Time { return base.Add(time.Duration(tick) * time.Millisecond) }
		gen, reqGen := event.NewGenerator(clock), event.NewGenerator(clock)
		kinds := []event.Kind{event.KindRequest, event.KindProvider, event.KindLog, event.KindAudit}
		evs := make([]event.Event, eraseEvents)
		enc := make([][]byte, eraseEvents)
		var rid, tid, actor string
		for i := range evs {
			tick++
			if i%4 == 0 {
				req := i / 4
				rid = reqGen.New().String()
				tid = fmt.Sprintf("%032x", req+1)
				switch {
				case req%1000 == 7:
					actor = "ada@example.com"
				case req%1000 == 8:
					actor = "adam@example.com"
				default:
					actor = fmt.Sprintf("user%d@example.com", req%1000)
				}
			}
			e := mkEvent(gen, clock(), kinds[i%4], rid, i)
			e.TraceID = tid
			if e.Kind == event.KindAudit {
				e.Audit = &event.Audit{Actor: actor, Tenant: "acme", Action: "note.update", Resource: "note/1", Outcome: "success"}
			}
			evs[i] = e
			enc[i], _ = event.Marshal(&evs[i])
		}
		if err := s.AppendEncoded(evs, enc); err != nil {
			eraseFixture.err = err
			return
		}
		eraseFixture.err = s.db.Sync()
	})
	if eraseFixture.err != nil {
		b.Fatal(eraseFixture.err)
	}
	return eraseFixture.path
}

var eraseSelection = Selection{Match: "actor:ada@example.com", WithRequests: true}

// eraseWant is what the selection holds: 25 requests of 4 events.
const eraseWant = 100

func BenchmarkErase100k(b *testing.B) {
	path := loadEraseFixture(b)
	ctx := context.Background()
	b.Run("select/prefilter", func(b *testing.B) {
		s := openFixture(b, path)
		b.ResetTimer()
		cpu0 := testutil.ProcessCPU()
		for i := 0; i < b.N; i++ {
			res, err := s.Do(ctx, PurgeRequest{Selection: eraseSelection, DryRun: true}, time.Now())
			if err != nil || res.Removed != eraseWant {
				b.Fatalf("Do = %+v, %v", res, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		reportCPU(b, cpu0)
	})
	b.Run("select/fullscan", func(b *testing.B) {
		s := openFixture(b, path)
		f := filter.MustParse(eraseSelection.Match)
		b.ResetTimer()
		cpu0 := testutil.ProcessCPU()
		for i := 0; i < b.N; i++ {
			if n := fullScanSelect(b, s, f); n != eraseWant {
				b.Fatalf("full scan selected %d", n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		reportCPU(b, cpu0)
	})
	b.Run("erase", func(b *testing.B) {
		var maxTx, cpu time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dst := filepath.Join(b.TempDir(), "erase.db")
			if err := copyFile(path, dst); err != nil {
				b.Fatal(err)
			}
			s, err := Open(dst, Options{MaxAge: -1, MaxEvents: -1, CompactFreeRatio: -1})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			c0 := testutil.ProcessCPU()
			res, err := s.Do(ctx, PurgeRequest{Selection: eraseSelection}, time.Now())
			cpu += testutil.ProcessCPU() - c0
			b.StopTimer()
			if err != nil || res.Removed != eraseWant || !res.Compacted {
				b.Fatalf("Do = %+v, %v", res, err)
			}
			maxTx = max(maxTx, s.maxTx)
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		b.ReportMetric(float64(maxTx.Microseconds())/1000, "max-tx-ms")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	})
}

// fullScanSelect is the baseline: decode every event, match it, collect
// the correlation IDs, then decode every event again to widen.
func fullScanSelect(b *testing.B, s *Store, f *filter.Filter) int {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEvents)
		rids, tids := map[string]bool{}, map[string]bool{}
		picked := map[string]bool{}
		_ = eb.ForEach(func(k, v []byte) error {
			var e event.Event
			if event.Unmarshal(v, &e) == nil && f.Match(&e) {
				picked[string(k)] = true
				rids[e.RequestID], tids[e.TraceID] = true, true
			}
			return nil
		})
		return eb.ForEach(func(k, v []byte) error {
			var e event.Event
			if picked[string(k)] || event.Unmarshal(v, &e) == nil && (rids[e.RequestID] || tids[e.TraceID]) {
				n++
			}
			return nil
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
