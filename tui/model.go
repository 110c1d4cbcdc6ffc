package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/textsafe"
	"github.com/beignet/devtools/tui/filter"
)

// DefaultRingSize is how many events the console keeps in memory by default.
const DefaultRingSize = 50_000

// pageSize is how many events one history page loads.
const pageSize = 500

// maxTail bounds the live arrivals kept aside while the window is away from
// the newest (see Model.tail).
const maxTail = 4 * pageSize

// Options configure the console.
type Options struct {
	// Source feeds events; required.
	Source Source
	// Now is the clock (nil: time.Now). Tests fix it.
	Now func() time.Time
	// Location for displayed times (nil: time.Local).
	Location *time.Location
	// RingSize bounds the events kept in memory (default 50,000).
	RingSize int
	// Dark forces the dark (true) or light (false) palette; nil picks from
	// the terminal's reported background colour.
	Dark *bool
	// NoColor renders without colours. Run also sets it when NO_COLOR is set.
	NoColor bool
	// Filter is an initial filter query.
	Filter string
	// Mouse starts with mouse capture on (default off, so the terminal's
	// own text selection works).
	Mouse bool
	// KeyMap overrides DefaultKeyMap.
	KeyMap *KeyMap
	// SplitWidth is the terminal width from which the detail opens beside
	// the list instead of over it (default 160; <0 never splits).
	SplitWidth int
	// BodyLines is how many lines of a body the detail shows before asking
	// for the rest (default 200).
	BodyLines int
}

type inputMode int

const (
	modeNormal inputMode = iota
	modeFilter
	modeSearch
	modeExport
	modeHAR
)

// Tabs of the detail pane.
const (
	tabOverview = iota
	tabRequest
	tabResponse
	tabTimeline
	tabRaw
	numTabs
)

var tabNames = [numTabs]string{"Overview", "Request", "Response", "Timeline", "Raw"}

// Model is the console's single Bubble Tea model. Components (list, detail,
// status bar, help) only render from its state; all I/O runs in tea.Cmds.
type Model struct {
	opts   Options
	src    Source
	ctx    context.Context
	cancel context.CancelFunc
	now    func() time.Time
	loc    *time.Location
	keys   KeyMap
	help   help.Model
	st     *Styles
	styleG int // bumped when styles change; invalidates row caches

	width, height int

	buf         *buffer
	filter      *filter.Filter
	hidden      map[event.Kind]bool
	follow      bool
	sel, top    int64 // sequence numbers of the selected and first shown entries
	newCount    int
	paused      bool
	pending     []event.Event
	pendingDrop int

	mode     inputMode
	input    string
	inputErr string
	message  string
	msgErr   bool
	showHelp bool
	mouse    bool

	detail        bool
	dev           event.Event // the event the detail shows (a copy)
	harEv         event.Event // the event H was pressed on
	followOnClose bool
	tab           int
	dscroll       int
	dlines        []dline
	dkey          detailKey
	correlated    map[string][]event.Event
	bodyAll       bool
	search        string
	matches       []matchPos
	matchIdx      int

	conn    Conn
	info    string
	srv     ServerStats
	gaps    int
	dropped int
	totals  map[event.Kind]int
	rate    float64
	rateN   int
	rateAt  time.Time
	srcErr  error
	srcDone bool
	loading bool
	noOlder bool
	atEdge  bool // the buffer reaches the newest event (false after paging far back)
	// tail holds the live arrivals of the last moments while the window
	// is away from the newest (!atEdge): a page of history asked for
	// before they were stored may lack them, so they are merged in when
	// the window comes back to the newest. Bounded by maxTail.
	tail     []event.Event
	quitting bool
	// seenLo and seenHi bound the IDs counted in totals: a page of
	// history counts only the events outside them, so paging back and
	// forth over the same events does not count them twice.
	seenLo, seenHi event.ID
}

type detailKey struct {
	id         event.ID
	tab, width int
	all        bool
	corr       int
	styleG     int
}

// Messages.
type (
	batchMsg struct {
		b   Batch
		err error
	}
	olderMsg struct {
		evs    []event.Event
		err    error
		reload bool
	}
	newerMsg struct {
		evs []event.Event
		err error
	}
	correlatedMsg struct {
		id  string
		evs []event.Event
		err error
	}
	tickMsg   time.Time
	noticeMsg struct {
		text string
		err  bool
	}
)

// NewModel returns the console model for opts. Run it with Run, or with a
// tea.Program of your own (then call Close when done).
func NewModel(opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.RingSize <= 0 {
		opts.RingSize = DefaultRingSize
	}
	if opts.SplitWidth == 0 {
		opts.SplitWidth = 160
	}
	if opts.BodyLines <= 0 {
		opts.BodyLines = 200
	}
	keys := DefaultKeyMap()
	if opts.KeyMap != nil {
		keys = *opts.KeyMap
	}
	dark := true
	if opts.Dark != nil {
		dark = *opts.Dark
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{
		opts: opts, src: opts.Source, ctx: ctx, cancel: cancel, now: opts.Now, loc: opts.Location,
		keys: keys, help: help.New(), st: NewStyles(dark, opts.NoColor),
		width: 80, height: 24,
		buf: newBuffer(opts.RingSize), hidden: map[event.Kind]bool{}, follow: true, sel: -1, top: -1,
		mouse: opts.Mouse, totals: map[event.Kind]int{}, correlated: map[string][]event.Event{},
		atEdge: true, rateAt: opts.Now(), conn: Conn{State: StateConnecting},
	}
	m.help.Styles = helpStyles(dark, opts.NoColor)
	if opts.Filter != "" {
		if f, err := filter.Parse(opts.Filter); err == nil {
			m.filter = f
		} else {
			m.inputErr = err.Error()
		}
	}
	return m
}

// Close cancels the model's pending commands and closes its source.
func (m *Model) Close() error {
	m.cancel()
	if m.src != nil {
		return m.src.Close()
	}
	return nil
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.nextCmd(), m.tickCmd()}
	if m.opts.Dark == nil && !m.opts.NoColor {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

func (m *Model) nextCmd() tea.Cmd {
	if m.src == nil || m.srcDone {
		return nil
	}
	src, ctx := m.src, m.ctx
	return func() tea.Msg {
		b, err := src.Next(ctx)
		return batchMsg{b: b, err: err}
	}
}

func (m *Model) tickCmd() tea.Cmd {
	// Not tea.Tick: this one stops when the model is closed, so no goroutine
	// outlives the program.
	ctx := m.ctx
	return func() tea.Msg {
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case now := <-t.C:
			return tickMsg(now)
		case <-ctx.Done():
			return nil
		}
	}
}

func (m *Model) olderCmd(before event.ID, reload bool) tea.Cmd {
	if m.src == nil {
		return nil
	}
	m.loading = true
	src, ctx := m.src, m.ctx
	return func() tea.Msg {
		evs, err := src.Older(ctx, before, pageSize)
		return olderMsg{evs: evs, err: err, reload: reload}
	}
}

func (m *Model) newerCmd(after event.ID) tea.Cmd {
	if m.src == nil {
		return nil
	}
	m.loading = true
	src, ctx := m.src, m.ctx
	return func() tea.Msg {
		evs, err := src.Newer(ctx, after, pageSize)
		return newerMsg{evs: evs, err: err}
	}
}

func (m *Model) correlatedCmd(id string) tea.Cmd {
	if m.src == nil || id == "" {
		return nil
	}
	if _, ok := m.correlated[id]; ok {
		return nil
	}
	m.correlated[id] = nil // in flight
	src, ctx := m.src, m.ctx
	return func() tea.Msg {
		evs, err := src.Correlated(ctx, id)
		return correlatedMsg{id: id, evs: evs, err: err}
	}
}

func (m *Model) matchFn() func(*event.Event) bool {
	f, hidden := m.filter, m.hidden
	return func(e *event.Event) bool { return !hidden[e.Kind] && f.Match(e) }
}

func (m *Model) setNotice(s string, isErr bool) {
	m.message, m.msgErr = s, isErr
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 20), max(msg.Height, 6)
		m.help.SetWidth(m.width - 4)
		m.clampView()
		return m, nil
	case tea.BackgroundColorMsg:
		if m.opts.Dark == nil {
			m.st = NewStyles(msg.IsDark(), m.opts.NoColor)
			m.help.Styles = helpStyles(msg.IsDark(), m.opts.NoColor)
			m.styleG++
		}
		return m, nil
	case batchMsg:
		return m, m.onBatch(msg)
	case olderMsg:
		m.onOlder(msg)
		return m, nil
	case newerMsg:
		m.onNewer(msg)
		return m, nil
	case correlatedMsg:
		if msg.err != nil {
			if !errors.Is(msg.err, ErrNoHistory) && !errors.Is(msg.err, context.Canceled) {
				m.setNotice("correlated events: "+msg.err.Error(), true)
			}
			m.correlated[msg.id] = []event.Event{}
		} else {
			m.correlated[msg.id] = msg.evs
		}
		return m, nil
	case tickMsg:
		now := m.now()
		if el := now.Sub(m.rateAt); el >= 500*time.Millisecond {
			m.rate = float64(m.rateN) / el.Seconds()
			m.rateN, m.rateAt = 0, now
		}
		return m, m.tickCmd()
	case noticeMsg:
		m.setNotice(msg.text, msg.err)
		return m, nil
	case tea.PasteMsg:
		if m.mode != modeNormal {
			m.input += strings.ReplaceAll(msg.Content, "\n", " ")
			m.onInputChanged()
		}
		return m, nil
	case tea.MouseWheelMsg:
		if !m.mouse {
			return m, nil
		}
		d := 0
		switch msg.Button {
		case tea.MouseWheelUp:
			d = -3
		case tea.MouseWheelDown:
			d = 3
		}
		if m.split() && msg.X > m.listWidth() {
			m.dscroll = max(0, m.dscroll+d)
			return m, nil
		}
		m.scroll(d)
		if d > 0 {
			return m, m.maybeLoadNewer()
		}
		return m, m.maybeLoadOlder()
	case tea.MouseClickMsg:
		if m.mouse && msg.Button == tea.MouseLeft {
			m.click(msg.X, msg.Y)
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	}
	return m, nil
}

func (m *Model) onBatch(msg batchMsg) tea.Cmd {
	if msg.err != nil {
		if errors.Is(msg.err, ErrClosed) || errors.Is(msg.err, context.Canceled) {
			m.srcDone = true
			return nil
		}
		m.srcErr = msg.err
		m.setNotice("source: "+msg.err.Error(), true)
		m.srcDone = true
		return nil
	}
	b := msg.b
	if b.Conn != nil {
		m.conn = *b.Conn
		switch b.Conn.State {
		case StateAuthRefused:
			m.setNotice("auth refused: the server rejected the token; check BEIGNET_DEVTOOLS_TOKEN (not retrying)", true)
		case StateOriginRefused:
			m.setNotice("origin refused: the server did not accept this client's Origin (not retrying)", true)
		case StateNotFound:
			m.setNotice("not found: nothing serves devtools at this URL; check its base path and that the app enables the recorder (not retrying)", true)
		case StateReconnecting:
			if b.Conn.Err != nil {
				m.setNotice("connection lost: "+b.Conn.Err.Error(), true)
			}
		case StateLive:
			if m.msgErr && strings.HasPrefix(m.message, "connection lost") {
				m.setNotice("", false)
			}
		}
	}
	if b.Stats != nil {
		m.srv = *b.Stats
	}
	if b.Info != "" {
		m.info = textsafe.Line(b.Info)
	}
	m.gaps += b.Gaps
	m.dropped += b.Dropped
	if b.Err != nil {
		m.setNotice(b.Err.Error(), true)
	}
	if len(b.History) > 0 {
		m.onHistory(b.History, b.HistoryMore)
	}
	if len(b.Events) > 0 {
		sortByID(b.Events)
		m.rateN += len(b.Events)
		m.count(b.Events, true)
		if m.paused {
			m.pending = append(m.pending, b.Events...)
			if over := len(m.pending) - m.opts.RingSize; over > 0 {
				m.pending = append(m.pending[:0], m.pending[over:]...)
				m.pendingDrop += over
			}
		} else {
			m.ingest(b.Events)
		}
	}
	return m.nextCmd()
}

// sortByID puts a batch in ID order (recording order) unless it already
// is: the list is in that order whichever source an event came from.
func sortByID(evs []event.Event) {
	if !slices.IsSortedFunc(evs, cmpID) {
		slices.SortStableFunc(evs, cmpID)
	}
}

func cmpID(a, b event.Event) int { return a.ID.Compare(b.ID) }

// count adds events to the per-kind totals. Live arrivals always count;
// events read from history count when they lie outside what was counted
// before.
func (m *Model) count(evs []event.Event, live bool) {
	for i := range evs {
		id := evs[i].ID
		fresh := m.seenHi.IsZero() || id.Compare(m.seenLo) < 0 || id.Compare(m.seenHi) > 0
		if !live && !fresh {
			continue
		}
		m.totals[evs[i].Kind]++
		if m.seenLo.IsZero() || id.Compare(m.seenLo) < 0 {
			m.seenLo = id
		}
		if id.Compare(m.seenHi) > 0 {
			m.seenHi = id
		}
	}
}

// onHistory merges a source's newest page, read on connect. When older
// events exist before it, the window's floor rises to its first event, so
// the window stays contiguous (with several sources, one source's page
// may reach further back than another's).
func (m *Model) onHistory(evs []event.Event, more bool) {
	sortByID(evs)
	m.count(evs, false)
	if m.atEdge {
		m.merge(evs, false)
	}
	if more && m.atEdge {
		m.buf.raiseFloor(evs[0].ID)
		m.noOlder = false
	}
	m.clampView()
}

// merge puts evs (in ID order) into the window, keeping the selection
// and the first shown row on their events when entries move. live events
// bump the new-events counter when the view is not following.
func (m *Model) merge(evs []event.Event, live bool) {
	var selID, topID event.ID
	if e := m.buf.at(m.sel); e != nil {
		selID = e.ev.ID
	}
	if e := m.buf.at(m.top); e != nil {
		topID = e.ev.ID
	}
	added, moved := m.buf.merge(evs, m.matchFn())
	if live && (!m.follow || m.detail) {
		m.newCount += added
	}
	if moved >= 0 {
		if m.sel >= moved {
			m.sel = m.buf.seqOf(selID)
		}
		if m.top >= moved {
			m.top = m.buf.seqOf(topID)
		}
	}
}

// ingest matches each new event against the filter once and merges it
// into the window.
func (m *Model) ingest(evs []event.Event) {
	if !m.atEdge {
		// The buffer holds an older window; the newest events are in
		// the source's history and come back with G or by scrolling
		// down. The last ones are kept aside in case that history
		// was read before they were stored.
		match := m.matchFn()
		for i := range evs {
			if match(&evs[i]) {
				m.newCount++
			}
			if len(m.tail) == maxTail { // drop the older half: amortised O(1)
				m.tail = append(m.tail[:0], m.tail[maxTail/2:]...)
			}
			m.tail = append(m.tail, evs[i])
		}
		return
	}
	m.merge(evs, true)
	m.clampView()
}

func (m *Model) onOlder(msg olderMsg) {
	m.loading = false
	if msg.err != nil {
		if errors.Is(msg.err, ErrNoHistory) {
			m.noOlder = true
			return
		}
		if !errors.Is(msg.err, context.Canceled) {
			m.setNotice("history: "+msg.err.Error(), true)
		}
		return
	}
	m.count(msg.evs, false)
	if msg.reload {
		// Back to the newest: replace the window with the newest page.
		m.buf.reset()
		m.buf.pushFront(msg.evs, m.matchFn())
		if len(msg.evs) == pageSize {
			m.buf.floor = msg.evs[len(msg.evs)-1].ID
		}
		m.atEdge, m.noOlder = true, len(msg.evs) == 0
		m.mergeTail()
		m.follow = true
		m.newCount = 0
		m.clampView()
		return
	}
	if len(msg.evs) == 0 {
		m.noOlder = true
		m.buf.floor = event.ID{}
		return
	}
	if ev := m.buf.pushFront(msg.evs, m.matchFn()); ev > 0 {
		m.atEdge = false
		m.follow = false
	}
	if len(msg.evs) < pageSize {
		m.buf.floor = event.ID{} // the page reached the oldest stored
	} else {
		m.buf.floor = msg.evs[len(msg.evs)-1].ID
	}
	m.clampView()
}

// onNewer appends a page of newer history below the window (evicting the
// oldest when the ring is full). A short page means the window reached the
// newest stored event: from there on live arrivals are appended again.
func (m *Model) onNewer(msg newerMsg) {
	m.loading = false
	if msg.err != nil {
		if !errors.Is(msg.err, ErrNoHistory) && !errors.Is(msg.err, context.Canceled) {
			m.setNotice("history: "+msg.err.Error(), true)
		}
		return
	}
	m.count(msg.evs, false)
	if m.buf.len()+len(msg.evs) > m.buf.cap {
		m.noOlder = false // the evicted ones can be paged back in
	}
	m.merge(msg.evs, false)
	if len(msg.evs) < pageSize {
		m.atEdge = true
		m.mergeTail()
	}
	m.clampView()
}

// mergeTail appends the live arrivals kept aside while the window was
// away from the newest, those newer than what the history page brought.
func (m *Model) mergeTail() {
	tail := m.tail
	m.tail = nil
	sortByID(tail)
	m.merge(tail, false)
}

// maybeLoadNewer asks for a newer page when the window is away from the
// newest events and the selection is near its bottom.
func (m *Model) maybeLoadNewer() tea.Cmd {
	if m.loading || m.atEdge || m.src == nil {
		return nil
	}
	if n := m.buf.visLen(); n > 0 && m.selPos() < n-m.listHeight() {
		return nil
	}
	var after event.ID
	if n := m.buf.newest(); n != nil {
		after = n.ev.ID
	}
	return m.newerCmd(after)
}

// maybeLoadOlder asks for an older page when the selection is near the top of
// what is in memory.
func (m *Model) maybeLoadOlder() tea.Cmd {
	if m.loading || m.noOlder || m.src == nil || m.follow && m.buf.len() > 0 {
		return nil
	}
	if m.buf.visLen() > 0 && m.selPos() > m.listHeight() {
		return nil
	}
	o := m.buf.oldest()
	if o == nil {
		// Nothing in memory (a quiet app, or after c): load the newest
		// page of history.
		return m.olderCmd(event.ID{}, true)
	}
	return m.olderCmd(o.ev.ID, false)
}

func (m *Model) selPos() int {
	if m.sel < 0 {
		return m.buf.visLen() - 1
	}
	p := m.buf.visIndex(m.sel)
	return min(p, m.buf.visLen()-1)
}

// clampView keeps the selection and the first shown row consistent with the
// buffer and the window size.
func (m *Model) clampView() {
	n := m.buf.visLen()
	h := m.listHeight()
	if n == 0 {
		m.sel, m.top = -1, -1
		return
	}
	if m.follow && !m.detail {
		m.sel = m.buf.visAt(n - 1).seq
		m.top = m.buf.visAt(max(0, n-h)).seq
		m.newCount = 0
		return
	}
	sp := m.selPos()
	if sp < 0 {
		sp = 0
	}
	m.sel = m.buf.visAt(sp).seq
	tp := 0
	if m.top >= 0 {
		tp = m.buf.visIndex(m.top)
	}
	if sp < tp {
		tp = sp
	}
	if sp >= tp+h {
		tp = sp - h + 1
	}
	tp = max(0, min(tp, n-1))
	m.top = m.buf.visAt(tp).seq
}

func (m *Model) move(d int) {
	n := m.buf.visLen()
	if n == 0 {
		return
	}
	if d < 0 {
		m.follow = false
	}
	sp := max(0, min(m.selPos()+d, n-1))
	m.sel = m.buf.visAt(sp).seq
	m.clampView()
	m.syncDetail()
}

// syncDetail makes the detail follow a selection the user moved.
func (m *Model) syncDetail() {
	if m.detail {
		if e := m.selected(); e != nil {
			m.dev = e.ev
		}
	}
}

func (m *Model) scroll(d int) {
	if m.detail && !m.split() {
		m.dscroll = max(0, m.dscroll+d)
		return
	}
	m.move(d)
}

func (m *Model) click(x, y int) {
	if y < 2 || y >= 2+m.listHeight() {
		return
	}
	if m.detail && !m.split() {
		return
	}
	if m.split() && x >= m.listWidth() {
		return
	}
	tp := 0
	if m.top >= 0 {
		tp = m.buf.visIndex(m.top)
	}
	if e := m.buf.visAt(tp + y - 2); e != nil {
		m.follow = false
		m.sel = e.seq
		m.clampView()
		m.syncDetail()
	}
}

func (m *Model) selected() *entry {
	if m.sel < 0 {
		return nil
	}
	return m.buf.at(m.sel)
}

func (m *Model) resumeFollow() tea.Cmd {
	m.follow = true
	m.newCount = 0
	if m.paused {
		m.paused = false
		m.flushPending()
	}
	if !m.atEdge {
		return m.olderCmd(event.ID{}, true)
	}
	m.clampView()
	return nil
}

func (m *Model) flushPending() {
	p := m.pending
	m.pending = nil
	m.pendingDrop = 0
	m.ingest(p)
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.mode != modeNormal {
		return m.onInputKey(msg)
	}
	k := m.keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.showHelp {
		if key.Matches(msg, k.Help, k.Back) {
			m.showHelp = false
		} else if key.Matches(msg, k.Quit) {
			return m.quit()
		}
		return nil
	}
	inDetail := m.detail && !m.split()
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.DetailUp):
		if m.detail {
			m.dscroll = max(0, m.dscroll-1)
		}
	case key.Matches(msg, k.DetailDown):
		if m.detail {
			m.dscroll++
		}
	case key.Matches(msg, k.Up):
		if inDetail {
			m.dscroll = max(0, m.dscroll-1)
			return nil
		}
		m.move(-1)
		return m.maybeLoadOlder()
	case key.Matches(msg, k.Down):
		if inDetail {
			m.dscroll++
			return nil
		}
		m.move(1)
		return m.maybeLoadNewer()
	case key.Matches(msg, k.PageUp):
		if inDetail {
			m.dscroll = max(0, m.dscroll-m.bodyHeight()+1)
			return nil
		}
		m.move(-m.listHeight())
		return m.maybeLoadOlder()
	case key.Matches(msg, k.PageDown):
		if inDetail {
			m.dscroll += m.bodyHeight() - 1
			return nil
		}
		m.move(m.listHeight())
		return m.maybeLoadNewer()
	case key.Matches(msg, k.Top):
		if inDetail {
			m.dscroll = 0
			return nil
		}
		m.move(-m.buf.visLen())
		return m.maybeLoadOlder()
	case key.Matches(msg, k.Bottom):
		if inDetail {
			m.dscroll = 1 << 30
			return nil
		}
		return m.resumeFollow()
	case key.Matches(msg, k.Follow):
		if m.detail {
			m.closeDetail()
		}
		return m.resumeFollow()
	case key.Matches(msg, k.Open):
		if m.selected() == nil {
			return nil
		}
		m.dev = m.selected().ev
		if !m.detail {
			m.followOnClose = m.follow
			m.detail = true
			m.follow = false
			m.dscroll = 0
			m.bodyAll = false
			m.clearSearch()
		}
		return m.correlatedCmd(m.selected().ev.RequestID)
	case key.Matches(msg, k.Back):
		switch {
		case m.search != "":
			m.clearSearch()
		case m.detail:
			m.closeDetail()
		case m.message != "" || m.inputErr != "":
			m.setNotice("", false)
			m.inputErr = ""
		}
	case key.Matches(msg, k.NextTab):
		if m.detail {
			m.tab = (m.tab + 1) % numTabs
			m.dscroll = 0
			m.clearSearch()
		}
	case key.Matches(msg, k.PrevTab):
		if m.detail {
			m.tab = (m.tab + numTabs - 1) % numTabs
			m.dscroll = 0
			m.clearSearch()
		}
	case key.Matches(msg, k.Filter):
		if m.detail {
			m.mode, m.input = modeSearch, m.search
		} else {
			m.mode, m.input = modeFilter, m.filter.String()
		}
		m.inputErr = ""
	case key.Matches(msg, k.NextMatch):
		m.jumpMatch(1)
	case key.Matches(msg, k.PrevMatch):
		m.jumpMatch(-1)
	case key.Matches(msg, k.ToggleKind):
		i := int(msg.Code - '1')
		kinds := event.Kinds()
		if i >= 0 && i < len(kinds) {
			m.hidden[kinds[i]] = !m.hidden[kinds[i]]
			m.refilter()
		}
	case key.Matches(msg, k.Pause):
		m.paused = !m.paused
		if !m.paused {
			m.flushPending()
		}
	case key.Matches(msg, k.Clear):
		m.buf.reset()
		m.pending = nil
		m.newCount = 0
		m.noOlder = true
		m.atEdge, m.tail = true, nil // an empty view shows what comes next
		m.closeDetail()
		m.sel, m.top = -1, -1
		m.setNotice("cleared (history stays in the source)", false)
	case key.Matches(msg, k.Copy):
		e := m.detailEvent()
		if e == nil {
			return nil
		}
		b, err := event.Marshal(e)
		if err != nil {
			m.setNotice("copy: "+err.Error(), true)
			return nil
		}
		m.setNotice(fmt.Sprintf("copied event %s as JSON (%d bytes, OSC 52)", e.ID, len(b)), false)
		return tea.SetClipboard(string(b))
	case key.Matches(msg, k.Export):
		m.mode = modeExport
		m.input = "beignet-events-" + m.now().In(m.loc).Format("20060102-150405") + ".jsonl"
		m.inputErr = ""
	case key.Matches(msg, k.HAR):
		e := m.detailEvent()
		if e == nil {
			return nil
		}
		m.harEv = *e
		m.mode = modeHAR
		m.input = "request-" + e.ID.String() + ".har"
		m.inputErr = ""
		return m.correlatedCmd(e.RequestID)
	case key.Matches(msg, k.LoadAll):
		if m.detail {
			m.bodyAll = !m.bodyAll
		}
	case key.Matches(msg, k.Mouse):
		m.mouse = !m.mouse
		if m.mouse {
			m.setNotice("mouse capture on: wheel scrolls, click selects (m turns it off for text selection)", false)
		} else {
			m.setNotice("mouse capture off", false)
		}
	}
	return nil
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.cancel()
	return tea.Quit
}

func (m *Model) closeDetail() {
	if !m.detail {
		return
	}
	m.detail = false
	m.clearSearch()
	if m.followOnClose {
		m.follow = true
		m.newCount = 0
	}
	m.clampView()
}

func (m *Model) refilter() {
	m.buf.refilter(m.matchFn())
	m.clampView()
}

func (m *Model) onInputKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		if m.mode == modeSearch {
			m.clearSearch()
		}
		m.mode, m.inputErr = modeNormal, ""
		return nil
	case "enter":
		return m.submitInput()
	case "backspace":
		if r := []rune(m.input); len(r) > 0 {
			m.input = string(r[:len(r)-1])
		}
	case "ctrl+u":
		m.input = ""
	case "ctrl+c":
		return m.quit()
	default:
		if msg.Text != "" {
			m.input += msg.Text
		}
	}
	m.onInputChanged()
	return nil
}

// onInputChanged validates the filter as it is typed (and searches live).
func (m *Model) onInputChanged() {
	switch m.mode {
	case modeFilter:
		if _, err := filter.Parse(m.input); err != nil {
			m.inputErr = err.Error()
		} else {
			m.inputErr = ""
		}
	case modeSearch:
		m.search = m.input
		m.findMatches()
		m.jumpMatch(0)
	}
}

func (m *Model) submitInput() tea.Cmd {
	switch m.mode {
	case modeFilter:
		f, err := filter.Parse(m.input)
		if err != nil {
			// Keep the last valid filter and the prompt open.
			m.inputErr = err.Error()
			return nil
		}
		m.filter = f
		if f.Empty() {
			m.filter = nil
		}
		m.mode, m.inputErr = modeNormal, ""
		m.refilter()
	case modeSearch:
		m.search = m.input
		m.mode = modeNormal
		m.findMatches()
		m.jumpMatch(0)
	case modeExport:
		path := strings.TrimSpace(m.input)
		m.mode = modeNormal
		if path == "" {
			return nil
		}
		evs := m.buf.visible()
		m.setNotice(fmt.Sprintf("exporting %d events to %s …", len(evs), textsafe.Line(path)), false)
		return exportCmd(path, evs)
	case modeHAR:
		path := strings.TrimSpace(m.input)
		m.mode = modeNormal
		e := &m.harEv
		if e.ID.IsZero() || path == "" {
			return nil
		}
		evs := m.requestEvents(e)
		curl := curlCommand(e, evs)
		m.setNotice("writing HAR to "+textsafe.Line(path)+" …", false)
		cmds := []tea.Cmd{harCmd(path, e, evs)}
		if curl != "" {
			cmds = append(cmds, tea.SetClipboard(curl))
		}
		return tea.Batch(cmds...)
	}
	return nil
}

// requestEvents returns every known event correlated with e (same request
// ID), from memory and from the source's history, oldest first, deduplicated.
func (m *Model) requestEvents(e *event.Event) []event.Event {
	if e.RequestID == "" {
		return []event.Event{*e}
	}
	seen := map[event.ID]bool{}
	var out []event.Event
	for _, list := range [][]event.Event{m.correlated[e.RequestID], m.buf.byRequest(e.RequestID)} {
		for _, x := range list {
			if !seen[x.ID] {
				seen[x.ID] = true
				out = append(out, x)
			}
		}
	}
	if !seen[e.ID] {
		out = append(out, *e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].ID.Compare(out[j].ID) < 0
	})
	return out
}
