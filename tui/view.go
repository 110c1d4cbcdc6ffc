package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/textsafe"
	"github.com/beignet/devtools/stream"
)

// Layout: title (1), body, status bar (1), footer (1). The list body has a
// column header row.

func (m *model) split() bool {
	return m.det.open && m.opts.SplitWidth > 0 && m.width >= m.opts.SplitWidth
}

func (m *model) bodyHeight() int { return max(1, m.height-3) }

// listHeight is the number of event rows shown.
func (m *model) listHeight() int { return max(1, m.bodyHeight()-1) }

func (m *model) listWidth() int {
	if m.split() {
		return m.width * 45 / 100
	}
	return m.width
}

func (m *model) detailWidth() int {
	if m.split() {
		return m.width - m.listWidth() - 1
	}
	return m.width
}

// View implements tea.Model.
func (m *model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	if m.mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = "beignet-devtools"
	return v
}

// Render returns the screen content (what View shows).
func (m *model) Render() string {
	if m.quitting {
		return ""
	}
	var body []string
	switch {
	case m.hv.show:
		body = m.renderHelp(m.bodyHeight())
	case m.split():
		left := m.renderList(m.listWidth(), m.bodyHeight())
		right := m.renderDetail(m.detailWidth(), m.bodyHeight())
		sep := m.st.Border.Render("│")
		body = make([]string, m.bodyHeight())
		for i := range body {
			body[i] = left[i] + sep + right[i]
		}
	case m.det.open:
		body = m.renderDetail(m.width, m.bodyHeight())
	default:
		body = m.renderList(m.width, m.bodyHeight())
	}
	var sb strings.Builder
	sb.Grow((m.height + 2) * (m.width + 16))
	sb.WriteString(m.renderTitle())
	for _, l := range body {
		sb.WriteByte('\n')
		sb.WriteString(l)
	}
	sb.WriteByte('\n')
	sb.WriteString(m.renderStatus())
	sb.WriteByte('\n')
	sb.WriteString(m.renderFooter())
	return sb.String()
}

// width is ansi.StringWidth with a fast path for plain ASCII.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// fit truncates s (plain text, already cleaned) to width w and pads it.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// fitRight right-aligns s in width w.
func fitRight(s string, w int) string {
	sw := width(s)
	if sw > w {
		return ansi.Truncate(s, w, "")
	}
	return strings.Repeat(" ", w-sw) + s
}

func (m *model) renderTitle() string {
	left := " beignet-devtools"
	if m.fl != nil {
		left += "  " + textsafe.Line(m.fl.describe())
	}
	if m.bar.info != "" {
		left += "  " + m.bar.info
	}
	var right string
	switch {
	case m.list.paused:
		right = fmt.Sprintf("PAUSED +%d buffered ", len(m.list.pending))
		if m.list.pendingDrop > 0 {
			right = fmt.Sprintf("PAUSED +%d buffered (%d over the ring) ", len(m.list.pending), m.list.pendingDrop)
		}
	case m.list.newCount > 0:
		right = fmt.Sprintf("+%d new ", m.list.newCount)
	case m.list.follow && m.bar.conn.State != stream.StateOffline:
		// A store file read offline does not grow: nothing to follow.
		right = "FOLLOW "
	}
	if right != "" {
		right = " " + right
	}
	w := m.width - ansi.StringWidth(right)
	r := m.st.Title.Render(fit(left, max(0, w)))
	if right != "" {
		r += m.st.New.Render(right)
	}
	return r
}

var kindLabels = map[event.Kind]string{
	event.KindRequest: "REQ", event.KindProvider: "PROV", event.KindAudit: "AUDIT",
	event.KindLog: "LOG", event.KindError: "ERROR", event.KindCustom: "CUSTOM",
}

func kindLabel(k event.Kind) string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return strings.ToUpper(textsafe.Line(string(k)))
}

// Column widths of the list.
const (
	colTime   = 12
	colInst   = 14
	colBadge  = 8
	colMethod = 7
	colStatus = 3
	colDur    = 7
)

// instWidth is the width of the INSTANCE column, shown (after TIME) when
// the console follows several instances.
func (m *model) instWidth() int {
	if m.fl.multi() {
		return colInst
	}
	return 0
}

func (m *model) targetWidth(w int) int {
	iw := m.instWidth()
	if iw > 0 {
		iw++
	}
	return max(4, w-(1+colTime+1+iw+colBadge+1+colMethod+1+1+colStatus+1+colDur))
}

// instCell is a row's instance, fitted to its column ("" without one).
func (m *model) instCell(e *event.Event) string {
	if m.instWidth() == 0 {
		return ""
	}
	name := e.Instance
	if name == "" {
		name = e.App
	}
	return fit(textsafe.Line(name), colInst) + " "
}

func (m *model) renderHeader(w int) string {
	inst := ""
	if iw := m.instWidth(); iw > 0 {
		inst = fit("INSTANCE", iw) + " "
	}
	h := " " + fit("TIME", colTime) + " " + inst + fit("KIND", colBadge) + " " + fit("METHOD", colMethod) + " " +
		fit("PATH / TARGET", m.targetWidth(w)) + " " + fit("STA", colStatus) + " " + fitRight("DUR", colDur)
	return m.st.Header.Render(fit(h, w))
}

// cells returns the cleaned, unstyled cells of a row.
func (m *model) cells(e *event.Event) (tm, method, target, status, dur string, code int) {
	// The list is in recording order (ID order, across sources too), so
	// it shows when each event was recorded: time never runs backwards
	// down the list. A request is recorded when it completes, after its
	// own audit and log events; its start time is in the detail.
	tm = recorded(e).In(m.loc).Format("15:04:05.000")
	switch e.Kind {
	case event.KindRequest:
		method = e.Method()
		target = e.Path()
		if u := e.URL(); strings.Contains(u, "?") {
			if i := strings.Index(u, "?"); i >= 0 {
				target += u[i:]
			}
		}
		if target == "" {
			target = e.Name
		}
	case event.KindProvider:
		method = e.Method()
		if e.Provider != nil {
			target = strings.TrimSpace(e.Provider.Name + " " + e.Provider.Operation)
			if e.Provider.Error != "" {
				target += " ! " + e.Provider.Error
			}
		}
		if target == "" {
			target = e.Name
		}
	case event.KindAudit:
		if a := e.Audit; a != nil {
			target = strings.TrimSpace(fmt.Sprintf("%s %s %s %s", a.Actor, a.Action, a.Resource, a.Outcome))
			if a.Tenant != "" {
				target += " @" + a.Tenant
			}
		} else {
			target = e.Name
		}
	case event.KindLog, event.KindError:
		method = strings.ToUpper(e.Level)
		target = e.Message
		if target == "" {
			target = e.Name
		} else if e.Name != "" && e.Kind == event.KindError && !strings.HasPrefix(target, e.Name+":") {
			// The recorder's panic event is named "panic" with the message
			// "panic: ...": one prefix, not two.
			target = e.Name + ": " + target
		}
	default:
		target = e.Name
	}
	code = e.StatusCode()
	if code != 0 {
		status = fmt.Sprint(code)
	}
	if e.DurationNs > 0 {
		dur = fmtDur(e.Duration())
	}
	return tm, textsafe.Line(method), textsafe.Line(target), status, dur, code
}

// recorded is when e was recorded: the time in its ID (its start time for
// an event without an ID).
func recorded(e *event.Event) time.Time {
	if e.ID.IsZero() {
		return e.Time
	}
	return e.ID.Time()
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 100*time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%.0fm", d.Minutes())
}

// row returns an entry's line at width w: the cached one (see warmRows)
// when it is current, else rendered afresh. It changes nothing.
func (m *model) row(e *entry, w int, selected bool) string {
	if !selected && e.rowW == w && e.rowG == m.styleG && e.row != "" {
		return e.row
	}
	return m.renderRow(e, w, selected)
}

// warmRows caches the rendering of the rows in view, per entry, width and
// style generation, so scrolling and streaming only render new rows. It
// runs in Update; View only reads the cache.
func (m *model) warmRows() {
	n := m.list.buf.visLen()
	if n == 0 || m.hv.show || (m.det.open && !m.split()) {
		return
	}
	w := m.listWidth()
	tp := 0
	if m.list.top >= 0 {
		tp = m.list.buf.visIndex(m.list.top)
	}
	for i := 0; i < m.listHeight() && tp+i < n; i++ {
		e := m.list.buf.visAt(tp + i)
		if e.seq != m.list.sel && (e.rowW != w || e.rowG != m.styleG || e.row == "") {
			e.row, e.rowW, e.rowG = m.renderRow(e, w, false), w, m.styleG
		}
	}
}

// renderRow renders an entry's line at width w.
func (m *model) renderRow(e *entry, w int, selected bool) string {
	tm, method, target, status, dur, code := m.cells(&e.ev)
	tw := m.targetWidth(w)
	if selected {
		line := "▶" + fit(tm, colTime) + " " + m.instCell(&e.ev) + fit(" "+kindLabel(e.ev.Kind), colBadge) + " " + fit(method, colMethod) + " " +
			fit(target, tw) + " " + fit(status, colStatus) + " " + fitRight(dur, colDur)
		return m.st.Selected.Render(fit(line, w))
	}
	var b strings.Builder
	b.Grow(w + 128)
	sp := m.st.spans()
	b.WriteString(" ")
	sp.dim.wrap(&b, fit(tm, colTime))
	b.WriteByte(' ')
	if inst := m.instCell(&e.ev); inst != "" {
		sp.row.wrap(&b, inst)
	}
	sp.badge(e.ev.Kind).wrap(&b, fit(" "+kindLabel(e.ev.Kind), colBadge))
	b.WriteByte(' ')
	sp.row.wrap(&b, fit(method, colMethod)+" "+fit(target, tw))
	b.WriteByte(' ')
	sp.status(code).wrap(&b, fit(status, colStatus))
	b.WriteByte(' ')
	sp.dim.wrap(&b, fitRight(dur, colDur))
	iw := m.instWidth()
	if iw > 0 {
		iw++
	}
	used := 1 + colTime + 1 + iw + colBadge + 1 + colMethod + 1 + tw + 1 + colStatus + 1 + colDur
	if used < w {
		b.WriteString(strings.Repeat(" ", w-used))
	}
	s := b.String()
	if used > w {
		s = ansi.Truncate(s, w, "")
	}
	return s
}

// renderList renders the header and only the visible rows.
func (m *model) renderList(w, h int) []string {
	out := make([]string, 0, h)
	out = append(out, m.renderHeader(w))
	n := m.list.buf.visLen()
	rows := h - 1
	if n == 0 {
		msg := "waiting for events…"
		switch {
		case m.list.buf.len() > 0:
			msg = "no events match the filter"
		case m.bar.conn.State == stream.StateOffline:
			msg = "no events"
		case m.bar.conn.State == stream.StateAuthRefused || m.bar.conn.State == stream.StateOriginRefused || m.bar.conn.State == stream.StateNotFound:
			msg = "not connected: " + m.bar.conn.State.String()
		}
		out = append(out, m.st.Dim.Render(fit("  "+msg, w)))
	} else {
		tp := 0
		if m.list.top >= 0 {
			tp = m.list.buf.visIndex(m.list.top)
		}
		for i := 0; i < rows && tp+i < n; i++ {
			e := m.list.buf.visAt(tp + i)
			out = append(out, m.row(e, w, e.seq == m.list.sel))
		}
	}
	blank := strings.Repeat(" ", w)
	for len(out) < h {
		out = append(out, blank)
	}
	return out
}

func (m *model) connText() (string, lipgloss.Style) {
	if m.fl.multi() {
		return m.fleetText()
	}
	switch m.bar.conn.State {
	case stream.StateLive:
		return "● live", m.st.StatusOK
	case stream.StateConnecting:
		return "◌ connecting", m.st.StatusWarn
	case stream.StateReconnecting:
		left := m.bar.conn.RetryIn
		if !m.bar.conn.Since.IsZero() {
			left -= m.now().Sub(m.bar.conn.Since)
		}
		secs := int((max(left, 0) + time.Second - 1) / time.Second)
		return fmt.Sprintf("↻ reconnecting in %ds", secs), m.st.StatusWarn
	case stream.StateOffline:
		return "■ offline", m.st.StatusOK
	case stream.StateAuthRefused:
		return "✖ auth refused", m.st.StatusErr
	case stream.StateOriginRefused:
		return "✖ origin refused", m.st.StatusErr
	case stream.StateNotFound:
		return "✖ no devtools route", m.st.StatusErr
	case stream.StateClosed:
		return "■ closed", m.st.StatusWarn
	}
	return "?", m.st.StatusBar
}

// stateGlyph is a source's state in one character, and whether it is a
// failure (refused, gone) or a wait (connecting, reconnecting).
func stateGlyph(s stream.ConnState) (glyph, word string, bad, wait bool) {
	switch s {
	case stream.StateLive:
		return "●", "live", false, false
	case stream.StateOffline:
		return "■", "offline", false, false
	case stream.StateConnecting:
		return "◌", "connecting", false, true
	case stream.StateReconnecting:
		return "↻", "reconnecting", false, true
	case stream.StateClosed:
		return "✖", "gone", true, false
	}
	return "✖", "refused", true, false
}

// fleetText is the status of several sources: each instance with its
// state ("● a:8081 ↻ b:8082 ✖ c:8083"), or, when that does not fit in half
// the bar, a count per state ("● 5 live ↻ 1 reconnecting ✖ 2 refused").
func (m *model) fleetText() (string, lipgloss.Style) {
	var each []string
	count := map[string]int{}
	var order []string
	anyBad, anyWait := false, false
	for i, c := range m.bar.conns {
		g, word, bad, wait := stateGlyph(c.State)
		anyBad, anyWait = anyBad || bad, anyWait || wait
		each = append(each, g+" "+textsafe.Line(m.fl.labels[i]))
		key := g + " %d " + word
		if count[key] == 0 {
			order = append(order, key)
		}
		count[key]++
	}
	st := m.st.StatusOK
	switch {
	case anyBad:
		st = m.st.StatusErr
	case anyWait:
		st = m.st.StatusWarn
	}
	text := strings.Join(each, " ")
	if ansi.StringWidth(text) > m.width/2 {
		parts := make([]string, len(order))
		for i, k := range order {
			parts[i] = fmt.Sprintf(k, count[k])
		}
		text = strings.Join(parts, " ")
	}
	return text, st
}

var shortKinds = map[event.Kind]string{
	event.KindRequest: "req", event.KindProvider: "prov", event.KindAudit: "audit",
	event.KindLog: "log", event.KindError: "err", event.KindCustom: "custom",
}

func (m *model) renderStatus() string {
	state, stStyle := m.connText()
	shown := fmt.Sprintf("%d/%d", m.list.buf.visLen(), m.list.buf.len())
	if f := m.list.filter.String(); f != "" {
		shown = "filter " + textsafe.Line(f) + " " + shown
	}
	parts := []string{shown}
	if m.bar.conn.State != stream.StateOffline {
		// Offline, events are read, not arriving: no rate to show.
		parts = append(parts, fmt.Sprintf("%.0f ev/s", m.bar.rate))
	}
	dropped := uint64(m.bar.dropped)
	for _, st := range m.bar.srvs {
		dropped += st.Dropped
	}
	parts = append(parts, fmt.Sprintf("drop %d gap %d", dropped, m.bar.gaps))
	var kinds []string
	for i, k := range event.Kinds() {
		switch {
		case m.list.hidden[k]:
			kinds = append(kinds, fmt.Sprintf("%d:%s off", i+1, shortKinds[k]))
		case m.bar.totals[k] > 0:
			kinds = append(kinds, fmt.Sprintf("%s %d", shortKinds[k], m.bar.totals[k]))
		}
	}
	if len(kinds) > 0 {
		parts = append(parts, strings.Join(kinds, " "))
	}
	rest := " │ " + strings.Join(parts, " │ ")
	sw := ansi.StringWidth(state) + 1
	return stStyle.Render(" "+state) + m.st.StatusBar.Render(fit(rest, max(0, m.width-sw)))
}

func (m *model) renderFooter() string {
	w := m.width
	if m.in.active() {
		return m.in.view(m.st, w)
	}
	if m.bar.message != "" {
		st := m.st.Notice
		if m.bar.msgErr {
			st = m.st.Error
		}
		return st.Render(fit(textsafe.Line(m.bar.message), w))
	}
	if m.in.err != "" {
		return m.st.Error.Render(fit(textsafe.Line(m.in.err), w))
	}
	if m.hv.show {
		return ansi.Truncate(m.hv.help.ShortHelpView([]key.Binding{m.keys.Back, m.keys.Quit}), w, "…")
	}
	prefix := ""
	if len(m.det.matches) > 0 {
		prefix = fmt.Sprintf("match %d/%d · ", m.det.matchIdx+1, len(m.det.matches))
	} else if m.det.search != "" {
		prefix = "no match for " + textsafe.Line(m.det.search) + " · "
	}
	return ansi.Truncate(m.st.New.Render(prefix)+m.hv.help.ShortHelpView(m.keys.ShortHelp()), w, "…")
}

func (m *model) renderHelp(h int) []string {
	lines := []string{"", "  " + m.st.Title.Render("Keys") + m.st.Dim.Render("  (? or esc closes)")}
	for _, l := range strings.Split(m.hv.help.FullHelpView(m.keys.FullHelp()), "\n") {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "", "  "+m.st.Title.Render("Filter")+m.st.Dim.Render("  (/ opens the filter bar; terms AND together)"))
	for _, l := range []string{
		"kind:request status:>=500 status:4xx method:POST path:/api/* provider:stripe",
		"actor:alice tenant:acme level:error req:ID dur:>200ms  words \"quoted\" -negate",
		"instance:web-2 app:notes (the emitting instance and app)",
	} {
		lines = append(lines, "  "+l)
	}
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = fit(lines[i], m.width)
		} else {
			out[i] = strings.Repeat(" ", m.width)
		}
	}
	return out
}
