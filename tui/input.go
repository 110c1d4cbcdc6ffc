package tui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/beignet/devtools/internal/textsafe"
)

type inputMode int

const (
	modeNormal inputMode = iota
	modeFilter
	modeSearch
	modeExport
	modeHAR
)

var prompts = map[inputMode]string{
	modeFilter: "filter: ", modeSearch: "search: ", modeExport: "export JSON lines to: ", modeHAR: "write HAR to: ",
}

// inputBar is the footer's prompt: the filter, detail search, and export
// and HAR file names. It owns a bubbles textinput (cursor, word motions,
// the usual editing keys of its KeyMap) and the error shown beside it.
type inputBar struct {
	ti   textinput.Model
	mode inputMode
	// err is the filter's parse error as it is typed, or the initial
	// filter's (Options.Filter) shown in the footer.
	err string
	// avail is the room for the text field beside the prompt.
	avail int
}

func newInputBar(st *styles) inputBar {
	ti := textinput.New()
	ti.Prompt = ""
	b := inputBar{ti: ti}
	b.setStyles(st)
	return b
}

// setStyles follows the palette. The cursor does not blink: a blinking
// cursor would redraw the screen twice a second for nothing.
func (b *inputBar) setStyles(st *styles) {
	s := textinput.DefaultStyles(st.Dark)
	s.Cursor.Blink = false
	if st.NoColor {
		s = textinput.Styles{}
	}
	b.ti.SetStyles(s)
}

// active reports whether the prompt is open.
func (b *inputBar) active() bool { return b.mode != modeNormal }

// open shows the prompt for mode with value, the cursor at its end.
func (b *inputBar) open(mode inputMode, value string) tea.Cmd {
	b.mode, b.err = mode, ""
	b.ti.SetValue(value)
	b.ti.CursorEnd()
	b.fit()
	return b.ti.Focus()
}

// fit sizes the text field to its value (so an error can follow it) up to
// the room there is; a longer value scrolls.
func (b *inputBar) fit() {
	w := max(1, ansi.StringWidth(b.ti.Value()))
	if b.avail > 0 {
		w = min(w, b.avail)
	}
	b.ti.SetWidth(w)
	b.ti.SetCursor(b.ti.Position()) // recompute the scrolled window
}

// close hides the prompt.
func (b *inputBar) close() {
	b.mode = modeNormal
	b.err = ""
	b.ti.Blur()
}

func (b *inputBar) value() string { return b.ti.Value() }

// setWidth fits the text field beside its prompt; a longer value scrolls.
func (b *inputBar) setWidth(w int) {
	b.avail = max(8, w-len("export JSON lines to: ")-1)
	b.fit()
}

// update hands an editing key or a paste to the text field. Typed and
// pasted text is made safe first (control, bidi and zero-width characters
// become visible escapes), as everything else on screen is. It reports
// whether the value changed.
func (b *inputBar) update(msg tea.Msg) (changed bool, cmd tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		msg.Text = textsafe.Line(msg.Text)
		before := b.ti.Value()
		b.ti.SetWidth(b.avail)
		b.ti, cmd = b.ti.Update(msg)
		b.fit()
		return b.ti.Value() != before, cmd
	case tea.PasteMsg:
		msg.Content = textsafe.Line(strings.ReplaceAll(msg.Content, "\n", " "))
		before := b.ti.Value()
		b.ti.SetWidth(b.avail)
		b.ti, cmd = b.ti.Update(msg)
		b.fit()
		return b.ti.Value() != before, cmd
	}
	return false, nil
}

// view renders the prompt line at width w.
func (b *inputBar) view(st *styles, w int) string {
	line := st.Key.Render(prompts[b.mode]) + b.ti.View()
	if b.err != "" {
		line += " " + st.Error.Render("✖ "+textsafe.Line(strings.TrimPrefix(b.err, "filter: invalid query: ")))
	}
	return ansi.Truncate(line, w, "…")
}
