package store

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/benchbase"
	"github.com/beignet/devtools/internal/testutil"
)

// Benchmarks. The append benchmarks compare the store with a bare bbolt put
// loop of the same bytes in the same run:
//
//	go test -run '^$' -bench 'Append|BareBolt' -benchtime 1s -count 5 ./store
//
// BenchmarkAppendVsBare runs both in one loop, batch by batch, which is
// the fairer comparison on a shared, busy machine.
//
// The 1,000,000-event benchmarks share a fixture built once per benchmark
// process by a bulk loader (big NoSync transactions) in a temporary folder,
// removed by TestMain; plain `go test` never builds it:
//
//	go test -run '^$' -bench 'Correlated|NewestPage' -benchtime 200x -count 5 ./store
//	go test -run '^$' -bench 'Purge1M' -benchtime 1x -count 5 ./store
//
// STORE_BENCH_TXLOG=1 prints every purge transaction's duration;
// STORE_BENCH_NOSYNC=1 runs the append benchmarks without fsync (CPU only).
// Besides wall time, the 1M benchmarks report CPU time per operation.

// benchEvents returns n stamped ~600-byte events and their encodings: about
// four events per request (request, provider, log, custom), request IDs
// generated like the recorder's (time-ordered).
func benchEvents(gen, reqGen *event.Generator, n int) ([]event.Event, [][]byte) {
	evs := make([]event.Event, n)
	enc := make([][]byte, n)
	rid := ""
	kinds := []event.Kind{event.KindRequest, event.KindProvider, event.KindLog, event.KindCustom}
	for i := range evs {
		if i%4 == 0 {
			rid = reqGen.New().String()
		}
		evs[i] = mkEvent(gen, time.Now(), kinds[i%4], rid, i)
		enc[i], _ = event.Marshal(&evs[i])
	}
	return evs, enc
}

// renew gives evs fresh IDs and fresh request IDs, perRequest events to a
// request, as the next group of a busy app would have; their encodings
// stay as they are (the store keys by ID and indexes by RequestID).
func renew(gen, reqGen *event.Generator, evs []event.Event, perRequest int) {
	rid := ""
	for i := range evs {
		evs[i].ID = gen.New()
		if i%perRequest == 0 {
			rid = reqGen.New().String()
		}
		evs[i].RequestID = rid
	}
}

// padMessages re-encodes evs with an n-byte message each, for benchmarks
// that need events of about the load test's size.
func padMessages(evs []event.Event, enc [][]byte, n int) {
	for i := range evs {
		e := evs[i]
		e.Message = strings.Repeat("m", n)
		enc[i], _ = event.Marshal(&e)
	}
}

func reportRate(b *testing.B, events int) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

var batchSizes = []int{1, 100, 1000}

func BenchmarkAppend(b *testing.B) {
	for _, batch := range batchSizes {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			s := openTemp(b, &Options{MaxAge: -1, MaxEvents: -1, CompactFreeRatio: -1, NoSync: benchNoSync})
			gen, reqGen := event.NewGenerator(nil), event.NewGenerator(nil)
			evs, enc := benchEvents(gen, reqGen, batch)
			b.SetBytes(int64(len(enc[0])))
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				renew(gen, reqGen, evs, 4) // same bytes as the bare loop
				if err := s.AppendEncoded(evs, enc); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, b.N)
		})
	}
}

func BenchmarkBareBoltPut(b *testing.B) {
	for _, batch := range batchSizes {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			db, err := benchbase.OpenBolt(filepath.Join(b.TempDir(), "bare.db"), benchNoSync)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			gen, reqGen := event.NewGenerator(nil), event.NewGenerator(nil)
			evs, enc := benchEvents(gen, reqGen, batch)
			b.SetBytes(int64(len(enc[0])))
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				for i := range evs {
					evs[i].ID = gen.New()
				}
				if err := db.Put(len(evs), func(i int) ([]byte, []byte) { return evs[i].ID[:], enc[i] }); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, b.N)
		})
	}
}

// The 1M fixture.
const fixtureEvents = 1_000_000

var fixture struct {
	once sync.Once
	dir  string
	path string
	rids []string // every request ID, in order
	err  error
}

func cleanupFixture() {
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
}

// loadFixture builds the 1M-event store once per process: events 1 ms
// apart starting 30 days ago (so all are past the default retention), four
// per request, loaded 100,000 per NoSync transaction.
func loadFixture(b *testing.B) string {
	b.Helper()
	fixture.once.Do(func() {
		start := time.Now()
		fixture.dir, fixture.err = os.MkdirTemp("", "store-bench-")
		if fixture.err != nil {
			return
		}
		fixture.path = filepath.Join(fixture.dir, "devtools.db")
		s, err := Open(fixture.path, Options{NoSync: true, MaxAge: -1, MaxEvents: -1, MaxSize: -1, CompactFreeRatio: -1})
		if err != nil {
			fixture.err = err
			return
		}
		defer s.Close()
		base := time.Now().Add(-30 * 24 * time.Hour)
		var tick int64
		clock := func() time.Time { return base.Add(time.Duration(tick) * time.Millisecond) }
		gen, reqGen := event.NewGenerator(clock), event.NewGenerator(clock)
		kinds := []event.Kind{event.KindRequest, event.KindProvider, event.KindLog, event.KindCustom}
		const perTx = 100_000
		for done := 0; done < fixtureEvents; done += perTx {
			evs := make([]event.Event, perTx)
			enc := make([][]byte, perTx)
			for i := range evs {
				tick++
				if i%4 == 0 {
					fixture.rids = append(fixture.rids, reqGen.New().String())
				}
				evs[i] = mkEvent(gen, clock(), kinds[i%4], fixture.rids[len(fixture.rids)-1], i)
				enc[i], _ = event.Marshal(&evs[i])
			}
			if err := s.AppendEncoded(evs, enc); err != nil {
				fixture.err = err
				return
			}
		}
		if err := s.db.Sync(); err != nil { // flush the NoSync load before timing anything
			fixture.err = err
			return
		}
		fi, _ := os.Stat(fixture.path)
		fmt.Fprintf(os.Stderr, "store bench fixture: %d events, %d MiB, built in %v\n", fixtureEvents, fi.Size()>>20, time.Since(start).Round(time.Millisecond))
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.path
}

func openFixture(b *testing.B, path string) *Store {
	b.Helper()
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func BenchmarkCorrelated(b *testing.B) {
	s := openFixture(b, loadFixture(b))
	rnd := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	cpu0 := testutil.ProcessCPU()
	for i := 0; i < b.N; i++ {
		rid := fixture.rids[rnd.IntN(len(fixture.rids))]
		evs, err := s.Correlated(rid)
		if err != nil || len(evs) != 4 {
			b.Fatalf("Correlated = %d, %v", len(evs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	reportCPU(b, cpu0)
}

func BenchmarkNewestPage(b *testing.B) {
	s := openFixture(b, loadFixture(b))
	b.ResetTimer()
	cpu0 := testutil.ProcessCPU()
	for i := 0; i < b.N; i++ {
		p, err := s.List(Query{Limit: 1000})
		if err != nil || len(p.Events) != 1000 || p.Next.IsZero() {
			b.Fatalf("List = %d, %v", len(p.Events), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	reportCPU(b, cpu0)
}

// BenchmarkPurge1M purges all 1,000,000 expired events (and their index
// entries) from a fresh copy of the fixture, with fsync on, and reports the
// longest single write transaction.
func BenchmarkPurge1M(b *testing.B) {
	src := loadFixture(b)
	b.ResetTimer()
	var maxTx, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dst := filepath.Join(b.TempDir(), "purge.db")
		if err := copyFile(src, dst); err != nil {
			b.Fatal(err)
		}
		s, err := Open(dst, Options{MaxAge: -1, MaxEvents: -1, MaxSize: -1, CompactFreeRatio: -1})
		if err != nil {
			b.Fatal(err)
		}
		var txs []time.Duration
		s.txLog = func(d time.Duration) { txs = append(txs, d) }
		b.StartTimer()
		c0 := testutil.ProcessCPU()
		n, err := s.Purge(time.Now().Add(-24 * time.Hour))
		cpu += testutil.ProcessCPU() - c0
		b.StopTimer()
		if err != nil || n != fixtureEvents {
			b.Fatalf("Purge = %d, %v", n, err)
		}
		maxTx = max(maxTx, s.maxTx)
		if os.Getenv("STORE_BENCH_TXLOG") != "" {
			var sum time.Duration
			for _, d := range txs {
				sum += d
			}
			fmt.Fprintln(os.Stderr, len(txs), "txs, sum", sum, txs)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/1000/float64(b.N), "s/purge")
	b.ReportMetric(float64(maxTx.Microseconds())/1000, "max-tx-ms")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/purge")
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	// Flush the copy now, or the purge's first fsync would write it all.
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// benchNoSync (STORE_BENCH_NOSYNC=1) runs the append benchmarks without
// fsync, to compare CPU cost alone on a machine whose disk is noisy.
var benchNoSync = os.Getenv("STORE_BENCH_NOSYNC") == "1"

// BenchmarkAppendVsBare interleaves the two, batch by batch, in one loop,
// so that a busy machine slows both alike, and reports both rates and
// their ratio.
func BenchmarkAppendVsBare(b *testing.B) {
	for _, batch := range batchSizes {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			s := openTemp(b, &Options{MaxAge: -1, MaxEvents: -1, CompactFreeRatio: -1, NoSync: benchNoSync})
			db, err := benchbase.OpenBolt(filepath.Join(b.TempDir(), "bare.db"), benchNoSync)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			gen, reqGen := event.NewGenerator(nil), event.NewGenerator(nil)
			evs, enc := benchEvents(gen, reqGen, batch)
			var inStore, inBare time.Duration
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				renew(gen, reqGen, evs, 4)
				start := time.Now()
				if err := s.AppendEncoded(evs, enc); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if err := db.Put(len(evs), func(i int) ([]byte, []byte) { return evs[i].ID[:], enc[i] }); err != nil {
					b.Fatal(err)
				}
				inStore += mid.Sub(start)
				inBare += time.Since(mid)
			}
			n := float64(b.N)
			b.ReportMetric(n/inStore.Seconds(), "store-events/s")
			b.ReportMetric(n/inBare.Seconds(), "bare-events/s")
			b.ReportMetric(100*inBare.Seconds()/inStore.Seconds(), "store-%-of-bare")
		})
	}
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((testutil.ProcessCPU()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkAppendAtRetention appends batches of 100 to a store that is at
// its MaxEvents, so every Append also deletes as many old events and
// sweeps their index entries: the steady state of a busy app.
func BenchmarkAppendAtRetention(b *testing.B) {
	const keep, batch = 20_000, 100
	s := openTemp(b, &Options{MaxAge: -1, MaxEvents: keep, CompactFreeRatio: -1, NoSync: benchNoSync})
	gen, reqGen := event.NewGenerator(nil), event.NewGenerator(nil)
	evs, enc := benchEvents(gen, reqGen, 1000)
	for i := 0; i < keep/1000+1; i++ {
		for j := range evs {
			evs[j].ID = gen.New()
		}
		if err := s.AppendEncoded(evs, enc); err != nil {
			b.Fatal(err)
		}
	}
	evs, enc = evs[:batch], enc[:batch]
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		renew(gen, reqGen, evs, 4)
		if err := s.AppendEncoded(evs, enc); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N)
	b.StopTimer()
	if st, _ := s.Stats(); st.Count > keep {
		b.Fatalf("count %d over MaxEvents", st.Count)
	}
}

// BenchmarkAppendAtCapPageSize appends groups of 1,000 ~1.1 KiB events
// (what the recorder's group commit writes at saturation) to a store at
// its MaxEvents, with the default page size and with the OS page size
// bbolt would otherwise pick, and reports the process CPU per event (the
// kernel's share included: bbolt writes each dirty page with a pwrite of
// its own). Sync is on unless STORE_BENCH_NOSYNC=1.
func BenchmarkAppendAtCapPageSize(b *testing.B) {
	for _, ps := range []int{DefaultPageSize, os.Getpagesize()} {
		b.Run(fmt.Sprintf("page=%dKiB", ps>>10), func(b *testing.B) {
			const keep, group = 50_000, 1000
			s := openTemp(b, &Options{MaxAge: -1, MaxEvents: keep, CompactFreeRatio: -1, NoSync: benchNoSync, PageSize: ps})
			gen, reqGen := event.NewGenerator(nil), event.NewGenerator(nil)
			evs, enc := benchEvents(gen, reqGen, group)
			padMessages(evs, enc, 1000)
			for i := 0; i < keep/group+1; i++ {
				for j := range evs {
					evs[j].ID = gen.New()
				}
				if err := s.AppendEncoded(evs, enc); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			cpu := testutil.ProcessCPU()
			for done := 0; done < b.N; done += group {
				renew(gen, reqGen, evs, 2)
				if err := s.AppendEncoded(evs, enc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((testutil.ProcessCPU()-cpu).Nanoseconds())/1000/float64(b.N), "cpu-µs/event")
		})
	}
}

// BenchmarkAtCapFloor compares the store at its MaxEvents (100,000) with
// the least that any store keeping one bbolt key per event can do at that
// size: put each event, delete the oldest, with the store's page size,
// freelist and fill, and no index, counters, lookups or sweep. Both take
// groups of 560 ~1 KiB events, what the recorder's group commit writes per
// transaction in the load test (about 14,000 events/s, one commit per
// 40 ms), in one loop, group by group, and report the process CPU per
// event of each (the kernel's share included: two fdatasyncs per commit, a
// pwrite per dirty page). Sync is on unless STORE_BENCH_NOSYNC=1.
//
//	go test -run '^$' -bench AtCapFloor -benchtime 300000x -count 5 ./store
//
// The floor is what the recorder's whole budget per event would have to
// cover before redaction, encoding and fan-out, on this design.
func BenchmarkAtCapFloor(b *testing.B) {
	const keep, group = 100_000, 560
	s := openTemp(b, &Options{MaxAge: -1, MaxEvents: keep, CompactFreeRatio: -1, NoSync: benchNoSync})
	db, err := bolt.Open(filepath.Join(b.TempDir(), "floor.db"), 0o600, &bolt.Options{
		NoSync: benchNoSync, FreelistType: bolt.FreelistMapType, PageSize: DefaultPageSize,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	gen, reqGen := event.NewGenerator(nil), event.NewGenerator(nil)
	evs, enc := benchEvents(gen, reqGen, group)
	padMessages(evs, enc, 400)
	stored := 0
	floor := func() error {
		return db.Update(func(tx *bolt.Tx) error {
			eb, err := tx.CreateBucketIfNotExists([]byte("events"))
			if err != nil {
				return err
			}
			eb.FillPercent = eventsFill
			for i := range evs {
				if err := eb.Put(evs[i].ID[:], enc[i]); err != nil {
					return err
				}
			}
			stored += len(evs)
			c := eb.Cursor()
			for k, _ := c.First(); k != nil && stored > keep; k, _ = c.First() {
				if err := c.Delete(); err != nil {
					return err
				}
				stored--
			}
			return nil
		})
	}
	for filled := 0; filled < keep+group; filled += group {
		renew(gen, reqGen, evs, 2)
		if err := s.AppendEncoded(evs, enc); err != nil {
			b.Fatal(err)
		}
		if err := floor(); err != nil {
			b.Fatal(err)
		}
	}
	var inStore, inFloor time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; done += group {
		renew(gen, reqGen, evs, 2)
		c0 := testutil.ProcessCPU()
		if err := s.AppendEncoded(evs, enc); err != nil {
			b.Fatal(err)
		}
		c1 := testutil.ProcessCPU()
		if err := floor(); err != nil {
			b.Fatal(err)
		}
		inStore += c1 - c0
		inFloor += testutil.ProcessCPU() - c1
	}
	b.StopTimer()
	perEvent := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(perEvent(inStore), "store-cpu-µs/event")
	b.ReportMetric(perEvent(inFloor), "floor-cpu-µs/event")
	if st, err := s.Stats(); err != nil || st.Count != keep || stored != keep {
		b.Fatalf("store holds %d events (%v), floor %d, want %d", st.Count, err, stored, keep)
	}
}
