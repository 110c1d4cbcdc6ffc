package recorder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
)

// memExporter keeps what it is given; gate, when set, holds each Export
// until a value arrives (or ctx ends), and fail makes it return an error.
type memExporter struct {
	mu      sync.Mutex
	events  []event.Event
	calls   int
	entered chan struct{}
	gate    chan struct{}
	fail    func() error
}

func (m *memExporter) Export(ctx context.Context, evs []event.Event) error {
	if m.entered != nil {
		select {
		case m.entered <- struct{}{}:
		default:
		}
	}
	if m.gate != nil {
		select {
		case <-m.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil {
		if err := m.fail(); err != nil {
			return err
		}
	}
	m.events = append(m.events, evs...)
	return nil
}

func (m *memExporter) got() []event.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]event.Event(nil), m.events...)
}

// TestExportGetsStoredBytes: an exporter is handed exactly what the store
// holds, byte for byte once encoded, redaction included, and the export
// counters add up.
func TestExportGetsStoredBytes(t *testing.T) {
	exp := &memExporter{}
	r := newTestRecorder(t, Config{App: "notes", Instance: "n1", Exporters: []Exporter{exp}})
	var sec secrets
	srv := httptest.NewServer(r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		r.Audit(req.Context(), Audit{Actor: "u1", Action: "note.update", Metadata: map[string]any{"password": sec.new()}})
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q}`, sec.new())
	})))
	defer srv.Close()
	for range 3 {
		req, _ := http.NewRequest("POST", srv.URL+"/notes?token="+sec.new(), strings.NewReader(fmt.Sprintf(`{"password":%q}`, sec.new())))
		req.Header.Set("Authorization", "Bearer "+sec.new())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	r.Event(context.Background(), event.KindCustom, "tick", map[string]any{"n": 1.5, "secret": sec.new()})
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids, encs, err := r.Store().SinceEncoded(event.ID{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := exp.got()
	if len(got) != 7 || len(encs) != 7 {
		t.Fatalf("exported %d, stored %d events, want 7 each", len(got), len(encs))
	}
	for i := range got {
		if got[i].ID != ids[i] {
			t.Fatalf("event %d: exported %s, stored %s: not in pipeline order", i, got[i].ID, ids[i])
		}
		b, err := event.Marshal(&got[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, encs[i]) {
			t.Errorf("event %d (%s): exported content differs from the store's:\n%s\n%s", i, got[i].Kind, b, encs[i])
		}
		if leaks := sec.leaks(b); len(leaks) > 0 {
			t.Errorf("event %d exported %d planted secrets", i, len(leaks))
		}
	}
	st := r.Stats()
	if st.Exported != 7 || st.ExportDropped != 0 || st.ExportFailed != 0 || st.ExportQueued != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestExportNeverBlocks holds the exporter inside Export: the pipeline
// keeps storing (Flush returns), the export queue stays within its bound,
// and what does not fit is dropped and counted; nothing is lost from the
// count.
func TestExportNeverBlocks(t *testing.T) {
	exp := &memExporter{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	r := newTestRecorder(t, Config{Exporters: []Exporter{exp}, ExportQueueSize: 4})
	ctx := context.Background()
	r.Event(ctx, event.KindCustom, "first", nil)
	<-exp.entered // the exporter holds "first"
	const n = 40
	for i := range n {
		r.Event(ctx, event.KindCustom, fmt.Sprint("e", i), nil)
		if i%8 == 7 {
			if err := r.Flush(ctx); err != nil { // the pipeline does not wait for the exporter
				t.Fatal(err)
			}
		}
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.Recorded != n+1 {
		t.Fatalf("recorded %d, want %d while the exporter is stuck", st.Recorded, n+1)
	}
	if st.ExportQueued > 4 || st.ExportDropped < n-4 {
		t.Fatalf("queued %d dropped %d: want at most 4 queued and the rest dropped", st.ExportQueued, st.ExportDropped)
	}
	close(exp.gate)
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st = r.Stats()
	if got := st.Exported + st.ExportDropped; got != n+1 || int(st.Exported) != len(exp.got()) {
		t.Fatalf("exported %d + dropped %d = %d, want %d (exporter got %d)", st.Exported, st.ExportDropped, got, n+1, len(exp.got()))
	}
}

// TestExportFailureCountedRedacted: a failing exporter's batches are
// counted, its error is reported redacted (it may quote what it sent), and
// a later success clears it.
func TestExportFailureCountedRedacted(t *testing.T) {
	var sec secrets
	secret := sec.new()
	failing := true
	var mu sync.Mutex
	exp := &memExporter{fail: func() error {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			return errors.New("collector said 401 for Authorization: Bearer " + secret)
		}
		return nil
	}}
	r := newTestRecorderHooks(t, Config{Exporters: []Exporter{exp}}, hooks{exportBackoff: 5 * time.Millisecond})
	ctx := context.Background()
	r.Event(ctx, event.KindCustom, "a", nil)
	r.Event(ctx, event.KindCustom, "b", nil)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 10*time.Second, "two failed exports", func() bool { return r.Stats().ExportFailed == 2 })
	st := r.Stats()
	if st.ExportError == "" || len(sec.leaks([]byte(st.ExportError))) > 0 || !strings.Contains(st.ExportError, "401") {
		t.Fatalf("export error %q: want the error, redacted", st.ExportError)
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	r.Event(ctx, event.KindCustom, "c", nil)
	testutil.WaitFor(t, 10*time.Second, "an export", func() bool { return r.Stats().Exported == 1 })
	if st := r.Stats(); st.ExportError != "" || st.ExportFailed != 2 {
		t.Fatalf("after a success: %+v", st)
	}
}

// TestCloseBoundsExport: Close with an exporter that never finishes
// returns when its context ends, cancels the exporter's context, and
// counts what was left as dropped.
func TestCloseBoundsExport(t *testing.T) {
	exp := &memExporter{entered: make(chan struct{}, 1), gate: make(chan struct{})} // never opened
	r := newTestRecorder(t, Config{Exporters: []Exporter{exp}})
	bg := context.Background()
	r.Event(bg, event.KindCustom, "held", nil)
	<-exp.entered
	r.Event(bg, event.KindCustom, "queued", nil)
	if err := r.Flush(bg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	err := r.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v, want the deadline", err)
	}
	st := r.Stats()
	if st.Recorded != 2 || st.ExportFailed != 1 || st.ExportDropped != 1 || st.Exported != 0 {
		t.Fatalf("stats %+v: want the held batch failed (its context ended) and the queued one dropped", st)
	}
}

// TestExportBacksOff: after a failed export the exporter's goroutine waits
// before trying again, leaving what arrives in its queue (a collector that
// is down costs no decoding and converting of every event); Close cuts the
// wait short for one last try and, when that fails too, drops the rest.
func TestExportBacksOff(t *testing.T) {
	exp := &memExporter{fail: func() error { return errors.New("connection refused") }}
	r := newTestRecorderHooks(t, Config{Exporters: []Exporter{exp}}, hooks{exportBackoff: time.Hour})
	ctx := context.Background()
	r.Event(ctx, event.KindCustom, "a", nil)
	testutil.WaitFor(t, 10*time.Second, "the first export to fail", func() bool { return r.Stats().ExportFailed == 1 })
	r.Event(ctx, event.KindCustom, "b", nil)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r.Event(ctx, event.KindCustom, "c", nil)
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	exp.mu.Lock()
	calls := exp.calls
	exp.mu.Unlock()
	if st := r.Stats(); calls != 1 || st.ExportQueued != 2 {
		t.Fatalf("during the backoff: %d export calls, %d queued; want 1 call and b, c waiting", calls, st.ExportQueued)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	exp.mu.Lock()
	calls = exp.calls
	exp.mu.Unlock()
	if st := r.Stats(); calls != 2 || st.ExportFailed != 3 || st.ExportDropped != 0 {
		t.Fatalf("after Close: %d calls, stats %+v; want one last try with b and c", calls, st)
	}
}
