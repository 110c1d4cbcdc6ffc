package recorder

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/testutil"
	"github.com/beignet/devtools/store"
	"github.com/beignet/devtools/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func ptr[T any](v T) *T { return &v }

// openStore opens a store in a temp dir, checked and closed at cleanup.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	return storetest.Open(t, store.Options{})
}

// newTestRecorder returns an enabled development recorder writing to a
// temp store it does not own (so tests can read after Close).
func newTestRecorder(t testing.TB, cfg Config) *Recorder {
	t.Helper()
	return newTestRecorderHooks(t, cfg, hooks{})
}

func newTestRecorderHooks(t testing.TB, cfg Config, hk hooks) *Recorder {
	t.Helper()
	if cfg.Env == "" {
		cfg.Env = "development"
	}
	if cfg.Store == nil && cfg.StorePath == "" {
		cfg.Store = openStore(t)
	}
	r, err := newRecorder(cfg, hk)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

func flush(t testing.TB, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// allEvents returns every stored event, oldest first.
func allEvents(t testing.TB, st *store.Store) []event.Event {
	t.Helper()
	evs, err := st.Since(event.ID{}, 100000)
	if err != nil {
		t.Fatalf("Since: %v", err)
	}
	return evs
}

func byKind(evs []event.Event, k event.Kind) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func one(t testing.TB, evs []event.Event, k event.Kind) event.Event {
	t.Helper()
	got := byKind(evs, k)
	if len(got) != 1 {
		t.Fatalf("want 1 %s event, got %d (of %d): %s", k, len(got), len(evs), dump(evs))
	}
	return got[0]
}

func dump(evs []event.Event) string {
	var b strings.Builder
	for i := range evs {
		enc, _ := json.Marshal(&evs[i])
		b.Write(enc)
		b.WriteByte('\n')
	}
	return b.String()
}

func testLogger(buf *testutil.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
