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

// runTea runs m in a teatest program of the given size, lets steps send
// messages, quits and returns the final model. Messages sent with tm.Send are
// processed in order before the quit.
func runTea(t *testing.T, m *model, w, h int, steps func(tm *teatest.TestModel)) *model {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	steps(tm)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*model)
	t.Cleanup(func() { fm.Close() })
	return fm
}

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func keys(tm *teatest.TestModel, ks ...string) {
	for _, k := range ks {
		tm.Send(press(k))
	}
}

func live() batch {
	return batch{Conn: &status{State: stream.StateLive}, Info: "notes (development, retention 24h)"}
}

func TestGoldenList(t *testing.T) {
	m := runTea(t, newTestModel(newFake(nil), true), 80, 24, func(tm *teatest.TestModel) {
		tm.Send(batchMsg{b: live()})
		tm.Send(batchMsg{b: batch{Events: sampleEvents(0, 40)}})
	})
	if !m.list.follow || m.list.newCount != 0 {
		t.Errorf("follow=%v new=%d, want following with no counter", m.list.follow, m.list.newCount)
	}
	requireGolden(t, m)
}

func TestGoldenListLight(t *testing.T) {
	m := runTea(t, newTestModel(newFake(nil), false), 120, 20, func(tm *teatest.TestModel) {
		tm.Send(batchMsg{b: live()})
		tm.Send(batchMsg{b: batch{Events: sampleEvents(0, 12)}})
	})
	requireGolden(t, m)
}

// Scrolling up stops follow; arrivals only bump the counter and do not move
// what the user is looking at.
func TestGoldenScrolledUpNewCounter(t *testing.T) {
	m := runTea(t, newTestModel(newFake(nil), true), 80, 24, func(tm *teatest.TestModel) {
		tm.Send(batchMsg{b: live()})
		tm.Send(batchMsg{b: batch{Events: sampleEvents(0, 40)}})
		keys(tm, "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k", "k")
		tm.Send(batchMsg{b: batch{Events: sampleEvents(40, 7)}})
	})
	if m.list.follow || m.list.newCount != 7 {
		t.Fatalf("follow=%v new=%d, want not following and +7", m.list.follow, m.list.newCount)
	}
	requireGolden(t, m)
	// G resumes follow and clears the counter.
	m.Update(press("G"))
	if !m.list.follow || m.list.newCount != 0 || m.selected().ev.ID != sampleEvents(46, 1)[0].ID {
		t.Fatalf("after G: follow=%v new=%d", m.list.follow, m.list.newCount)
	}
}

func TestGoldenDetailTabs(t *testing.T) {
	for i, name := range tabNames {
		t.Run(name, func(t *testing.T) {
			m := runTea(t, newTestModel(newFake(nil), true), 90, 30, func(tm *teatest.TestModel) {
				tm.Send(batchMsg{b: live()})
				tm.Send(batchMsg{b: batch{Events: sampleEvents(0, 24)}})
				keys(tm, "k", "k", "k") // select the last request (event 20)
				keys(tm, "enter")
				for j := 0; j < i; j++ {
					keys(tm, "tab")
				}
			})
			if !m.det.open || m.det.tab != i {
				t.Fatalf("detail=%v tab=%d", m.det.open, m.det.tab)
			}
			requireGolden(t, m)
		})
	}
}

func TestGoldenSplitView(t *testing.T) {
	m := runTea(t, newTestModel(newFake(nil), true), 180, 30, func(tm *teatest.TestModel) {
		tm.Send(batchMsg{b: live()})
		tm.Send(batchMsg{b: batch{Events: sampleEvents(0, 24)}})
		keys(tm, "k", "k", "k", "enter", "tab", "tab", "tab")
		tm.Send(batchMsg{b: batch{Events: sampleEvents(24, 5)}})
	})
	if m.list.newCount != 5 {
		t.Fatalf("new=%d, want 5 (arrivals while reading a detail only count)", m.list.newCount)
	}
	requireGolden(t, m)
}

func TestGoldenFilterError(t *testing.T) {
	m := runTea(t, newTestModel(newFake(nil), true), 80, 24, func(tm *teatest.TestModel) {
		tm.Send(batchMsg{b: live()})
		tm.Send(batchMsg{b: batch{Events: sampleEvents(0, 40)}})
		keys(tm, "/")
		tm.Type("status:>=400")
		keys(tm, "enter", "/")
		for range len("status:>=400") {
			keys(tm, "backspace")
		}
		tm.Type("status:abc")
		keys(tm, "enter")
	})
	if m.list.filter.String() != "status:>=400" {
		t.Fatalf("filter = %q, want the last valid one kept", m.list.filter.String())
	}
	if m.in.mode != modeFilter || m.in.err == "" {
		t.Fatalf("mode=%v err=%q, want prompt open with an error", m.in.mode, m.in.err)
	}
	requireGolden(t, m)
}

func TestGoldenFilterApplied(t *testing.T) {
	m := runTea(t, newTestModel(newFake(nil), true), 80, 24, func(tm *teatest.TestModel) {
		tm.Send(batchMsg{b: live()})
		tm.Send(batchMsg{b: batch{Events: sampleEvents(0, 40)}})
		keys(tm, "/")
		tm.Type("kind:request -status:2xx")
		keys(tm, "enter", "4") // and hide logs
	})
	for i := 0; i < m.list.buf.visLen(); i++ {
		e := m.list.buf.visAt(i)
		if e.ev.Kind != event.KindRequest || e.ev.Status/100 == 2 {
			t.Fatalf("filtered list shows %s %d", e.ev.Kind, e.ev.Status)
		}
	}
	requireGolden(t, m)
}

func TestGoldenHelp(t *testing.T) {
	m := runTea(t, newTestModel(newFake(nil), true), 80, 24, func(tm *teatest.TestModel) {
		tm.Send(batchMsg{b: live()})
		keys(tm, "?")
	})
	if !m.hv.show {
		t.Fatal("help not shown")
	}
	out := ansi.Strip(m.Render())
	for _, b := range defaultKeyMap().FullHelp() {
		for _, k := range b {
			if !strings.Contains(out, k.Help().Desc) {
				t.Errorf("help lacks %q", k.Help().Desc)
			}
		}
	}
	requireGolden(t, m)
}

func TestGoldenStatusBar(t *testing.T) {
	states := map[string]batch{
		"connecting":    {Conn: &status{State: stream.StateConnecting}},
		"live":          {Conn: &status{State: stream.StateLive}, Stats: &serverStats{Recorded: 100, Dropped: 3}, Gaps: 2},
		"reconnecting":  {Conn: &status{State: stream.StateReconnecting, RetryIn: 4 * time.Second, Since: fixedNow().Add(-1500 * time.Millisecond), Err: errString("websocket: connection reset")}},
		"offline":       {Conn: &status{State: stream.StateOffline}},
		"authrefused":   {Conn: &status{State: stream.StateAuthRefused, Err: errString("stream: unauthorized (401)")}},
		"originrefused": {Conn: &status{State: stream.StateOriginRefused}},
		"notfound":      {Conn: &status{State: stream.StateNotFound, Err: errString("stream: no devtools route at this URL (HTTP 404)")}},
	}
	for name, b := range states {
		t.Run(name, func(t *testing.T) {
			m := runTea(t, newTestModel(newFake(nil), true), 80, 8, func(tm *teatest.TestModel) {
				tm.Send(batchMsg{b: batch{Events: sampleEvents(0, 3)}})
				tm.Send(batchMsg{b: b})
			})
			requireGolden(t, m)
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// Hostile recorded text never reaches the terminal as control sequences.
func TestHostileEventsAreEscaped(t *testing.T) {
	hostile := "\x1b[2J\x1b]0;pwned\x07\rFAKE\x1b[31m\u009b1m\u202eevil\x1bP+q\x1b\\"
	at := t0
	evs := []event.Event{{
		V: 1, ID: mkID(at, 1), Time: at, Kind: event.KindRequest, Name: hostile, RequestID: hostile, Message: hostile,
		HTTP: &event.HTTP{Method: "GET\x1b[8m", URL: "/x" + hostile, Status: 200,
			RequestHeaders: map[string][]string{"X-Evil" + hostile: {hostile}},
			RequestBody:    &event.Body{ContentType: "text/plain", Size: 10, Text: hostile + "\n" + hostile},
			ResponseBody:   &event.Body{ContentType: "application/json", Size: 10, Text: `{"a":"` + hostile + `"}`}},
		Attrs: event.Attrs{hostile: hostile},
	}, {
		V: 1, ID: mkID(at, 2), Time: at, Kind: event.KindLog, Level: hostile, Message: hostile, RequestID: hostile,
	}, {
		V: 1, ID: mkID(at, 3), Time: at, Kind: event.KindAudit, Audit: &event.Audit{Actor: hostile, Action: hostile}, RequestID: hostile,
	}}
	dark := true
	m := newModel(Options{Source: newFake(nil), Now: fixedNow, Location: time.UTC, Dark: &dark, SplitWidth: -1})
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 40})
	m.Update(batchMsg{b: batch{Events: evs, Info: hostile, Err: errString(hostile)}})
	screens := []string{m.Render()}
	m.bar.setNotice("", false)
	m.Update(press("k"))
	m.Update(press("k"))
	m.Update(press("enter"))
	for range numTabs {
		screens = append(screens, m.Render())
		m.Update(press("tab"))
	}
	m.Update(press("/"))
	for _, r := range hostile {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	screens = append(screens, m.Render())
	for i, s := range screens {
		// Styling sequences are ours; what must never appear is any of the
		// hostile payload's raw bytes.
		for _, bad := range []string{"\x1b[2J", "\x1b]0;", "\x07", "\r", "\u009b", "\u202e", "\x1bP", "\x1b[8m", "\x1b[31m"} {
			if strings.Contains(s, bad) {
				t.Errorf("screen %d contains raw %q", i, bad)
			}
		}
	}
	joined := ansi.Strip(strings.Join(screens, "\n"))
	for _, want := range []string{`\x1b[2J`, `\a`, `\r`, `\u009b`, `\u202e`} {
		if !strings.Contains(joined, want) {
			t.Errorf("escaped form %q not shown", want)
		}
	}
}

// The program pulls batches from the Source itself (Init -> Next -> batch ->
// Next ...): pushing into the source's pump is enough for events to show.
func TestProgramPullsFromSource(t *testing.T) {
	src := newFake(nil)
	m := newTestModel(src, true)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	ctx := t.Context()
	src.pump.Update(func(b *batch) { b.Conn = &status{State: stream.StateLive} })
	if err := src.pump.Push(ctx, sampleEvents(0, 30)...); err != nil {
		t.Fatal(err)
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return strings.Contains(string(b), "/api/notes/28")
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	if err := src.pump.Push(ctx, sampleEvents(30, 10)...); err != nil {
		t.Fatal(err)
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return strings.Contains(string(b), "/api/notes/36")
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	tm.Send(press("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*model)
	defer fm.Close()
	if fm.list.buf.len() != 40 || fm.bar.conn.State != stream.StateLive {
		t.Fatalf("model holds %d events, state %v", fm.list.buf.len(), fm.bar.conn.State)
	}
}
