package tui

import (
	"image/color"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"github.com/beignet/devtools/event"
)

// styles holds every style the console uses; components take it, never build
// their own. newStyles picks the palette.
type styles struct {
	Dark, NoColor bool

	Header, Row, Selected, Dim, Title, Key, Redacted, Escaped, Match, CurrentMatch         lipgloss.Style
	TabActive, TabInactive, StatusBar, StatusOK, StatusWarn, StatusErr, Error, Notice, New lipgloss.Style
	Status2xx, Status3xx, Status4xx, Status5xx, Bar, BarMarker                             lipgloss.Style
	Badge                                                                                  map[event.Kind]lipgloss.Style
	Border                                                                                 lipgloss.Style

	sp *spanSet
}

type palette struct {
	fg, dim, bg, barBg, selBg, selFg, accent     color.Color
	ok, warn, err, info, redactBg, redactFg      color.Color
	kinds                                        map[event.Kind]color.Color
	s2, s3, s4, s5, match, matchFg, escaped, bar color.Color
}

func darkPalette() palette {
	c := lipgloss.Color
	return palette{
		fg: c("#d0d0d0"), dim: c("#808080"), bg: c("#1c1c1c"), barBg: c("#303030"), selBg: c("#3a3a5c"), selFg: c("#ffffff"),
		accent: c("#87afff"), ok: c("#5fd75f"), warn: c("#ffd75f"), err: c("#ff5f5f"), info: c("#5fafff"),
		redactBg: c("#5f0000"), redactFg: c("#ffafaf"),
		kinds: map[event.Kind]color.Color{
			event.KindRequest: c("#5f87d7"), event.KindProvider: c("#af87d7"), event.KindAudit: c("#d7af5f"),
			event.KindLog: c("#6c6c6c"), event.KindError: c("#d75f5f"), event.KindCustom: c("#5fafaf"),
		},
		s2: c("#5fd75f"), s3: c("#5fafff"), s4: c("#ffd75f"), s5: c("#ff5f5f"),
		match: c("#ffd75f"), matchFg: c("#000000"), escaped: c("#ff87d7"), bar: c("#5f87d7"),
	}
}

func lightPalette() palette {
	c := lipgloss.Color
	return palette{
		fg: c("#262626"), dim: c("#6c6c6c"), bg: c("#ffffff"), barBg: c("#dadada"), selBg: c("#d7d7ff"), selFg: c("#000000"),
		accent: c("#005fd7"), ok: c("#008700"), warn: c("#af5f00"), err: c("#d70000"), info: c("#005faf"),
		redactBg: c("#ffd7d7"), redactFg: c("#870000"),
		kinds: map[event.Kind]color.Color{
			event.KindRequest: c("#005fd7"), event.KindProvider: c("#8700af"), event.KindAudit: c("#af8700"),
			event.KindLog: c("#585858"), event.KindError: c("#d70000"), event.KindCustom: c("#008787"),
		},
		s2: c("#008700"), s3: c("#005faf"), s4: c("#af5f00"), s5: c("#d70000"),
		match: c("#ffd700"), matchFg: c("#000000"), escaped: c("#af005f"), bar: c("#005fd7"),
	}
}

// newStyles returns the styles for a dark or light background. With noColor
// it uses no colours at all, only bold, underline and reverse, so the
// console stays readable under NO_COLOR.
func newStyles(dark, noColor bool) *styles {
	p := lightPalette()
	if dark {
		p = darkPalette()
	}
	n := lipgloss.NewStyle
	s := &styles{Dark: dark, NoColor: noColor, Badge: map[event.Kind]lipgloss.Style{}}
	if noColor {
		s.Header = n().Bold(true)
		s.Row = n()
		s.Selected = n().Reverse(true)
		s.Dim = n()
		s.Title = n().Bold(true)
		s.Key = n().Bold(true)
		s.Redacted = n().Reverse(true)
		s.Escaped = n().Underline(true)
		s.Match = n().Underline(true)
		s.CurrentMatch = n().Reverse(true)
		s.TabActive = n().Bold(true).Reverse(true)
		s.TabInactive = n()
		s.StatusBar = n().Reverse(true)
		s.StatusOK, s.StatusWarn, s.StatusErr = n().Reverse(true), n().Reverse(true).Bold(true), n().Reverse(true).Bold(true)
		s.Error = n().Bold(true)
		s.Notice = n()
		s.New = n().Bold(true)
		s.Status2xx, s.Status3xx, s.Status4xx, s.Status5xx = n(), n(), n().Bold(true), n().Bold(true).Underline(true)
		s.Bar = n().Reverse(true)
		s.BarMarker = n().Bold(true)
		s.Border = n()
		for _, k := range event.Kinds() {
			s.Badge[k] = n().Bold(true)
		}
		return s.withSpans()
	}
	s.Header = n().Bold(true).Foreground(p.accent)
	s.Row = n().Foreground(p.fg)
	s.Selected = n().Background(p.selBg).Foreground(p.selFg)
	s.Dim = n().Foreground(p.dim)
	s.Title = n().Bold(true).Foreground(p.accent)
	s.Key = n().Bold(true).Foreground(p.accent)
	s.Redacted = n().Background(p.redactBg).Foreground(p.redactFg).Bold(true)
	s.Escaped = n().Foreground(p.escaped)
	s.Match = n().Background(p.match).Foreground(p.matchFg)
	s.CurrentMatch = n().Background(p.err).Foreground(p.selFg).Bold(true)
	s.TabActive = n().Bold(true).Foreground(p.selFg).Background(p.accent)
	s.TabInactive = n().Foreground(p.dim)
	s.StatusBar = n().Background(p.barBg).Foreground(p.fg)
	s.StatusOK = n().Background(p.barBg).Foreground(p.ok).Bold(true)
	s.StatusWarn = n().Background(p.barBg).Foreground(p.warn).Bold(true)
	s.StatusErr = n().Background(p.barBg).Foreground(p.err).Bold(true)
	s.Error = n().Foreground(p.err).Bold(true)
	s.Notice = n().Foreground(p.info)
	s.New = n().Foreground(p.warn).Bold(true)
	s.Status2xx = n().Foreground(p.s2)
	s.Status3xx = n().Foreground(p.s3)
	s.Status4xx = n().Foreground(p.s4)
	s.Status5xx = n().Foreground(p.s5).Bold(true)
	s.Bar = n().Background(p.bar)
	s.BarMarker = n().Foreground(p.bar).Bold(true)
	s.Border = n().Foreground(p.dim)
	for k, c := range p.kinds {
		s.Badge[k] = n().Bold(true).Foreground(lipgloss.Color("#ffffff")).Background(c)
	}
	return s.withSpans()
}

// span is a style's escape sequences around a text, computed once: rows are
// built by concatenation instead of a lipgloss Render per cell.
type span struct{ pre, suf string }

func spanOf(st lipgloss.Style) span {
	r := st.Render("\x01")
	i := strings.IndexByte(r, 1)
	if i < 0 {
		return span{}
	}
	return span{pre: r[:i], suf: r[i+1:]}
}

func (s span) wrap(b *strings.Builder, text string) {
	b.WriteString(s.pre)
	b.WriteString(text)
	b.WriteString(s.suf)
}

type spanSet struct {
	dim, row, s2, s3, s4, s5 span
	badges                   map[event.Kind]span
}

func (ss *spanSet) status(code int) span {
	switch {
	case code >= 500:
		return ss.s5
	case code >= 400:
		return ss.s4
	case code >= 300:
		return ss.s3
	case code >= 200:
		return ss.s2
	}
	return ss.dim
}

func (ss *spanSet) badge(k event.Kind) span {
	if b, ok := ss.badges[k]; ok {
		return b
	}
	return ss.dim
}

// spans returns the precomputed spans of the list's cell styles.
func (s *styles) spans() *spanSet { return s.sp }

// withSpans computes the spans once, when the styles are made.
func (s *styles) withSpans() *styles {
	ss := &spanSet{dim: spanOf(s.Dim), row: spanOf(s.Row), s2: spanOf(s.Status2xx), s3: spanOf(s.Status3xx),
		s4: spanOf(s.Status4xx), s5: spanOf(s.Status5xx), badges: map[event.Kind]span{}}
	for k, st := range s.Badge {
		ss.badges[k] = spanOf(st)
	}
	s.sp = ss
	return s
}

// helpStyles returns the help bubble's styles for the palette.
func helpStyles(dark, noColor bool) help.Styles {
	if noColor {
		n := lipgloss.NewStyle()
		return help.Styles{Ellipsis: n, ShortKey: n.Bold(true), ShortDesc: n, ShortSeparator: n, FullKey: n.Bold(true), FullDesc: n, FullSeparator: n}
	}
	return help.DefaultStyles(dark)
}
