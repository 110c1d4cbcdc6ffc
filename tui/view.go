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
)

// Layout: title (1), body, status bar (1), footer (1). The list body has a
// column header row.

func (m *Model) split() bool {
	return m.detail && m.opts.SplitWidth > 0 && m.width >= m.opts.SplitWidth
}

func (m *Model) bodyHeight() int { return max(1, m.height-3) }

// listHeight is the number of event rows shown.
func (m *Model) listHeight() int { return max(1, m.bodyHeight()-1) }

func (m *Model) listWidth() int {
	if m.split() {
		return m.width * 45 / 100
	}
	return m.width
}

func (m *Model) detailWidth() int {
	if m.split() {
		return m.width - m.listWidth() - 1
	}
	return m.width
}

// View implements tea.Model.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	if m.mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = "beignet-devtools"
	return v
}

// Render returns the screen content (what View shows).
func (m *Model) Render() string {
	if m.quitting {
		return ""
	}
	var body []string
	switch {
	case m.showHelp:
		body = m.renderHelp(m.bodyHeight())
	case m.split():
		left := m.renderList(m.listWidth(), m.bodyHeight())
		right := m.renderDetail(m.detailWidth(), m.bodyHeight())
		sep := m.st.Border.Render("│")
		body = make([]string, m.bodyHeight())
		for i := range body {
			body[i] = left[i] + sep + right[i]
		}
	case m.detail:
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

func (m *Model) renderTitle() string {
	left := " beignet-devtools"
	if m.src != nil {
		left += "  " + textsafe.Line(m.src.Describe())
	}
	if m.info != "" {
		left += "  " + m.info
	}
	var right string
	switch {
	case m.paused:
		right = fmt.Sprintf("PAUSED +%d buffered ", len(m.pending))
		if m.pendingDrop > 0 {
			right = fmt.Sprintf("PAUSED +%d buffered (%d over the ring) ", len(m.pending), m.pendingDrop)
		}
	case m.newCount > 0:
		right = fmt.Sprintf("+%d new ", m.newCount)
	case m.follow && m.conn.State != StateOffline:
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
	colBadge  = 8
	colMethod = 7
	colStatus = 3
	colDur    = 7
)

func (m *Model) targetWidth(w int) int {
	return max(4, w-(1+colTime+1+colBadge+1+colMethod+1+1+colStatus+1+colDur))
}

func (m *Model) renderHeader(w int) string {
	h := " " + fit("TIME", colTime) + " " + fit("KIND", colBadge) + " " + fit("METHOD", colMethod) + " " +
		fit("PATH / TARGET", m.targetWidth(w)) + " " + fit("STA", colStatus) + " " + fitRight("DUR", colDur)
	return m.st.Header.Render(fit(h, w))
}

// cells returns the cleaned, unstyled cells of a row.
func (m *Model) cells(e *event.Event) (tm, method, target, status, dur string, code int) {
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

// row renders an entry's line at width w, cached per entry, width and style
// generation so scrolling and streaming only render new rows.
func (m *Model) row(e *entry, w int, selected bool) string {
	if !selected && e.rowW == w && e.rowG == m.styleG && e.row != "" {
		return e.row
	}
	tm, method, target, status, dur, code := m.cells(&e.ev)
	tw := m.targetWidth(w)
	if selected {
		line := "▶" + fit(tm, colTime) + " " + fit(" "+kindLabel(e.ev.Kind), colBadge) + " " + fit(method, colMethod) + " " +
			fit(target, tw) + " " + fit(status, colStatus) + " " + fitRight(dur, colDur)
		return m.st.Selected.Render(fit(line, w))
	}
	var b strings.Builder
	b.Grow(w + 128)
	sp := m.st.spans()
	b.WriteString(" ")
	sp.dim.wrap(&b, fit(tm, colTime))
	b.WriteByte(' ')
	sp.badge(e.ev.Kind).wrap(&b, fit(" "+kindLabel(e.ev.Kind), colBadge))
	b.WriteByte(' ')
	sp.row.wrap(&b, fit(method, colMethod)+" "+fit(target, tw))
	b.WriteByte(' ')
	sp.status(code).wrap(&b, fit(status, colStatus))
	b.WriteByte(' ')
	sp.dim.wrap(&b, fitRight(dur, colDur))
	used := 1 + colTime + 1 + colBadge + 1 + colMethod + 1 + tw + 1 + colStatus + 1 + colDur
	if used < w {
		b.WriteString(strings.Repeat(" ", w-used))
	}
	s := b.String()
	if used > w {
		s = ansi.Truncate(s, w, "")
	}
	e.row, e.rowW, e.rowG = s, w, m.styleG
	return s
}

// renderList renders the header and only the visible rows.
func (m *Model) renderList(w, h int) []string {
	out := make([]string, 0, h)
	out = append(out, m.renderHeader(w))
	n := m.buf.visLen()
	rows := h - 1
	if n == 0 {
		msg := "waiting for events…"
		switch {
		case m.buf.len() > 0:
			msg = "no events match the filter"
		case m.conn.State == StateOffline:
			msg = "no events"
		case m.conn.State == StateAuthRefused || m.conn.State == StateOriginRefused || m.conn.State == StateNotFound:
			msg = "not connected: " + m.conn.State.String()
		}
		out = append(out, m.st.Dim.Render(fit("  "+msg, w)))
	} else {
		tp := 0
		if m.top >= 0 {
			tp = m.buf.visIndex(m.top)
		}
		for i := 0; i < rows && tp+i < n; i++ {
			e := m.buf.visAt(tp + i)
			out = append(out, m.row(e, w, e.seq == m.sel))
		}
	}
	blank := strings.Repeat(" ", w)
	for len(out) < h {
		out = append(out, blank)
	}
	return out
}

func (m *Model) connText() (string, lipgloss.Style) {
	switch m.conn.State {
	case StateLive:
		return "● live", m.st.StatusOK
	case StateConnecting:
		return "◌ connecting", m.st.StatusWarn
	case StateReconnecting:
		left := m.conn.RetryIn
		if !m.conn.Since.IsZero() {
			left -= m.now().Sub(m.conn.Since)
		}
		secs := int((max(left, 0) + time.Second - 1) / time.Second)
		return fmt.Sprintf("↻ reconnecting in %ds", secs), m.st.StatusWarn
	case StateOffline:
		return "■ offline", m.st.StatusOK
	case StateAuthRefused:
		return "✖ auth refused", m.st.StatusErr
	case StateOriginRefused:
		return "✖ origin refused", m.st.StatusErr
	case StateNotFound:
		return "✖ no devtools route", m.st.StatusErr
	case StateClosed:
		return "■ closed", m.st.StatusWarn
	}
	return "?", m.st.StatusBar
}

var shortKinds = map[event.Kind]string{
	event.KindRequest: "req", event.KindProvider: "prov", event.KindAudit: "audit",
	event.KindLog: "log", event.KindError: "err", event.KindCustom: "custom",
}

func (m *Model) renderStatus() string {
	state, stStyle := m.connText()
	shown := fmt.Sprintf("%d/%d", m.buf.visLen(), m.buf.len())
	if f := m.filter.String(); f != "" {
		shown = "filter " + textsafe.Line(f) + " " + shown
	}
	parts := []string{shown}
	if m.conn.State != StateOffline {
		// Offline, events are read, not arriving: no rate to show.
		parts = append(parts, fmt.Sprintf("%.0f ev/s", m.rate))
	}
	drops := fmt.Sprintf("drop %d gap %d", m.srv.Dropped+uint64(m.dropped), m.gaps)
	if m.srv.Sampled > 0 {
		drops += fmt.Sprintf(" sampled %d", m.srv.Sampled)
	}
	parts = append(parts, drops)
	var kinds []string
	for i, k := range event.Kinds() {
		switch {
		case m.hidden[k]:
			kinds = append(kinds, fmt.Sprintf("%d:%s off", i+1, shortKinds[k]))
		case m.totals[k] > 0:
			kinds = append(kinds, fmt.Sprintf("%s %d", shortKinds[k], m.totals[k]))
		}
	}
	if len(kinds) > 0 {
		parts = append(parts, strings.Join(kinds, " "))
	}
	rest := " │ " + strings.Join(parts, " │ ")
	sw := ansi.StringWidth(state) + 1
	return stStyle.Render(" "+state) + m.st.StatusBar.Render(fit(rest, max(0, m.width-sw)))
}

func (m *Model) renderFooter() string {
	w := m.width
	switch m.mode {
	case modeFilter, modeSearch, modeExport, modeHAR:
		prompt := map[inputMode]string{modeFilter: "filter: ", modeSearch: "search: ", modeExport: "export JSON lines to: ", modeHAR: "write HAR to: "}[m.mode]
		line := m.st.Key.Render(prompt) + textsafe.Line(m.input) + "█"
		if m.inputErr != "" {
			line += "  " + m.st.Error.Render("✖ "+textsafe.Line(strings.TrimPrefix(m.inputErr, "filter: invalid query: ")))
		}
		return ansi.Truncate(line, w, "…")
	}
	if m.message != "" {
		st := m.st.Notice
		if m.msgErr {
			st = m.st.Error
		}
		return st.Render(fit(textsafe.Line(m.message), w))
	}
	if m.inputErr != "" {
		return m.st.Error.Render(fit(textsafe.Line(m.inputErr), w))
	}
	if !m.detail {
		return ansi.Truncate(m.help.ShortHelpView(m.keys.ShortHelp()), w, "…")
	}
	prefix := ""
	if len(m.matches) > 0 {
		prefix = fmt.Sprintf("match %d/%d · ", m.matchIdx+1, len(m.matches))
	} else if m.search != "" {
		prefix = "no match for " + textsafe.Line(m.search) + " · "
	}
	return ansi.Truncate(m.st.New.Render(prefix)+m.help.ShortHelpView(m.keys.DetailHelp()), w, "…")
}

func (m *Model) renderHelp(h int) []string {
	lines := []string{"", "  " + m.st.Title.Render("Keys") + m.st.Dim.Render("  (? or esc closes)"), ""}
	lines = append(lines, m.helpColumns(m.width-2)...)
	lines = append(lines, "", "  "+m.st.Title.Render("Filter")+m.st.Dim.Render("  (/ opens the filter bar; terms AND together)"))
	for _, l := range []string{
		"kind:request status:>=500 status:4xx method:POST path:/api/* provider:stripe",
		"actor:alice tenant:acme level:error req:ID dur:>200ms  words \"quoted\" -negate",
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

// helpColumns lays the key map's bindings out in as many columns as fit.
func (m *Model) helpColumns(w int) []string {
	var all []key.Binding
	for _, g := range m.keys.FullHelp() {
		for _, b := range g {
			if b.Enabled() {
				all = append(all, b)
			}
		}
	}
	kw, dw := 0, 0
	for _, b := range all {
		kw = max(kw, ansi.StringWidth(b.Help().Key))
		dw = max(dw, ansi.StringWidth(b.Help().Desc))
	}
	colW := kw + 1 + dw + 2
	cols := max(1, min(3, w/colW))
	rows := (len(all) + cols - 1) / cols
	out := make([]string, rows)
	for r := 0; r < rows; r++ {
		var sb strings.Builder
		sb.WriteString("  ")
		for c := 0; c < cols; c++ {
			i := c*rows + r
			if i >= len(all) {
				break
			}
			h := all[i].Help()
			sb.WriteString(m.st.Key.Render(fit(h.Key, kw)) + " " + m.st.Row.Render(fit(h.Desc, dw+2)))
		}
		out[r] = sb.String()
	}
	return out
}
