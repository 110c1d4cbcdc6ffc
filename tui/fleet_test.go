package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

// threeInstances returns three fake sources (the third without its own
// instance name in its events) and their interleaved events, per source.
func threeInstances() ([]*fakeSource, [][]event.Event) {
	srcs := make([]*fakeSource, 3)
	evs := make([][]event.Event, 3)
	for i := range srcs {
		srcs[i] = newFake(nil)
		srcs[i].name = "ws://10.0.0." + itoa(i+1) + ":8080/api/devtools/ws"
	}
	all := sampleEvents(0, 24)
	for j := range all {
		i := j % 3
		e := all[j]
		e.Instance = []string{"web-1", "web-2", ""}[i]
		evs[i] = append(evs[i], e)
	}
	return srcs, evs
}

// Three instances: events merge by recording time into one list, each row
// names its instance (the source's host when the event carries none), and
// the status bar shows each instance's state.
func TestGoldenMergedInstances(t *testing.T) {
	srcs, evs := threeInstances()
	dark := true
	m := newModel(Options{Sources: []Source{srcs[0], srcs[1], srcs[2]}, Now: fixedNow, Location: time.UTC, Dark: &dark})
	m = runTea(t, m, 110, 24, func(tm *teatest.TestModel) {
		for i := range srcs {
			tm.Send(batchMsg{src: i, b: batch{Conn: &status{State: stream.StateLive}}})
		}
		// The third instance's events come last and all at once.
		tm.Send(batchMsg{src: 0, b: batch{Events: evs[0]}})
		tm.Send(batchMsg{src: 1, b: batch{Events: evs[1]}})
		tm.Send(batchMsg{src: 2, b: batch{Events: evs[2]}})
		tm.Send(batchMsg{src: 1, b: batch{Conn: &status{State: stream.StateReconnecting, RetryIn: 2 * time.Second, Since: fixedNow()}}})
	})
	for i := 1; i < m.list.buf.len(); i++ {
		if m.list.buf.entryAt(i).ev.ID.Compare(m.list.buf.entryAt(i-1).ev.ID) <= 0 {
			t.Fatalf("entry %d out of order", i)
		}
	}
	out := ansi.Strip(m.Render())
	for _, want := range []string{"web-1", "web-2", "10.0.0.3:8080", "● 10.0.0.1:8080 ↻ 10.0.0.2:8080 ● 10.0.0.3:8080"} {
		if !strings.Contains(out, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	requireGolden(t, m)
}

// instance: narrows the merged list to one instance.
func TestFilterInstance(t *testing.T) {
	srcs, evs := threeInstances()
	m := unitModelOn(t, 110, 30, srcs[0], srcs[1], srcs[2])
	for i := range srcs {
		m.Update(batchMsg{src: i, b: batch{Events: evs[i]}})
	}
	m.Update(press("/"))
	typeInto(m, "instance:web-2")
	m.Update(press("enter"))
	if m.list.buf.visLen() != len(evs[1]) {
		t.Fatalf("instance:web-2 shows %d events, want %d", m.list.buf.visLen(), len(evs[1]))
	}
	for i := 0; i < m.list.buf.visLen(); i++ {
		if got := m.list.buf.visAt(i).ev.Instance; got != "web-2" {
			t.Fatalf("instance:web-2 shows an event of %q", got)
		}
	}
	// The source's host stands in for a missing instance name.
	m.Update(press("/"))
	m.Update(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	typeInto(m, "instance:10.0.0.3*")
	m.Update(press("enter"))
	if m.list.buf.visLen() != len(evs[2]) {
		t.Fatalf("instance:10.0.0.3* shows %d events, want %d", m.list.buf.visLen(), len(evs[2]))
	}
}

// One refusing instance does not stop the others, and the console says
// which one refused.
func TestOneSourceRefusing(t *testing.T) {
	srcs, evs := threeInstances()
	m := unitModelOn(t, 110, 30, srcs[0], srcs[1], srcs[2])
	m.Update(batchMsg{src: 1, b: batch{Conn: &status{State: stream.StateLive}}})
	m.Update(batchMsg{src: 2, b: batch{Conn: &status{State: stream.StateAuthRefused, Err: errString("stream: unauthorized (401)")}}})
	_, cmd := m.Update(batchMsg{src: 0, b: batch{Events: evs[0]}})
	if cmd == nil {
		t.Fatal("a refusal elsewhere stopped reading this source")
	}
	m.Update(batchMsg{src: 1, b: batch{Events: evs[1]}})
	if m.list.buf.len() != len(evs[0])+len(evs[1]) {
		t.Fatalf("%d events shown", m.list.buf.len())
	}
	if !strings.Contains(m.bar.message, "10.0.0.3:8080: auth refused") {
		t.Fatalf("notice %q does not name the refusing instance", m.bar.message)
	}
	out := ansi.Strip(m.Render())
	if !strings.Contains(out, "✖ 10.0.0.3:8080") || !strings.Contains(out, "● 10.0.0.2:8080") {
		t.Fatalf("status bar:\n%s", out)
	}
	requireGolden(t, m)
	// Many instances: the bar counts states instead of naming each.
	m.Update(windowSize(50, 20))
	if out := ansi.Strip(m.renderStatus()); !strings.Contains(out, "● 2 live ✖ 1 refused") {
		t.Fatalf("compact status: %q", out)
	}
}

// A request's timeline gathers the events of every instance sharing its
// trace ID: those in memory and, through their request IDs, each
// source's history.
func TestTimelineAcrossInstancesByTrace(t *testing.T) {
	at := t0
	reqA := event.Event{V: 1, ID: mkID(at, 1), Time: at, Kind: event.KindRequest, Name: "GET /checkout", RequestID: "ra", TraceID: "t1", Instance: "web-1",
		DurationNs: int64(50 * time.Millisecond), HTTP: &event.HTTP{Method: "GET", URL: "/checkout", Status: 200}}
	reqB := event.Event{V: 1, ID: mkID(at.Add(10*time.Millisecond), 2), Time: at.Add(5 * time.Millisecond), Kind: event.KindRequest, Name: "POST /charge",
		RequestID: "rb", TraceID: "t1", Instance: "web-2", DurationNs: int64(30 * time.Millisecond), HTTP: &event.HTTP{Method: "POST", URL: "/charge", Status: 201}}
	logB := event.Event{V: 1, ID: mkID(at.Add(8*time.Millisecond), 3), Time: at.Add(8 * time.Millisecond), Kind: event.KindLog, Message: "charged",
		RequestID: "rb", TraceID: "t1", Instance: "web-2"}
	a, b := newFake([]event.Event{reqA}), newFake([]event.Event{logB, reqB})
	m := unitModelOn(t, 120, 30, a, b)
	m.Update(batchMsg{src: 0, b: batch{Events: []event.Event{reqA}}})
	m.Update(batchMsg{src: 1, b: batch{Events: []event.Event{reqB}}})
	m.Update(press("k"))
	if m.selected().ev.ID != reqA.ID {
		t.Fatal("selection not on the first request")
	}
	_, cmd := m.Update(press("enter"))
	runCmd(m, cmd)
	got := m.requestEvents(&reqA)
	if len(got) != 3 || got[0].ID != reqA.ID || got[1].ID != reqB.ID || got[2].ID != logB.ID {
		t.Fatalf("timeline: %d events", len(got))
	}
	for range 3 {
		m.Update(press("tab"))
	}
	out := ansi.Strip(m.Render())
	if !strings.Contains(out, "3 events over") || !strings.Contains(out, "charged") {
		t.Fatalf("timeline tab:\n%s", out)
	}
}

// Paused, arrivals of several instances wait; on resume they go in in
// recording order.
func TestPausedArrivalsOfSeveralInstancesMergeInOrder(t *testing.T) {
	srcs, evs := threeInstances()
	m := unitModelOn(t, 110, 30, srcs[0], srcs[1], srcs[2])
	m.Update(press("p"))
	for i := range srcs {
		m.Update(batchMsg{src: i, b: batch{Events: evs[i]}})
	}
	m.Update(press("p"))
	if m.list.buf.len() != 24 {
		t.Fatalf("%d in memory", m.list.buf.len())
	}
	for i := 1; i < m.list.buf.len(); i++ {
		if m.list.buf.entryAt(i).ev.ID.Compare(m.list.buf.entryAt(i-1).ev.ID) <= 0 {
			t.Fatalf("entry %d out of order after resume", i)
		}
	}
}
