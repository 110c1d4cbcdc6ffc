package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/textsafe"
)

// redactedMark is what redaction puts in place of a secret; the detail pane
// highlights it.
const redactedMark = "[REDACTED"

type lineKind int

const (
	lkText lineKind = iota
	lkHeading
	lkDim
	lkNote
)

// dline is one line of the detail pane: cleaned plain text (what search
// sees) plus how to style it. keyLen is the width of a "label" prefix.
type dline struct {
	text   string
	keyLen int
	kind   lineKind
	styled string // pre-styled form (timeline bars), used when no search hit
}

type matchPos struct{ line, col, n int }

// detailBuilder accumulates lines wrapped to a width.
type detailBuilder struct {
	w     int
	lines []dline
}

func (b *detailBuilder) add(kind lineKind, s string) {
	for _, l := range strings.Split(textsafe.Multiline(s), "\n") {
		for _, wl := range wrap(l, b.w) {
			b.lines = append(b.lines, dline{text: wl, kind: kind})
		}
	}
}

func (b *detailBuilder) heading(s string) {
	if len(b.lines) > 0 {
		b.lines = append(b.lines, dline{})
	}
	b.lines = append(b.lines, dline{text: ansi.Truncate(s, b.w, "…"), kind: lkHeading})
}

// kv adds "label  value", wrapping the value under itself.
func (b *detailBuilder) kv(label, value string) {
	if value == "" {
		return
	}
	const lw = 14
	label = fit(textsafe.Line(label), lw) + " "
	vw := max(8, b.w-lw-1)
	first := true
	for _, l := range strings.Split(textsafe.Multiline(value), "\n") {
		for _, wl := range wrap(l, vw) {
			if first {
				b.lines = append(b.lines, dline{text: label + wl, keyLen: lw + 1})
				first = false
			} else {
				b.lines = append(b.lines, dline{text: strings.Repeat(" ", lw+1) + wl})
			}
		}
	}
}

// wrap hard-wraps a cleaned line at w cells.
func wrap(s string, w int) []string {
	if w <= 0 || ansi.StringWidth(s) <= w {
		return []string{s}
	}
	return strings.Split(ansi.Hardwrap(s, w, true), "\n")
}

// detailEvent is the event the detail pane shows.
// It is a copy taken when the detail opened (or the selection moved while it
// is open), so the ring evicting the entry does not change what is read.
func (m *model) detailEvent() *event.Event {
	if m.det.open && !m.det.ev.ID.IsZero() {
		return &m.det.ev
	}
	if e := m.selected(); e != nil {
		return &e.ev
	}
	return nil
}

// ensureDetail (re)builds the detail lines when what they depend on changed.
func (m *model) ensureDetail() {
	e := m.detailEvent()
	if e == nil {
		m.det.lines = []dline{{text: "(no event selected)", kind: lkDim}}
		return
	}
	k := detailKey{id: e.ID, tab: m.det.tab, width: m.detailWidth(), all: m.det.bodyAll, corr: len(m.det.correlated[corrKey(e)]) + m.list.buf.len()*boolInt(m.det.tab == tabTimeline), styleG: m.styleG}
	if k == m.det.key && m.det.lines != nil {
		return
	}
	m.det.key = k
	b := &detailBuilder{w: max(10, k.width)}
	switch m.det.tab {
	case tabOverview:
		m.buildOverview(b, e)
	case tabRequest:
		m.buildRequest(b, e)
	case tabResponse:
		m.buildResponse(b, e)
	case tabTimeline:
		m.buildTimeline(b, e)
	case tabRaw:
		raw, err := event.Marshal(e)
		if err != nil {
			b.add(lkNote, err.Error())
			break
		}
		var out bytes.Buffer
		if json.Indent(&out, raw, "", "  ") == nil {
			raw = out.Bytes()
		}
		b.add(lkText, string(raw))
	}
	m.det.lines = b.lines
	if m.det.search != "" {
		m.findMatches()
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (m *model) buildOverview(b *detailBuilder, e *event.Event) {
	head := kindLabel(e.Kind) + "  " + textsafe.Line(e.Name)
	if m.fl.multi() && e.Instance != "" {
		head += "  on " + textsafe.Line(e.Instance)
	}
	b.heading(head)
	b.kv("ID", e.ID.String())
	b.kv("Time", e.Time.In(m.loc).Format("2006-01-02 15:04:05.000000 MST"))
	if !e.ID.IsZero() {
		b.kv("Recorded", recorded(e).In(m.loc).Format("2006-01-02 15:04:05.000 MST"))
	}
	b.kv("Kind", string(e.Kind))
	b.kv("Name", e.Name)
	b.kv("Request ID", e.RequestID)
	b.kv("Trace ID", e.TraceID)
	b.kv("Span ID", e.SpanID)
	b.kv("Parent span", e.ParentSpanID)
	if e.DurationNs > 0 {
		b.kv("Duration", e.Duration().String())
	}
	if s := e.StatusCode(); s != 0 {
		b.kv("Status", fmt.Sprint(s))
	}
	b.kv("Level", e.Level)
	b.kv("Message", e.Message)
	b.kv("App", e.App)
	b.kv("Instance", e.Instance)
	if h := e.HTTP; h != nil {
		b.heading("HTTP")
		b.kv("Method", h.Method)
		b.kv("URL", h.URL)
		b.kv("Route", h.Route)
		b.kv("Remote", h.RemoteAddr)
		if h.BytesIn > 0 || h.BytesOut > 0 {
			b.kv("Bytes", fmt.Sprintf("in %d / out %d", h.BytesIn, h.BytesOut))
		}
	}
	if p := e.Provider; p != nil {
		b.heading("Provider")
		b.kv("Name", p.Name)
		b.kv("Operation", p.Operation)
		b.kv("Method", p.Method)
		b.kv("URL", p.URL)
		if p.Status != 0 {
			b.kv("Status", fmt.Sprint(p.Status))
		}
		b.kv("Error", p.Error)
	}
	if a := e.Audit; a != nil {
		b.heading("Audit")
		b.kv("Actor", a.Actor)
		b.kv("Tenant", a.Tenant)
		b.kv("Action", a.Action)
		b.kv("Resource", a.Resource)
		b.kv("Outcome", a.Outcome)
	}
	if len(e.Attrs) > 0 {
		b.heading("Attributes")
		keys := make([]string, 0, len(e.Attrs))
		for k := range e.Attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.kv(k, attrText(e.Attrs[k]))
		}
	}
	if len(e.Redacted) > 0 {
		b.heading("Redacted by the recorder")
		for _, p := range e.Redacted {
			b.add(lkText, "  "+redactedMark+"] "+p)
		}
	}
	if e.RequestID != "" || e.TraceID != "" {
		n := len(m.requestEvents(e))
		b.heading("Correlated")
		if e.TraceID != "" {
			b.add(lkDim, fmt.Sprintf("%d events share trace ID %s (Timeline tab)", n, e.TraceID))
		} else {
			b.add(lkDim, fmt.Sprintf("%d events share request ID %s (Timeline tab)", n, e.RequestID))
		}
	}
}

func attrText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	bs, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(bs)
}

func (m *model) headers(b *detailBuilder, title string, h map[string][]string) {
	b.heading(title)
	if len(h) == 0 {
		b.add(lkDim, "(none)")
		return
	}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			b.add(lkText, k+": "+v)
		}
	}
}

func (m *model) body(b *detailBuilder, title string, body *event.Body) {
	b.heading(title)
	if body == nil {
		b.add(lkDim, "(no body captured)")
		return
	}
	if body.ContentType != "" {
		b.add(lkDim, fmt.Sprintf("%s, %d bytes", body.ContentType, body.Size))
	}
	if body.Binary {
		b.add(lkDim, "(binary content: only type and size were kept)")
		return
	}
	if body.Text == "" {
		b.add(lkDim, "(empty)")
		return
	}
	text := body.Text
	if isJSON(body.ContentType, text) {
		var out bytes.Buffer
		if json.Indent(&out, []byte(text), "", "  ") == nil {
			text = out.String()
		}
	}
	// The limit counts screen lines (after wrapping), so one huge line is
	// cut as well as many short ones.
	limit := m.opts.BodyLines
	shown, more := 0, 0
	for _, l := range strings.Split(textsafe.Multiline(text), "\n") {
		for _, wl := range wrap(l, b.w) {
			if !m.det.bodyAll && shown >= limit {
				more++
				continue
			}
			b.lines = append(b.lines, dline{text: wl})
			shown++
		}
	}
	if more > 0 {
		b.add(lkNote, fmt.Sprintf("… %d more lines (press a to show all)", more))
	}
	if body.Truncated {
		b.add(lkNote, fmt.Sprintf("… truncated at capture: %d of %d bytes recorded", len(body.Text), body.Size))
	}
}

func isJSON(ct, text string) bool {
	if strings.Contains(strings.ToLower(ct), "json") {
		return true
	}
	t := strings.TrimSpace(text)
	return len(t) > 1 && (t[0] == '{' && t[len(t)-1] == '}' || t[0] == '[' && t[len(t)-1] == ']')
}

func (m *model) buildRequest(b *detailBuilder, e *event.Event) {
	switch {
	case e.HTTP != nil:
		h := e.HTTP
		b.heading(strings.TrimSpace(textsafe.Line(h.Method + " " + h.URL)))
		b.kv("Route", h.Route)
		b.kv("Remote", h.RemoteAddr)
		m.headers(b, "Request headers", h.RequestHeaders)
		m.body(b, "Request body", h.RequestBody)
	case e.Provider != nil:
		p := e.Provider
		b.heading(strings.TrimSpace(textsafe.Line(p.Method + " " + p.URL)))
		b.kv("Provider", p.Name)
		b.kv("Operation", p.Operation)
		b.add(lkDim, "(no headers or body captured for this call)")
	default:
		b.add(lkDim, "(this event has no HTTP exchange)")
	}
}

func (m *model) buildResponse(b *detailBuilder, e *event.Event) {
	switch {
	case e.HTTP != nil:
		h := e.HTTP
		st := h.Status
		if st == 0 {
			st = e.Status
		}
		b.heading(fmt.Sprintf("Status %d", st))
		if e.DurationNs > 0 {
			b.kv("Duration", e.Duration().String())
		}
		m.headers(b, "Response headers", h.ResponseHeaders)
		m.body(b, "Response body", h.ResponseBody)
	case e.Provider != nil:
		b.heading(fmt.Sprintf("Status %d", e.Provider.Status))
		b.kv("Error", e.Provider.Error)
	default:
		b.add(lkDim, "(this event has no HTTP exchange)")
	}
}

// buildTimeline draws every event with the same request ID as bars on a
// shared time axis.
func (m *model) buildTimeline(b *detailBuilder, e *event.Event) {
	evs := m.requestEvents(e)
	if e.RequestID == "" {
		b.add(lkDim, "(this event has no request ID: nothing to correlate)")
	}
	t0 := evs[0].Time
	t1 := t0
	for i := range evs {
		if evs[i].Time.Before(t0) {
			t0 = evs[i].Time
		}
		if end := evs[i].Time.Add(evs[i].Duration()); end.After(t1) {
			t1 = end
		}
	}
	span := t1.Sub(t0)
	if span <= 0 {
		span = time.Millisecond
	}
	lw := min(32, max(12, b.w/3))
	bw := max(10, b.w-lw-1-8)
	what := "Request " + textsafe.Line(e.RequestID)
	if e.TraceID != "" {
		what = "Trace " + textsafe.Line(e.TraceID)
	}
	b.heading(fmt.Sprintf("%s: %d events over %s", what, len(evs), span.Round(time.Microsecond)))
	axis := fit("", lw) + " " + fit("0", bw/2) + fitRight(span.Round(time.Microsecond).String(), bw-bw/2)
	b.lines = append(b.lines, dline{text: axis, kind: lkDim})
	for i := range evs {
		x := &evs[i]
		mark := "  "
		if x.ID == e.ID {
			mark = "▶ "
		}
		_, method, target, _, _, _ := m.cells(x)
		if a := x.Audit; a != nil {
			method, target = "", textsafe.Line(strings.TrimSpace(a.Action+" "+a.Resource+" "+a.Outcome))
		}
		what := strings.TrimSpace(method + " " + target)
		if m.fl.multi() && x.Instance != "" {
			what = textsafe.Line(x.Instance) + " " + what
		}
		label := fit(mark+fit(strings.ToLower(kindLabel(x.Kind)), 6)+what, lw)
		start := int(float64(x.Time.Sub(t0)) / float64(span) * float64(bw))
		start = max(0, min(start, bw-1))
		n := int(float64(x.Duration())/float64(span)*float64(bw) + 0.5)
		glyph := "◆"
		if x.DurationNs > 0 {
			glyph = strings.Repeat("█", max(1, min(n, bw-start)))
		}
		bar := strings.Repeat(" ", start) + glyph
		pad := fit("", bw-ansi.StringWidth(bar))
		dur := ""
		if x.DurationNs > 0 {
			dur = fmtDur(x.Duration())
		}
		text := label + " " + bar + pad + fitRight(dur, 8)
		styled := label + " " + strings.Repeat(" ", start) + m.st.BarMarker.Render(glyph) + pad + m.st.Dim.Render(fitRight(dur, 8))
		b.lines = append(b.lines, dline{text: text, styled: styled})
	}
	b.lines = append(b.lines, dline{})
	b.add(lkDim, "bars: start and duration on a shared axis; ◆ an instant (no duration)")
}

// renderDetail renders the tab bar and the visible part of the content.
func (m *model) renderDetail(w, h int) []string {
	out := make([]string, 0, h)
	var tabs strings.Builder
	for i, name := range tabNames {
		// Brackets mark the active tab without colour too (NO_COLOR,
		// screen readers, capture-pane).
		if i == m.det.tab {
			tabs.WriteString(m.st.TabActive.Render("[" + name + "]"))
		} else {
			tabs.WriteString(m.st.TabInactive.Render(" " + name + " "))
		}
	}
	out = append(out, fit(tabs.String(), w))
	for i := m.det.scroll; i < len(m.det.lines) && len(out) < h; i++ {
		out = append(out, m.renderDLine(i, w))
	}
	blank := strings.Repeat(" ", w)
	for len(out) < h {
		out = append(out, blank)
	}
	return out
}

func (m *model) renderDLine(i, w int) string {
	l := m.det.lines[i]
	var hits []matchPos
	if m.det.search != "" {
		for j, mp := range m.det.matches {
			if mp.line == i {
				hits = append(hits, m.det.matches[j])
			}
		}
	}
	if len(hits) == 0 && l.styled != "" {
		return fit(l.styled, w)
	}
	text := l.text
	var s string
	switch {
	case len(hits) > 0:
		var sb strings.Builder
		pos := 0
		for _, h := range hits {
			if h.col < pos {
				continue
			}
			sb.WriteString(text[pos:h.col])
			st := m.st.Match
			if cur := m.det.currentMatch(); cur != nil && *cur == h {
				st = m.st.CurrentMatch
			}
			sb.WriteString(st.Render(text[h.col : h.col+h.n]))
			pos = h.col + h.n
		}
		sb.WriteString(text[pos:])
		s = sb.String()
	case l.kind == lkHeading:
		s = m.st.Title.Render(text)
	case l.kind == lkDim:
		s = m.st.Dim.Render(text)
	case l.kind == lkNote:
		s = m.st.New.Render(text)
	default:
		s = m.styleLine(text, l.keyLen)
	}
	return fit(s, w)
}

// styleLine styles a label prefix and marks redacted values.
func (m *model) styleLine(text string, keyLen int) string {
	var sb strings.Builder
	if keyLen > 0 && keyLen <= len(text) {
		sb.WriteString(m.st.Key.Render(text[:keyLen]))
		text = text[keyLen:]
	}
	for {
		i := strings.Index(text, redactedMark)
		if i < 0 {
			break
		}
		j := strings.IndexByte(text[i:], ']')
		if j < 0 {
			break
		}
		sb.WriteString(text[:i])
		sb.WriteString(m.st.Redacted.Render(text[i : i+j+1]))
		text = text[i+j+1:]
	}
	sb.WriteString(text)
	return sb.String()
}

// clearSearch ends the detail search.
func (d *detailView) clearSearch() {
	d.search, d.matches, d.matchIdx = "", nil, 0
}

func (m *model) findMatches() {
	m.det.matches = m.det.matches[:0]
	m.det.matchIdx = 0
	if m.det.search == "" || !m.det.open {
		return
	}
	if m.det.lines == nil {
		m.ensureDetail()
	}
	q := strings.ToLower(m.det.search)
	for i, l := range m.det.lines {
		low := strings.ToLower(l.text)
		if len(low) != len(l.text) {
			continue // case folding changed byte offsets; skip such lines
		}
		off := 0
		for {
			j := strings.Index(low[off:], q)
			if j < 0 {
				break
			}
			m.det.matches = append(m.det.matches, matchPos{line: i, col: off + j, n: len(q)})
			off += j + len(q)
		}
	}
}

func (d *detailView) currentMatch() *matchPos {
	if len(d.matches) == 0 {
		return nil
	}
	return &d.matches[d.matchIdx]
}

// jumpMatch jumps in the detail pane as laid out now.
func (m *model) jumpMatch(d int) { m.det.jumpMatch(d, m.bodyHeight()-1) }

// jumpMatch moves to the next (d=1), previous (-1) or current (0) match
// and scrolls it into the rows shown.
func (dv *detailView) jumpMatch(d, rows int) {
	if !dv.open || len(dv.matches) == 0 {
		return
	}
	n := len(dv.matches)
	dv.matchIdx = ((dv.matchIdx+d)%n + n) % n
	line := dv.matches[dv.matchIdx].line
	if line < dv.scroll || line >= dv.scroll+rows {
		dv.scroll = max(0, line-rows/3)
	}
}
