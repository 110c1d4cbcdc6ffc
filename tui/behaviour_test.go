package tui

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

func unitModel(t *testing.T, w, h int) *model {
	t.Helper()
	return unitModelOn(t, w, h, newFake(nil))
}

// unitModelOn is unitModel over the given sources.
func unitModelOn(t *testing.T, w, h int, srcs ...Source) *model {
	t.Helper()
	dark := true
	m := newModel(Options{Sources: srcs, Now: fixedNow, Location: time.UTC, Dark: &dark})
	t.Cleanup(func() { m.Close() })
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(batchMsg{b: live()})
	return m
}

// run executes cmd (and nested batches/sequences) and feeds the resulting
// messages back, the way the program would, skipping the blocking source
// and tick commands. It returns the messages for inspection.
func runCmd(m *model, cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	switch msg := msg.(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, runCmd(m, c)...)
		}
		return out
	case nil:
		return nil
	default:
		_, next := m.Update(msg)
		_ = next
		return []tea.Msg{msg}
	}
}

func typeInto(m *model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func TestPauseHoldsViewAndBuffers(t *testing.T) {
	m := unitModel(t, 80, 24)
	m.Update(batchMsg{b: batch{Events: sampleEvents(0, 10)}})
	m.Update(press("p"))
	before := m.Render()
	m.Update(batchMsg{b: batch{Events: sampleEvents(10, 5)}})
	if m.list.buf.len() != 10 || len(m.list.pending) != 5 {
		t.Fatalf("paused: %d in view, %d pending", m.list.buf.len(), len(m.list.pending))
	}
	after := m.Render()
	if strings.Split(before, "\n")[5] != strings.Split(after, "\n")[5] || !strings.Contains(ansi.Strip(after), "PAUSED +5 buffered") {
		t.Fatalf("paused view changed or lacks the indicator:\n%s", ansi.Strip(after))
	}
	m.Update(press("p"))
	if m.list.buf.len() != 15 || len(m.list.pending) != 0 || !m.list.follow {
		t.Fatalf("resume: %d in view, %d pending", m.list.buf.len(), len(m.list.pending))
	}
}

func TestClearEmptiesView(t *testing.T) {
	m := unitModel(t, 80, 24)
	m.Update(batchMsg{b: batch{Events: sampleEvents(0, 10)}})
	m.list.atEdge = false // as after paging far back
	m.Update(press("c"))
	if m.list.buf.len() != 0 || m.list.buf.visLen() != 0 {
		t.Fatal("clear kept events")
	}
	m.Update(batchMsg{b: batch{Events: sampleEvents(10, 2)}})
	if m.list.buf.len() != 2 {
		t.Fatal("arrivals after clear not shown")
	}
	if m.bar.totals[event.KindRequest] != 3 {
		t.Fatalf("totals reset by clear: %v", m.bar.totals)
	}
}

func TestCopySelectedEventAsJSON(t *testing.T) {
	m := unitModel(t, 80, 24)
	evs := sampleEvents(0, 4)
	m.Update(batchMsg{b: batch{Events: evs}})
	_, cmd := m.Update(press("y"))
	if cmd == nil {
		t.Fatal("y returned no command")
	}
	// tea.SetClipboard's message is internal to bubbletea: check its text.
	msg := cmd()
	want, _ := event.Marshal(&evs[3])
	if got := ansiString(msg); got != string(want) {
		t.Fatalf("clipboard = %q, want the event JSON", got)
	}
}

// ansiString extracts the text of a tea.SetClipboard message (an unexported
// string type in bubbletea).
func ansiString(msg tea.Msg) string {
	if v := reflect.ValueOf(msg); v.Kind() == reflect.String {
		return v.String()
	}
	return ""
}

func TestExportFilteredJSONLines(t *testing.T) {
	m := unitModel(t, 80, 24)
	m.Update(batchMsg{b: batch{Events: sampleEvents(0, 40)}})
	m.Update(press("/"))
	typeInto(m, "kind:request")
	m.Update(press("enter"))
	m.Update(press("e"))
	path := filepath.Join(t.TempDir(), "out.jsonl")
	m.in.ti.SetValue("")
	typeInto(m, path)
	_, cmd := m.Update(press("enter"))
	runCmd(m, cmd)
	if m.bar.msgErr || !strings.Contains(m.bar.message, "exported 10 events") {
		t.Fatalf("notice %q", m.bar.message)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	if st.Mode().Perm() != 0o600 {
		t.Errorf("export mode %v, want 0600", st.Mode().Perm())
	}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e event.Event
		if err := event.Unmarshal(sc.Bytes(), &e); err != nil || e.Kind != event.KindRequest {
			t.Fatalf("line %d: %v %s", n, err, e.Kind)
		}
		n++
	}
	if n != 10 {
		t.Fatalf("%d lines, want 10", n)
	}
	// A second export to the same path refuses to overwrite.
	m.Update(press("e"))
	m.in.ti.SetValue(path)
	_, cmd = m.Update(press("enter"))
	runCmd(m, cmd)
	if !m.bar.msgErr {
		t.Fatalf("overwrite not refused: %q", m.bar.message)
	}
}

func TestHARAndCurlKeepRedaction(t *testing.T) {
	m := unitModel(t, 80, 24)
	evs := sampleEvents(0, 8)
	m.Update(batchMsg{b: batch{Events: evs}})
	for range 7 {
		m.Update(press("k"))
	}
	if m.selected().ev.ID != evs[0].ID {
		t.Fatal("selection not on the first request")
	}
	m.Update(press("H"))
	path := filepath.Join(t.TempDir(), "req.har")
	m.in.ti.SetValue(path)
	_, cmd := m.Update(press("enter"))
	var curl string
	for _, msg := range runCmdAll(cmd) {
		if s := ansiString(msg); strings.HasPrefix(s, "curl ") {
			curl = s
		} else {
			m.Update(msg)
		}
	}
	if !strings.Contains(curl, `-H 'Authorization: [REDACTED]'`) || !strings.Contains(curl, "'http://127.0.0.1:8080/api/notes/0?view=full'") ||
		!strings.Contains(curl, `--data-raw '{"title":"hello","token":"[REDACTED]","n":1}'`) {
		t.Fatalf("curl = %s", curl)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("HAR not written: %v (%s)", err, m.bar.message)
	}
	var har harDoc
	if err := json.Unmarshal(b, &har); err != nil {
		t.Fatal(err)
	}
	if len(har.Log.Entries) != 2 || har.Log.Entries[0].Request.Method != "GET" || har.Log.Entries[1].Request.URL != "https://api.stripe.com/v1/charges" {
		t.Fatalf("HAR entries: %+v", har.Log.Entries)
	}
	if !strings.Contains(har.Log.Comment, "audit note.update") || !strings.Contains(har.Log.Comment, "log INFO note saved") {
		t.Errorf("HAR comment lacks the audit and log events: %q", har.Log.Comment)
	}
	if !strings.Contains(string(b), `"value": "[REDACTED]"`) {
		t.Fatal("HAR lost the redaction marker")
	}
}

func runCmdAll(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, runCmdAll(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

func TestDetailSearchAndLongBodies(t *testing.T) {
	dark := true
	m := newModel(Options{Source: newFake(nil), Now: fixedNow, Location: time.UTC, Dark: &dark, BodyLines: 20})
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	ev := sampleEvents(0, 1)[0]
	var lines []string
	for i := range 100 {
		lines = append(lines, "line "+itoa(i)+" needle")
	}
	ev.HTTP.ResponseBody = &event.Body{ContentType: "text/plain", Size: 5000, Text: strings.Join(lines, "\n"), Truncated: true}
	m.Update(batchMsg{b: batch{Events: []event.Event{ev}}})
	m.Update(press("enter"))
	m.Update(press("tab"))
	m.Update(press("tab")) // Response
	m.Update(press("G"))
	out := ansi.Strip(m.Render())
	if !strings.Contains(out, "80 more lines (press a to show all)") || !strings.Contains(out, "truncated at capture") {
		t.Fatalf("long body not cut with a hint:\n%s", out)
	}
	m.Update(press("a"))
	m.Update(press("G"))
	if out := ansi.Strip(m.Render()); !strings.Contains(out, "line 99 needle") {
		t.Fatalf("a did not show the whole body:\n%s", out)
	}
	m.Update(press("/"))
	typeInto(m, "NEEDLE")
	m.Update(press("enter"))
	if len(m.det.matches) != 100 || m.det.matchIdx != 0 {
		t.Fatalf("matches %d idx %d", len(m.det.matches), m.det.matchIdx)
	}
	m.Update(press("n"))
	m.Update(press("n"))
	if m.det.matchIdx != 2 {
		t.Fatalf("n: idx %d", m.det.matchIdx)
	}
	m.Update(press("N"))
	m.Update(press("N"))
	m.Update(press("N"))
	if m.det.matchIdx != 99 {
		t.Fatalf("N wraps: idx %d", m.det.matchIdx)
	}
	if out := ansi.Strip(m.Render()); !strings.Contains(out, "line 99 needle") || !strings.Contains(out, "match 100/100") {
		t.Fatalf("current match not in view:\n%s", out)
	}
}

func TestMouseOffByDefaultToggles(t *testing.T) {
	m := unitModel(t, 80, 24)
	m.Update(batchMsg{b: batch{Events: sampleEvents(0, 40)}})
	if v := m.View(); v.MouseMode != tea.MouseModeNone {
		t.Fatal("mouse captured by default")
	}
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if !m.list.follow {
		t.Fatal("wheel acted with mouse capture off")
	}
	m.Update(press("m"))
	if v := m.View(); v.MouseMode != tea.MouseModeCellMotion {
		t.Fatal("m did not turn mouse capture on")
	}
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if m.list.follow {
		t.Fatal("wheel up did not stop follow")
	}
	m.Update(tea.MouseClickMsg{Button: tea.MouseLeft, X: 10, Y: 2})
	if sel := m.selected(); sel == nil || sel.seq != m.list.top {
		t.Fatal("click did not select the first shown row")
	}
}

func TestResizeAndSmallTerminal(t *testing.T) {
	m := unitModel(t, 200, 50)
	m.Update(batchMsg{b: batch{Events: sampleEvents(0, 100)}})
	for _, sz := range [][2]int{{80, 24}, {40, 10}, {200, 50}, {20, 6}} {
		m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		out := m.Render()
		lines := strings.Split(out, "\n")
		if len(lines) != sz[1] {
			t.Fatalf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > sz[0] {
				t.Fatalf("%dx%d: line %d is %d wide", sz[0], sz[1], i, w)
			}
		}
	}
}

func TestBackgroundColorPicksPalette(t *testing.T) {
	m := newModel(Options{Source: newFake(nil), Now: fixedNow})
	defer m.Close()
	m.Update(tea.BackgroundColorMsg{Color: lipglossColor("#ffffff")})
	if m.st.Dark {
		t.Fatal("light background gave the dark palette")
	}
	m.Update(tea.BackgroundColorMsg{Color: lipglossColor("#000000")})
	if !m.st.Dark {
		t.Fatal("dark background gave the light palette")
	}
	dark := false
	forced := newModel(Options{Source: newFake(nil), Dark: &dark})
	defer forced.Close()
	forced.Update(tea.BackgroundColorMsg{Color: lipglossColor("#000000")})
	if forced.st.Dark {
		t.Fatal("Options.Dark override ignored")
	}
}

func TestNoColorHasNoColours(t *testing.T) {
	dark := true
	m := newModel(Options{Source: newFake(nil), Now: fixedNow, Location: time.UTC, Dark: &dark, NoColor: true})
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 20})
	m.Update(batchMsg{b: batch{Events: sampleEvents(0, 20), Conn: &status{State: stream.StateLive}}})
	out := m.Render()
	if strings.Contains(out, "38;2;") || strings.Contains(out, "48;2;") || strings.Contains(out, "38;5;") {
		t.Fatal("NO_COLOR output carries colours")
	}
}

// shellQuote round-trips through a real shell, hostile bytes included, and
// never lets a control character through unescaped.
func TestShellQuoteRoundTrip(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	for _, s := range []string{"plain", "it's", "a\nrm -rf ~\n", "\x1b]52;c;evil\x07", "tab\there", `back\slash 'q'`, "héllo \u202e"} {
		q := shellQuote(s)
		if strings.ContainsAny(q, "\n\r\x1b\x07\t") {
			t.Errorf("quoted form of %q carries a raw control character: %q", s, q)
		}
		out, err := exec.Command(bash, "-c", "printf %s "+q).Output()
		if err != nil || string(out) != s {
			t.Errorf("bash printf %s = %q (%v), want %q", q, out, err, s)
		}
	}
}

// A detail keeps showing its event while streaming evicts it from the ring.
func TestDetailSurvivesEviction(t *testing.T) {
	dark := true
	m := newModel(Options{Source: newFake(nil), Now: fixedNow, Location: time.UTC, Dark: &dark, RingSize: 10})
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	evs := sampleEvents(0, 10)
	m.Update(batchMsg{b: batch{Events: evs}})
	for range 9 {
		m.Update(press("k"))
	}
	m.Update(press("enter"))
	m.Update(batchMsg{b: batch{Events: sampleEvents(10, 30)}})
	if m.list.buf.at(seqBase) != nil {
		t.Fatal("event not evicted")
	}
	if e := m.detailEvent(); e == nil || e.ID != evs[0].ID {
		t.Fatal("detail lost its event")
	}
	if out := ansi.Strip(m.Render()); !strings.Contains(out, evs[0].ID.String()) {
		t.Fatalf("detail does not show the evicted event:\n%s", out)
	}
	if m.list.newCount != 30 {
		t.Fatalf("+%d new, want 30", m.list.newCount)
	}
}

func TestRunQuitsAndClosesSource(t *testing.T) {
	src := newFake(nil)
	in := strings.NewReader("q")
	var out strings.Builder
	dark := true
	if err := Run(t.Context(), Options{Source: src, Dark: &dark, Input: in, Output: &out}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := src.next(t.Context()); err == nil {
		t.Fatal("source not closed after Run")
	}
	for _, o := range []Options{{}, {Sources: []Source{nil}}} {
		if err := Run(t.Context(), o); err != errNoSource {
			t.Fatalf("Run without source: %v", err)
		}
	}
}

// The recorder names a panic "panic" with the message "panic: ..."; the row
// shows the prefix once.
func TestPanicRowHasOnePrefix(t *testing.T) {
	m := unitModel(t, 100, 10)
	m.Update(batchMsg{b: batch{Events: []event.Event{{V: 1, ID: mkID(t0, 1), Time: t0, Kind: event.KindError, Name: "panic", Level: "ERROR", Message: "panic: boom"}}}})
	out := ansi.Strip(m.Render())
	if !strings.Contains(out, "panic: boom") || strings.Contains(out, "panic: panic:") {
		t.Fatalf("panic row:\n%s", out)
	}
}

// The prompt is a text field with a cursor: keys move it and text goes in
// where it stands; word deletion and the other editing keys work.
func TestFilterPromptHasACursor(t *testing.T) {
	m := unitModel(t, 80, 24)
	m.Update(batchMsg{b: batch{Events: sampleEvents(0, 40)}})
	m.Update(press("/"))
	typeInto(m, "status:500")
	for range 3 {
		m.Update(tea.KeyPressMsg{Code: tea.KeyLeft})
	}
	typeInto(m, ">=")
	if got := m.in.value(); got != "status:>=500" {
		t.Fatalf("value %q, want the text inserted at the cursor", got)
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnd})
	typeInto(m, " kind:request")
	m.Update(tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl})
	if got := m.in.value(); got != "status:>=500 " {
		t.Fatalf("ctrl+w: value %q", got)
	}
	m.Update(press("enter"))
	if m.in.active() || m.list.filter.String() != "status:>=500" || m.list.buf.visLen() != 2 {
		t.Fatalf("filter %q shows %d", m.list.filter.String(), m.list.buf.visLen())
	}
}

// Bindings are switched on and off with where the user is: the footer
// lists only what works there, and a switched-off key does nothing.
func TestBindingsFollowContext(t *testing.T) {
	m := unitModel(t, 120, 24)
	m.Update(batchMsg{b: batch{Events: sampleEvents(0, 8)}})
	if m.keys.NextTab.Enabled() || m.keys.LoadAll.Enabled() || m.keys.Back.Enabled() {
		t.Fatal("detail bindings enabled in the list")
	}
	if out := ansi.Strip(m.renderFooter()); strings.Contains(out, "next tab") || !strings.Contains(out, "enter detail") {
		t.Fatalf("list footer: %q", out)
	}
	m.Update(press("enter"))
	if !m.keys.NextTab.Enabled() || !m.keys.Back.Enabled() || m.keys.Open.Enabled() {
		t.Fatal("detail bindings not switched on (or enter still on)")
	}
	if out := ansi.Strip(m.renderFooter()); !strings.Contains(out, "next tab") || strings.Contains(out, "enter detail") {
		t.Fatalf("detail footer: %q", out)
	}
	m.Update(press("?"))
	for _, b := range m.keys.all() {
		if !b.Enabled() {
			t.Fatalf("help overlay: %q switched off", b.Help().Desc)
		}
	}
}

// View changes nothing: scroll clamping and the row and detail caches are
// brought up to date in Update.
func TestViewChangesNothing(t *testing.T) {
	m := unitModel(t, 90, 20)
	m.Update(batchMsg{b: batch{Events: sampleEvents(0, 60)}})
	type rowCache struct {
		row     string
		w, g    int
		matched bool
	}
	snap := func() (any, []rowCache) {
		var rows []rowCache
		for i := 0; i < m.list.buf.len(); i++ {
			e := m.list.buf.entryAt(i)
			rows = append(rows, rowCache{e.row, e.rowW, e.rowG, e.match})
		}
		return [...]any{m.list.sel, m.list.top, m.det.scroll, m.det.key, len(m.det.lines), len(m.det.matches), m.list.follow, m.list.newCount}, rows
	}
	check := func(when string) {
		t.Helper()
		s1, r1 := snap()
		m.View()
		s2, r2 := snap()
		if s1 != s2 || !slices.Equal(r1, r2) {
			t.Fatalf("%s: View changed the model", when)
		}
	}
	check("list")
	m.Update(press("k"))
	check("scrolled")
	m.Update(press("enter"))
	m.Update(press("G")) // scroll the detail far past its end
	check("detail")
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 30})
	check("split")
}
