package tui

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"go.uber.org/goleak"

	"github.com/beignet/devtools/event"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// teatest starts a goroutine per test model waiting for SIGINT that
		// never ends, and signal.Notify's runtime loop.
		goleak.IgnoreAnyFunction("github.com/charmbracelet/x/exp/teatest/v2.NewTestModel.func2"),
		goleak.IgnoreAnyFunction("os/signal.signal_recv"),
		goleak.IgnoreAnyFunction("os/signal.loop"),
	)
}

var t0 = time.Date(2026, 11, 29, 9, 30, 0, 0, time.UTC)

func fixedNow() time.Time { return t0.Add(10 * time.Minute) }

func mkID(t time.Time, n int) event.ID {
	id := event.IDFromTime(t)
	id[12], id[13], id[14], id[15] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return id
}

// sampleEvents returns n deterministic events of every kind, grouped in
// requests of four (request, provider call, audit, log).
func sampleEvents(start, n int) []event.Event {
	out := make([]event.Event, 0, n)
	for i := start; i < start+n; i++ {
		at := t0.Add(time.Duration(i) * 37 * time.Millisecond)
		req := fmt.Sprintf("req-%04d", i/4)
		e := event.Event{V: 1, ID: mkID(at, i), Time: at, RequestID: req, App: "notes", Instance: "dev-1"}
		switch i % 4 {
		case 0:
			status := []int{200, 201, 404, 500, 302}[(i/4)%5]
			method := []string{"GET", "POST", "GET", "DELETE", "GET"}[(i/4)%5]
			e.Kind = event.KindRequest
			e.Name = method + " /api/notes/{id}"
			e.DurationNs = int64(time.Duration(20+(i*7)%400) * time.Millisecond)
			e.Status = status
			e.HTTP = &event.HTTP{Method: method, URL: fmt.Sprintf("/api/notes/%d?view=full", i), Route: "/api/notes/{id}", Status: status,
				RequestHeaders:  map[string][]string{"Authorization": {"[REDACTED]"}, "Accept": {"application/json"}, "Host": {"127.0.0.1:8080"}},
				ResponseHeaders: map[string][]string{"Content-Type": {"application/json"}, "Set-Cookie": {"[REDACTED]"}},
				RequestBody:     &event.Body{ContentType: "application/json", Size: 44, Text: `{"title":"hello","token":"[REDACTED]","n":1}`},
				ResponseBody:    &event.Body{ContentType: "application/json", Size: 38, Text: `{"id":7,"title":"hello","tags":["a","b"]}`},
				RemoteAddr:      "127.0.0.1:50000"}
			e.Redacted = []string{"http.requestHeaders.authorization", "http.requestBody.token", "http.responseHeaders.set-cookie"}
		case 1:
			e.Kind = event.KindProvider
			e.Time = e.Time.Add(-30 * time.Millisecond)
			e.Name = "stripe charges.create"
			e.DurationNs = int64(12 * time.Millisecond)
			e.Provider = &event.Provider{Name: "stripe", Operation: "charges.create", Method: "POST", URL: "https://api.stripe.com/v1/charges", Status: 200}
		case 2:
			e.Kind = event.KindAudit
			e.Time = e.Time.Add(-20 * time.Millisecond)
			e.Name = "note.update"
			e.Audit = &event.Audit{Actor: "alice@example.com", Tenant: "acme", Action: "note.update", Resource: "note/7", Outcome: "allowed"}
		default:
			e.Kind = event.KindLog
			e.Time = e.Time.Add(-10 * time.Millisecond)
			e.Level = "INFO"
			e.Message = "note saved"
			e.Attrs = event.Attrs{"note": 7, "user": "alice"}
		}
		out = append(out, e)
	}
	return out
}

// fakeSource is an in-memory Source: batches are pushed with push (through a
// pump, as the live source does) and history is a slice, oldest first.
type fakeSource struct {
	name string
	pump *pump

	mu         sync.Mutex
	history    []event.Event // nil: no history
	olderCalls int           // older calls
}

func newFake(history []event.Event) *fakeSource {
	return &fakeSource{name: "ws://127.0.0.1:8080/api/devtools/ws", pump: newPump(time.Millisecond, 0), history: history}
}

func (f *fakeSource) Describe() string { return f.name }
func (f *fakeSource) next(ctx context.Context) (batch, error) {
	return f.pump.Next(ctx)
}
func (f *fakeSource) older(ctx context.Context, before event.ID, limit int) ([]event.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.olderCalls++
	if f.history == nil {
		return nil, errNoHistory
	}
	var out []event.Event
	for i := len(f.history) - 1; i >= 0 && len(out) < limit; i-- {
		if before.IsZero() || f.history[i].ID.Compare(before) < 0 {
			out = append(out, f.history[i])
		}
	}
	return out, nil
}
func (f *fakeSource) newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error) {
	return nil, errNoHistory
}
func (f *fakeSource) correlated(ctx context.Context, id string) ([]event.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.history == nil {
		return nil, errNoHistory
	}
	var out []event.Event
	for i := range f.history {
		if f.history[i].RequestID == id {
			out = append(out, f.history[i])
		}
	}
	return out, nil
}
func (f *fakeSource) Close() error { f.pump.Close(); return nil }

func newTestModel(src Source, dark bool) *model {
	return newModel(Options{Source: src, Now: fixedNow, Location: time.UTC, Dark: &dark})
}

// requireGolden compares the model's screen, ANSI stripped, with
// testdata/<test name>.golden (go test -update rewrites it).
func requireGolden(t *testing.T, m *model) {
	t.Helper()
	out := ansi.Strip(m.View().Content)
	// Trailing spaces are noise in golden files.
	lines := strings.Split(out, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	golden.RequireEqual(t, []byte(strings.Join(lines, "\n")+"\n"))
}

func windowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

func itoa(i int) string { return fmt.Sprint(i) }

func lipglossColor(s string) color.Color { return lipgloss.Color(s) }
