package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/fleetbench"
)

// tailFleetLoad is how long each run of BenchmarkTailFleet records.
const tailFleetLoad = 5 * time.Second

// lineTally decodes tail --json lines as they are written and counts each
// event as seen when its line is written.
type lineTally struct {
	tally *fleetbench.Tally
	mu    sync.Mutex
	part  []byte
}

func (w *lineTally) Write(p []byte) (int, error) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		var e event.Event
		if err := event.Unmarshal(w.part[:i], &e); err == nil {
			w.tally.Observe(&e, now)
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

// lockedBuffer is a bytes.Buffer safe for tail's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// BenchmarkTailFleet measures `tail --json` over a fleet of in-process
// recorders (devtools routes on loopback) recording at a steady rate:
// three --url at 2,000 events/s each, beside one --url at 6,000 events/s.
// Each run records for 5 s; latency is recorded → the event's line
// written to tail's stdout. Run with -benchtime 1x:
//
//	go test -run '^$' -bench TailFleet -benchtime 1x -count 3 ./cmd/beignet-devtools/internal/cli
func BenchmarkTailFleet(b *testing.B) {
	for _, c := range []struct{ instances, rate int }{{1, 6000}, {3, 2000}} {
		b.Run(fmt.Sprintf("instances=%d/rate=%d", c.instances, c.rate), func(b *testing.B) {
			var res []fleetbench.Result
			var offered, gaps int
			var recDropped uint64
			for i := 0; i < b.N; i++ {
				f, err := fleetbench.Start(fleetbench.Options{Instances: c.instances, Dir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				out := &lineTally{tally: fleetbench.NewTally()}
				var stderr lockedBuffer
				env := Env{
					Stdin: strings.NewReader(""), Stdout: out, Stderr: &stderr,
					Getenv: func(k string) string { return map[string]string{TokenEnv: fleetbench.Token}[k] },
				}
				args := []string{"tail", "--json"}
				for _, u := range f.URLs {
					args = append(args, "--url", u)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				done := make(chan int, 1)
				go func() { done <- Main(ctx, args, env) }()
				if err := f.WarmUp(ctx, func() bool { return out.tally.Warm(c.instances) }); err != nil {
					b.Fatalf("%v\n%s", err, stderr.String())
				}
				b.ResetTimer()
				sent, dropped := f.Run(ctx, c.rate, tailFleetLoad)
				b.StopTimer()
				total := fleetbench.Total(sent)
				deadline := time.Now().Add(5 * time.Second)
				for out.tally.Seen() < total && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				cancel()
				<-done
				f.Close()
				res = append(res, out.tally.Result(sent))
				offered += total
				recDropped += dropped
				gaps += strings.Count(stderr.String(), "skipped events")
			}
			fleetbench.Report(b, res, offered, tailFleetLoad*time.Duration(b.N))
			b.ReportMetric(float64(gaps), "gaps")
			b.ReportMetric(float64(recDropped), "recorder-dropped")
		})
	}
}
