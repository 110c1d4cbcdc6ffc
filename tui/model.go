package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/filter"
	"github.com/beignet/devtools/internal/textsafe"
	"github.com/beignet/devtools/stream"
)

// defaultRingSize is how many events the console keeps in memory by default.
const defaultRingSize = 50_000

// pageSize is how many events one history page loads.
const pageSize = 500

// maxTail bounds the live arrivals kept aside while the window is away from
// the newest (see model.tail).
const maxTail = 4 * pageSize

// Options configure the console. The zero value of every field but the
// sources means its documented default.
type Options struct {
	// Source feeds events. Source or Sources is required.
	Source Source
	// Sources are several sources, one per instance (console --url A
	// --url B): their events merge into one list in recording order, each
	// row labelled with its instance, and one source failing or refusing
	// never stops the others. Source, when set, comes first.
	Sources []Source
	// Now is the clock (nil: time.Now). Tests fix it.
	Now func() time.Time
	// Location for displayed times (nil: time.Local).
	Location *time.Location
	// RingSize bounds the events kept in memory (default 50,000).
	RingSize int
	// Dark forces the dark (true) or light (false) palette; nil picks from
	// the terminal's reported background colour.
	Dark *bool
	// NoColor renders without colours, only bold, underline and reverse.
	// The console reads no environment: the CLI sets it from NO_COLOR.
	NoColor bool
	// Filter is an initial filter query.
	Filter string
	// Mouse starts with mouse capture on (default off, so the terminal's
	// own text selection works).
	Mouse bool
	// SplitWidth is the terminal width from which the detail opens beside
	// the list instead of over it (default 160; <0 never splits).
	SplitWidth int
	// BodyLines is how many lines of a body the detail shows before asking
	// for the rest (default 200).
	BodyLines int
	// Input and Output replace the terminal (nil: stdin and stdout), for
	// tests and for embedding the console elsewhere.
	Input  io.Reader
	Output io.Writer
}

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

// model is the console's single Bubble Tea model. Components (list, detail,
// status bar, help) only render from its state; all I/O runs in tea.Cmds.
type model struct {
	opts   Options
	srcs   []Source
	fl     *fleet
	ctx    context.Context
	cancel context.CancelFunc
	now    func() time.Time
	loc    *time.Location
	keys   keyMap
	st     *styles
	styleG int // bumped when styles change; invalidates row caches

	width, height int

	// The components, each owning its state; the model routes messages
	// to them and lays out what they render.
	list listView   // the event table and the window of events in memory
	det  detailView // the detail pane of one event
	in   inputBar   // the prompt: filter, search, file names
	bar  statusBar  // connection states, counters, notices
	hv   helpView   // the help overlay

	harEv    event.Event // the event H was pressed on
	mouse    bool
	srcDone  []bool
	quitting bool
}

// sources returns Source and Sources as one list, without nils.
func (o *Options) sources() []Source {
	var out []Source
	for _, s := range append([]Source{o.Source}, o.Sources...) {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// listView is the event table: the events in memory, what the filter lets
// through, the selection and how the view follows arrivals.
type listView struct {
	buf         *buffer
	filter      *filter.Filter
	hidden      map[event.Kind]bool
	follow      bool
	sel, top    int64 // sequence numbers of the selected and first shown entries
	newCount    int
	paused      bool
	pending     []event.Event
	pendingDrop int
	loading     bool
	noOlder     bool
	atEdge      bool // the buffer reaches the newest event (false after paging far back)
	// tail holds the live arrivals of the last moments while the window
	// is away from the newest (!atEdge): a page of history asked for
	// before they were stored may lack them, so they are merged in when
	// the window comes back to the newest. Bounded by maxTail.
	tail []event.Event
}

// detailView is the detail pane: the event it shows, its tabs, scroll,
// search and the correlated events of its timeline.
type detailView struct {
	open          bool
	ev            event.Event // the event the detail shows (a copy)
	followOnClose bool
	tab           int
	scroll        int
	lines         []dline
	key           detailKey
	correlated    map[string][]event.Event
	bodyAll       bool
	search        string
	matches       []matchPos
	matchIdx      int
}

// statusBar is what the status bar and the notice line show.
type statusBar struct {
	conn    status   // the sources' state as one (see aggregate)
	conns   []status // per source
	infos   []string
	srvs    []serverStats // per source
	info    string
	gaps    int
	dropped int
	totals  map[event.Kind]int
	rate    float64
	rateN   int
	rateAt  time.Time
	// seenLo and seenHi bound the IDs counted in totals: a page of
	// history counts only the events outside them, so paging back and
	// forth over the same events does not count them twice.
	seenLo, seenHi event.ID
	message        string
	msgErr         bool
}

// helpView is the help overlay and the footer's key hints.
type helpView struct {
	show bool
	help help.Model
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
		src int // index in model.srcs
		b   batch
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

// newModel returns the console model for opts. Run it with Run, or with a
// tea.Program of your own (then call Close when done).
func newModel(opts Options) *model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.RingSize <= 0 {
		opts.RingSize = defaultRingSize
	}
	if opts.SplitWidth == 0 {
		opts.SplitWidth = 160
	}
	if opts.BodyLines <= 0 {
		opts.BodyLines = 200
	}
	keys := defaultKeyMap()
	dark := true
	if opts.Dark != nil {
		dark = *opts.Dark
	}
	ctx, cancel := context.WithCancel(context.Background())
	srcs := opts.sources()
	m := &model{
		opts: opts, srcs: srcs, ctx: ctx, cancel: cancel, now: opts.Now, loc: opts.Location,
		keys: keys, st: newStyles(dark, opts.NoColor), width: 80, height: 24,
		srcDone: make([]bool, len(srcs)), mouse: opts.Mouse,
		list: listView{buf: newBuffer(opts.RingSize), hidden: map[event.Kind]bool{}, follow: true, sel: -1, top: -1, atEdge: true},
		det:  detailView{correlated: map[string][]event.Event{}},
		bar: statusBar{conns: make([]status, len(srcs)), srvs: make([]serverStats, len(srcs)), infos: make([]string, len(srcs)),
			totals: map[event.Kind]int{}, rateAt: opts.Now(), conn: status{State: stream.StateConnecting}},
		hv: helpView{help: help.New()},
	}
	m.hv.help.Styles = helpStyles(dark, opts.NoColor)
	m.in = newInputBar(m.st)
	if len(srcs) > 0 {
		m.fl = newFleet(srcs)
	}
	if opts.Filter != "" {
		if f, err := filter.Parse(opts.Filter); err == nil {
			m.list.filter = f
		} else {
			m.in.err = err.Error()
		}
	}
	return m
}

// Close cancels the model's pending commands and closes its sources.
func (m *model) Close() error {
	m.cancel()
	var errs []error
	for _, s := range m.srcs {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// Init implements tea.Model.
func (m *model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.tickCmd()}
	for i := range m.srcs {
		cmds = append(cmds, m.nextCmd(i))
	}
	if m.opts.Dark == nil && !m.opts.NoColor {
		cmds = append(cmds, tea.RequestBackgroundColor)
	}
	return tea.Batch(cmds...)
}

// nextCmd waits for source i's next batch. Each source has its own, so
// a quiet or stuck source never holds up the others.
func (m *model) nextCmd(i int) tea.Cmd {
	if i >= len(m.srcs) || m.srcDone[i] {
		return nil
	}
	src, ctx := m.srcs[i], m.ctx
	return func() tea.Msg {
		b, err := src.next(ctx)
		return batchMsg{src: i, b: b, err: err}
	}
}

func (m *model) tickCmd() tea.Cmd {
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

func (m *model) olderCmd(before event.ID, reload bool) tea.Cmd {
	if m.fl == nil {
		return nil
	}
	m.list.loading = true
	fl, ctx := m.fl, m.ctx
	return func() tea.Msg {
		evs, err := fl.older(ctx, before, pageSize)
		return olderMsg{evs: evs, err: err, reload: reload}
	}
}

func (m *model) newerCmd(after event.ID) tea.Cmd {
	if m.fl == nil {
		return nil
	}
	m.list.loading = true
	fl, ctx := m.fl, m.ctx
	return func() tea.Msg {
		evs, err := fl.newer(ctx, after, pageSize)
		return newerMsg{evs: evs, err: err}
	}
}

// maxTraceRequests bounds how many request IDs of one trace the
// timeline asks every source for.
const maxTraceRequests = 16

// corrKey names what e's timeline gathers: its trace when it has one (a
// request that called another instance shares its trace ID, not its
// request ID), else its request.
func corrKey(e *event.Event) string {
	switch {
	case e.TraceID != "":
		return "trace " + e.TraceID
	case e.RequestID != "":
		return "req " + e.RequestID
	}
	return ""
}

// correlatedCmd fetches e's timeline from every source. The recorder's
// API correlates by request ID only, so the request IDs of a trace are
// those of the events in memory that share its trace ID; each is asked of
// every source.
func (m *model) correlatedCmd(e *event.Event) tea.Cmd {
	key := corrKey(e)
	if m.fl == nil || key == "" {
		return nil
	}
	if _, ok := m.det.correlated[key]; ok {
		return nil
	}
	var ids []string
	if e.RequestID != "" {
		ids = append(ids, e.RequestID)
	}
	if e.TraceID != "" {
		for _, x := range m.list.buf.byTrace(e.TraceID) {
			if x.RequestID != "" && !slices.Contains(ids, x.RequestID) && len(ids) < maxTraceRequests {
				ids = append(ids, x.RequestID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	m.det.correlated[key] = nil // in flight
	fl, ctx := m.fl, m.ctx
	return func() tea.Msg {
		evs, err := fl.correlated(ctx, ids)
		return correlatedMsg{id: key, evs: evs, err: err}
	}
}

func (m *model) matchFn() func(*event.Event) bool {
	f, hidden := m.list.filter, m.list.hidden
	return func(e *event.Event) bool { return !hidden[e.Kind] && f.Match(e) }
}

// setNotice shows s in the footer (as an error when isErr) until the
// next notice or esc.
func (b *statusBar) setNotice(s string, isErr bool) {
	b.message, b.msgErr = s, isErr
}

// Update implements tea.Model. The top model routes each message to the
// part it concerns; afterwards it switches the key bindings for where the
// user now is and prepares what View shows, so View changes nothing.
func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.syncKeys()
	m.prepare()
	return m, cmd
}

// prepare brings what View reads up to date: the detail's lines and
// scroll position, and the cached rows in view.
func (m *model) prepare() {
	if m.det.open {
		m.ensureDetail()
		m.det.scroll = max(0, min(m.det.scroll, len(m.det.lines)-(m.bodyHeight()-1)))
	}
	m.warmRows()
}

// syncKeys enables the bindings that do something here and disables the
// others: the footer (help.ShortHelpView) shows only enabled ones, and a
// disabled binding does not match. The help overlay lists them all.
func (m *model) syncKeys() {
	k := &m.keys
	for _, b := range k.all() {
		b.SetEnabled(true)
	}
	if m.hv.show {
		return
	}
	inDetail := m.det.open
	search := m.det.search != "" || len(m.det.matches) > 0
	k.Back.SetEnabled(inDetail || search || m.bar.message != "" || m.in.err != "")
	k.NextTab.SetEnabled(inDetail)
	k.PrevTab.SetEnabled(inDetail)
	k.DetailUp.SetEnabled(inDetail)
	k.DetailDown.SetEnabled(inDetail)
	k.LoadAll.SetEnabled(inDetail)
	k.NextMatch.SetEnabled(inDetail)
	k.PrevMatch.SetEnabled(inDetail)
	k.Open.SetEnabled(!inDetail || m.split())
	k.HAR.SetEnabled(inDetail || m.selected() != nil)
}

func (m *model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 20), max(msg.Height, 6)
		m.hv.help.SetWidth(m.width - 4)
		m.in.setWidth(m.width)
		m.clampView()
		return nil
	case tea.BackgroundColorMsg:
		if m.opts.Dark == nil {
			m.st = newStyles(msg.IsDark(), m.opts.NoColor)
			m.hv.help.Styles = helpStyles(msg.IsDark(), m.opts.NoColor)
			m.in.setStyles(m.st)
			m.styleG++
		}
		return nil
	case batchMsg:
		return m.onBatch(msg)
	case olderMsg:
		m.onOlder(msg)
		return nil
	case newerMsg:
		m.onNewer(msg)
		return nil
	case correlatedMsg:
		if msg.err != nil && !errors.Is(msg.err, errNoHistory) && !errors.Is(msg.err, context.Canceled) {
			m.bar.setNotice("correlated events: "+msg.err.Error(), true)
		}
		m.det.correlated[msg.id] = append([]event.Event{}, msg.evs...)
		return nil
	case tickMsg:
		m.bar.tick(m.now())
		return m.tickCmd()
	case noticeMsg:
		m.bar.setNotice(msg.text, msg.err)
		return nil
	case tea.PasteMsg:
		if m.in.active() {
			changed, cmd := m.in.update(msg)
			if changed {
				m.onInputChanged()
			}
			return cmd
		}
		return nil
	case tea.MouseWheelMsg:
		if !m.mouse {
			return nil
		}
		d := 0
		switch msg.Button {
		case tea.MouseWheelUp:
			d = -3
		case tea.MouseWheelDown:
			d = 3
		}
		if m.split() && msg.X > m.listWidth() {
			m.det.scroll = max(0, m.det.scroll+d)
			return nil
		}
		m.scroll(d)
		if d > 0 {
			return m.maybeLoadNewer()
		}
		return m.maybeLoadOlder()
	case tea.MouseClickMsg:
		if m.mouse && msg.Button == tea.MouseLeft {
			m.click(msg.X, msg.Y)
		}
		return nil
	case tea.KeyPressMsg:
		return m.onKey(msg)
	}
	return nil
}

func (m *model) onBatch(msg batchMsg) tea.Cmd {
	i := msg.src
	if i < 0 || i >= len(m.srcs) {
		return nil
	}
	who := "" // names the instance in notices when there are several
	if m.fl.multi() {
		who = m.fl.labels[i] + ": "
	}
	if msg.err != nil {
		m.srcDone[i] = true
		if !errors.Is(msg.err, errClosed) && !errors.Is(msg.err, context.Canceled) {
			m.bar.setNotice(who+"source: "+msg.err.Error(), true)
			m.bar.conns[i] = status{State: stream.StateClosed, Since: m.now(), Err: msg.err}
			m.bar.conn = m.bar.aggregate()
		}
		return nil
	}
	b := msg.b
	m.fl.tag(i, b.Events)
	m.fl.tag(i, b.History)
	if b.Conn != nil {
		m.bar.conns[i] = *b.Conn
		m.bar.conn = m.bar.aggregate()
		switch b.Conn.State {
		case stream.StateAuthRefused:
			m.bar.setNotice(who+"auth refused: the token was rejected; check it and the header it goes in (--auth-header) (not retrying)", true)
		case stream.StateOriginRefused:
			m.bar.setNotice(who+"origin refused: the server did not accept this client's Origin (not retrying)", true)
		case stream.StateNotFound:
			m.bar.setNotice(who+"not found: nothing serves devtools at this URL; check its base path and that the app enables the recorder (not retrying)", true)
		case stream.StateReconnecting:
			if b.Conn.Err != nil {
				m.bar.setNotice(who+"connection lost: "+b.Conn.Err.Error(), true)
			}
		case stream.StateLive:
			if m.bar.msgErr && strings.HasPrefix(m.bar.message, who+"connection lost") {
				m.bar.setNotice("", false)
			}
		}
	}
	if b.Stats != nil {
		m.bar.srvs[i] = *b.Stats
	}
	if b.Info != "" {
		m.bar.infos[i] = textsafe.Line(b.Info)
		if !m.fl.multi() {
			m.bar.info = m.bar.infos[i]
		}
	}
	m.bar.gaps += b.Gaps
	m.bar.dropped += b.Dropped
	if b.Err != nil {
		m.bar.setNotice(who+b.Err.Error(), true)
	}
	if len(b.History) > 0 {
		m.onHistory(b.History, b.HistoryMore)
	}
	if len(b.Events) > 0 {
		sortByID(b.Events)
		m.bar.rateN += len(b.Events)
		m.bar.count(b.Events, true)
		if m.list.paused {
			m.list.pending = append(m.list.pending, b.Events...)
			if over := len(m.list.pending) - m.opts.RingSize; over > 0 {
				m.list.pending = append(m.list.pending[:0], m.list.pending[over:]...)
				m.list.pendingDrop += over
			}
		} else {
			m.ingest(b.Events)
		}
	}
	return m.nextCmd(i)
}

// tick turns the arrivals counted since the last tick into events/s.
func (b *statusBar) tick(now time.Time) {
	if el := now.Sub(b.rateAt); el >= 500*time.Millisecond {
		b.rate = float64(b.rateN) / el.Seconds()
		b.rateN, b.rateAt = 0, now
	}
}

// aggregate is the sources' state as one: the single source's, or with
// several the best any of them is in (live if one is live), so the list's
// messages ("waiting for events", "not connected") read right; the status
// bar shows each source's own.
func (b *statusBar) aggregate() status {
	if len(b.conns) == 1 {
		return b.conns[0]
	}
	rank := func(s stream.ConnState) int {
		switch s {
		case stream.StateLive:
			return 0
		case stream.StateOffline:
			return 1
		case stream.StateReconnecting:
			return 2
		case stream.StateConnecting:
			return 3
		case stream.StateClosed:
			return 4
		}
		return 5 // refused
	}
	best := b.conns[0]
	for _, c := range b.conns[1:] {
		if rank(c.State) < rank(best.State) {
			best = c
		}
	}
	return best
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
func (b *statusBar) count(evs []event.Event, live bool) {
	for i := range evs {
		id := evs[i].ID
		fresh := b.seenHi.IsZero() || id.Compare(b.seenLo) < 0 || id.Compare(b.seenHi) > 0
		if !live && !fresh {
			continue
		}
		b.totals[evs[i].Kind]++
		if b.seenLo.IsZero() || id.Compare(b.seenLo) < 0 {
			b.seenLo = id
		}
		if id.Compare(b.seenHi) > 0 {
			b.seenHi = id
		}
	}
}

// onHistory merges a source's newest page, read on connect. When older
// events exist before it, the window's floor rises to its first event, so
// the window stays contiguous (with several sources, one source's page
// may reach further back than another's).
func (m *model) onHistory(evs []event.Event, more bool) {
	sortByID(evs)
	m.bar.count(evs, false)
	if m.list.atEdge {
		m.merge(evs, false)
	}
	if more && m.list.atEdge {
		m.list.buf.raiseFloor(evs[0].ID)
		m.list.noOlder = false
	}
	m.clampView()
}

// merge puts evs (in ID order) into the window, keeping the selection
// and the first shown row on their events when entries move. live events
// bump the new-events counter when the view is not following.
func (m *model) merge(evs []event.Event, live bool) {
	var selID, topID event.ID
	if e := m.list.buf.at(m.list.sel); e != nil {
		selID = e.ev.ID
	}
	if e := m.list.buf.at(m.list.top); e != nil {
		topID = e.ev.ID
	}
	added, moved := m.list.buf.merge(evs, m.matchFn())
	if live && (!m.list.follow || m.det.open) {
		m.list.newCount += added
	}
	if moved >= 0 {
		if m.list.sel >= moved {
			m.list.sel = m.list.buf.seqOf(selID)
		}
		if m.list.top >= moved {
			m.list.top = m.list.buf.seqOf(topID)
		}
	}
}

// ingest matches each new event against the filter once and merges it
// into the window.
func (m *model) ingest(evs []event.Event) {
	if !m.list.atEdge {
		// The buffer holds an older window; the newest events are in
		// the source's history and come back with G or by scrolling
		// down. The last ones are kept aside in case that history
		// was read before they were stored.
		match := m.matchFn()
		for i := range evs {
			if match(&evs[i]) {
				m.list.newCount++
			}
			if len(m.list.tail) == maxTail { // drop the older half: amortised O(1)
				m.list.tail = append(m.list.tail[:0], m.list.tail[maxTail/2:]...)
			}
			m.list.tail = append(m.list.tail, evs[i])
		}
		return
	}
	m.merge(evs, true)
	m.clampView()
}

func (m *model) onOlder(msg olderMsg) {
	m.list.loading = false
	if msg.err != nil {
		if errors.Is(msg.err, errNoHistory) {
			m.list.noOlder = true
			return
		}
		if !errors.Is(msg.err, context.Canceled) {
			m.bar.setNotice("history: "+msg.err.Error(), true)
		}
		if len(msg.evs) == 0 {
			return
		}
		// Several sources: the others' events came back; show them.
	}
	m.bar.count(msg.evs, false)
	if msg.reload {
		// Back to the newest: replace the window with the newest page.
		m.list.buf.reset()
		m.list.buf.pushFront(msg.evs, m.matchFn())
		if len(msg.evs) == pageSize {
			m.list.buf.floor = msg.evs[len(msg.evs)-1].ID
		}
		m.list.atEdge, m.list.noOlder = true, len(msg.evs) == 0
		m.mergeTail()
		m.list.follow = true
		m.list.newCount = 0
		m.clampView()
		return
	}
	if len(msg.evs) == 0 {
		m.list.noOlder = true
		m.list.buf.floor = event.ID{}
		return
	}
	if ev := m.list.buf.pushFront(msg.evs, m.matchFn()); ev > 0 {
		m.list.atEdge = false
		m.list.follow = false
	}
	if len(msg.evs) < pageSize {
		m.list.buf.floor = event.ID{} // the page reached the oldest stored
	} else {
		m.list.buf.floor = msg.evs[len(msg.evs)-1].ID
	}
	m.clampView()
}

// onNewer appends a page of newer history below the window (evicting the
// oldest when the ring is full). A short page means the window reached the
// newest stored event: from there on live arrivals are appended again.
func (m *model) onNewer(msg newerMsg) {
	m.list.loading = false
	if msg.err != nil {
		if !errors.Is(msg.err, errNoHistory) && !errors.Is(msg.err, context.Canceled) {
			m.bar.setNotice("history: "+msg.err.Error(), true)
		}
		if len(msg.evs) == 0 {
			return
		}
	}
	m.bar.count(msg.evs, false)
	if m.list.buf.len()+len(msg.evs) > m.list.buf.cap {
		m.list.noOlder = false // the evicted ones can be paged back in
	}
	m.merge(msg.evs, false)
	if len(msg.evs) < pageSize {
		m.list.atEdge = true
		m.mergeTail()
	}
	m.clampView()
}

// mergeTail appends the live arrivals kept aside while the window was
// away from the newest, those newer than what the history page brought.
func (m *model) mergeTail() {
	tail := m.list.tail
	m.list.tail = nil
	sortByID(tail)
	m.merge(tail, false)
}

// maybeLoadNewer asks for a newer page when the window is away from the
// newest events and the selection is near its bottom.
func (m *model) maybeLoadNewer() tea.Cmd {
	if m.list.loading || m.list.atEdge || m.fl == nil {
		return nil
	}
	if n := m.list.buf.visLen(); n > 0 && m.selPos() < n-m.listHeight() {
		return nil
	}
	var after event.ID
	if n := m.list.buf.newest(); n != nil {
		after = n.ev.ID
	}
	return m.newerCmd(after)
}

// maybeLoadOlder asks for an older page when the selection is near the top of
// what is in memory.
func (m *model) maybeLoadOlder() tea.Cmd {
	if m.list.loading || m.list.noOlder || m.fl == nil || m.list.follow && m.list.buf.len() > 0 {
		return nil
	}
	if m.list.buf.visLen() > 0 && m.selPos() > m.listHeight() {
		return nil
	}
	o := m.list.buf.oldest()
	if o == nil {
		// Nothing in memory (a quiet app, or after c): load the newest
		// page of history.
		return m.olderCmd(event.ID{}, true)
	}
	return m.olderCmd(o.ev.ID, false)
}

// selPos is the selection's position among the visible entries (the
// newest when nothing is selected).
func (l *listView) selPos() int {
	if l.sel < 0 {
		return l.buf.visLen() - 1
	}
	return min(l.buf.visIndex(l.sel), l.buf.visLen()-1)
}

// selected is the selected entry, or nil.
func (l *listView) selected() *entry {
	if l.sel < 0 {
		return nil
	}
	return l.buf.at(l.sel)
}

// clamp keeps the selection and the first shown row consistent with the
// buffer and the h rows shown; following, it shows the newest (unless
// frozen: a detail is open on a selected event).
func (l *listView) clamp(h int, frozen bool) {
	n := l.buf.visLen()
	if n == 0 {
		l.sel, l.top = -1, -1
		return
	}
	if l.follow && !frozen {
		l.sel = l.buf.visAt(n - 1).seq
		l.top = l.buf.visAt(max(0, n-h)).seq
		l.newCount = 0
		return
	}
	sp := max(l.selPos(), 0)
	l.sel = l.buf.visAt(sp).seq
	tp := 0
	if l.top >= 0 {
		tp = l.buf.visIndex(l.top)
	}
	if sp < tp {
		tp = sp
	}
	if sp >= tp+h {
		tp = sp - h + 1
	}
	tp = max(0, min(tp, n-1))
	l.top = l.buf.visAt(tp).seq
}

// clampView clamps the list to the layout.
func (m *model) clampView() { m.list.clamp(m.listHeight(), m.det.open) }

func (m *model) selected() *entry { return m.list.selected() }

func (m *model) selPos() int { return m.list.selPos() }

func (m *model) move(d int) {
	n := m.list.buf.visLen()
	if n == 0 {
		return
	}
	if d < 0 {
		m.list.follow = false
	}
	sp := max(0, min(m.selPos()+d, n-1))
	m.list.sel = m.list.buf.visAt(sp).seq
	m.clampView()
	m.syncDetail()
}

// syncDetail makes the detail follow a selection the user moved.
func (m *model) syncDetail() {
	if m.det.open {
		if e := m.selected(); e != nil {
			m.det.ev = e.ev
		}
	}
}

func (m *model) scroll(d int) {
	if m.det.open && !m.split() {
		m.det.scroll = max(0, m.det.scroll+d)
		return
	}
	m.move(d)
}

func (m *model) click(x, y int) {
	if y < 2 || y >= 2+m.listHeight() {
		return
	}
	if m.det.open && !m.split() {
		return
	}
	if m.split() && x >= m.listWidth() {
		return
	}
	tp := 0
	if m.list.top >= 0 {
		tp = m.list.buf.visIndex(m.list.top)
	}
	if e := m.list.buf.visAt(tp + y - 2); e != nil {
		m.list.follow = false
		m.list.sel = e.seq
		m.clampView()
		m.syncDetail()
	}
}

func (m *model) resumeFollow() tea.Cmd {
	m.list.follow = true
	m.list.newCount = 0
	if m.list.paused {
		m.list.paused = false
		m.flushPending()
	}
	if !m.list.atEdge {
		return m.olderCmd(event.ID{}, true)
	}
	m.clampView()
	return nil
}

func (m *model) flushPending() {
	p := m.list.pending
	m.list.pending = nil
	m.list.pendingDrop = 0
	sortByID(p) // batches of several sources, each in order
	m.ingest(p)
}

// onKey routes a key: to the prompt when it is open, to the help overlay
// when it shows, then to the detail pane (when it fills the screen) or the
// list for the movement keys, and to the model for the rest.
func (m *model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.in.active() {
		return m.onInputKey(msg)
	}
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.hv.show {
		return m.helpKey(msg)
	}
	if m.det.open {
		if cmd, ok := m.detailKey(msg, !m.split()); ok {
			return cmd
		}
	}
	if cmd, ok := m.listKey(msg); ok {
		return cmd
	}
	return m.commandKey(msg)
}

// helpKey handles a key while the help overlay shows.
func (m *model) helpKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Help, m.keys.Back):
		m.hv.show = false
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	}
	return nil
}

// detailKey handles the detail pane's keys. When it fills the screen
// (full), the movement keys scroll it instead of moving the selection.
func (m *model) detailKey(msg tea.KeyPressMsg, full bool) (tea.Cmd, bool) {
	k, d := &m.keys, &m.det
	page := m.bodyHeight() - 1
	switch {
	case key.Matches(msg, k.DetailUp) || full && key.Matches(msg, k.Up):
		d.scroll = max(0, d.scroll-1)
	case key.Matches(msg, k.DetailDown) || full && key.Matches(msg, k.Down):
		d.scroll++
	case full && key.Matches(msg, k.PageUp):
		d.scroll = max(0, d.scroll-page)
	case full && key.Matches(msg, k.PageDown):
		d.scroll += page
	case full && key.Matches(msg, k.Top):
		d.scroll = 0
	case full && key.Matches(msg, k.Bottom):
		d.scroll = 1 << 30 // clamped in prepare
	case key.Matches(msg, k.NextTab):
		d.setTab(d.tab + 1)
	case key.Matches(msg, k.PrevTab):
		d.setTab(d.tab + numTabs - 1)
	case key.Matches(msg, k.NextMatch):
		m.jumpMatch(1)
	case key.Matches(msg, k.PrevMatch):
		m.jumpMatch(-1)
	case key.Matches(msg, k.LoadAll):
		d.bodyAll = !d.bodyAll
	case key.Matches(msg, k.Filter):
		return m.in.open(modeSearch, d.search), true
	case key.Matches(msg, k.Back):
		if d.search != "" {
			d.clearSearch()
		} else {
			m.closeDetail()
		}
	default:
		return nil, false
	}
	return nil, true
}

// setTab shows tab i (modulo the tabs) from its top.
func (d *detailView) setTab(i int) {
	d.tab = i % numTabs
	d.scroll = 0
	d.clearSearch()
}

// listKey handles the list's movement keys, paging history in at the ends.
func (m *model) listKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Up):
		m.move(-1)
		return m.maybeLoadOlder(), true
	case key.Matches(msg, k.Down):
		m.move(1)
		return m.maybeLoadNewer(), true
	case key.Matches(msg, k.PageUp):
		m.move(-m.listHeight())
		return m.maybeLoadOlder(), true
	case key.Matches(msg, k.PageDown):
		m.move(m.listHeight())
		return m.maybeLoadNewer(), true
	case key.Matches(msg, k.Top):
		m.move(-m.list.buf.visLen())
		return m.maybeLoadOlder(), true
	case key.Matches(msg, k.Bottom):
		return m.resumeFollow(), true
	case key.Matches(msg, k.Open):
		return m.openDetail(), true
	}
	return nil, false
}

// openDetail opens (or, beside the list, moves) the detail on the
// selected event and fetches its timeline.
func (m *model) openDetail() tea.Cmd {
	sel := m.selected()
	if sel == nil {
		return nil
	}
	m.det.ev = sel.ev
	if !m.det.open {
		m.det.followOnClose = m.list.follow
		m.det.open = true
		m.list.follow = false
		m.det.scroll = 0
		m.det.bodyAll = false
		m.det.clearSearch()
	}
	return m.correlatedCmd(&sel.ev)
}

// commandKey handles the keys that act on the console as a whole.
func (m *model) commandKey(msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.hv.show = true
	case key.Matches(msg, k.Follow):
		m.closeDetail()
		return m.resumeFollow()
	case key.Matches(msg, k.Back):
		m.bar.setNotice("", false)
		m.in.err = ""
	case key.Matches(msg, k.Filter):
		return m.in.open(modeFilter, m.list.filter.String())
	case key.Matches(msg, k.ToggleKind):
		i := int(msg.Code - '1')
		kinds := event.Kinds()
		if i >= 0 && i < len(kinds) {
			m.list.hidden[kinds[i]] = !m.list.hidden[kinds[i]]
			m.refilter()
		}
	case key.Matches(msg, k.Pause):
		m.list.paused = !m.list.paused
		if !m.list.paused {
			m.flushPending()
		}
	case key.Matches(msg, k.Clear):
		m.list.clear()
		m.closeDetail()
		m.bar.setNotice("cleared (history stays in the source)", false)
	case key.Matches(msg, k.Copy):
		e := m.detailEvent()
		if e == nil {
			return nil
		}
		b, err := event.Marshal(e)
		if err != nil {
			m.bar.setNotice("copy: "+err.Error(), true)
			return nil
		}
		m.bar.setNotice(fmt.Sprintf("copied event %s as JSON (%d bytes, OSC 52)", e.ID, len(b)), false)
		return tea.SetClipboard(string(b))
	case key.Matches(msg, k.Export):
		return m.in.open(modeExport, "beignet-events-"+m.now().In(m.loc).Format("20060102-150405")+".jsonl")
	case key.Matches(msg, k.HAR):
		e := m.detailEvent()
		if e == nil {
			return nil
		}
		m.harEv = *e
		return tea.Batch(m.in.open(modeHAR, "request-"+e.ID.String()+".har"), m.correlatedCmd(e))
	case key.Matches(msg, k.Mouse):
		m.mouse = !m.mouse
		if m.mouse {
			m.bar.setNotice("mouse capture on: wheel scrolls, click selects (m turns it off for text selection)", false)
		} else {
			m.bar.setNotice("mouse capture off", false)
		}
	}
	return nil
}

// clear empties the view; an empty view shows what comes next.
func (l *listView) clear() {
	l.buf.reset()
	l.pending = nil
	l.newCount = 0
	l.noOlder = true
	l.atEdge, l.tail = true, nil
	l.sel, l.top = -1, -1
}

func (m *model) quit() tea.Cmd {
	m.quitting = true
	m.cancel()
	return tea.Quit
}

func (m *model) closeDetail() {
	if !m.det.open {
		return
	}
	m.det.open = false
	m.det.clearSearch()
	if m.det.followOnClose {
		m.list.follow = true
		m.list.newCount = 0
	}
	m.clampView()
}

func (m *model) refilter() {
	m.list.buf.refilter(m.matchFn())
	m.clampView()
}

// onInputKey routes a key while the prompt is open: the key map's
// Submit and Cancel (and ctrl+c) here, editing keys to the text field.
func (m *model) onInputKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case msg.String() == "ctrl+c":
		return m.quit()
	case key.Matches(msg, m.keys.Cancel):
		if m.in.mode == modeSearch {
			m.det.clearSearch()
		}
		m.in.close()
		return nil
	case key.Matches(msg, m.keys.Submit):
		return m.submitInput()
	}
	changed, cmd := m.in.update(msg)
	if changed {
		m.onInputChanged()
	}
	return cmd
}

// onInputChanged validates the filter as it is typed (and searches live).
func (m *model) onInputChanged() {
	switch m.in.mode {
	case modeFilter:
		if _, err := filter.Parse(m.in.value()); err != nil {
			m.in.err = err.Error()
		} else {
			m.in.err = ""
		}
	case modeSearch:
		m.det.search = m.in.value()
		m.findMatches()
		m.jumpMatch(0)
	}
}

func (m *model) submitInput() tea.Cmd {
	switch m.in.mode {
	case modeFilter:
		f, err := filter.Parse(m.in.value())
		if err != nil {
			// Keep the last valid filter and the prompt open.
			m.in.err = err.Error()
			return nil
		}
		m.list.filter = f
		if f.Empty() {
			m.list.filter = nil
		}
		m.in.close()
		m.refilter()
	case modeSearch:
		m.det.search = m.in.value()
		m.in.close()
		m.findMatches()
		m.jumpMatch(0)
	case modeExport:
		path := strings.TrimSpace(m.in.value())
		m.in.close()
		if path == "" {
			return nil
		}
		evs := m.list.buf.visible()
		m.bar.setNotice(fmt.Sprintf("exporting %d events to %s …", len(evs), textsafe.Line(path)), false)
		return exportCmd(path, evs)
	case modeHAR:
		path := strings.TrimSpace(m.in.value())
		m.in.close()
		e := &m.harEv
		if e.ID.IsZero() || path == "" {
			return nil
		}
		evs := m.requestEvents(e)
		curl := curlCommand(e, evs)
		m.bar.setNotice("writing HAR to "+textsafe.Line(path)+" …", false)
		cmds := []tea.Cmd{harCmd(path, e, evs)}
		if curl != "" {
			cmds = append(cmds, tea.SetClipboard(curl))
		}
		return tea.Batch(cmds...)
	}
	return nil
}

// requestEvents returns e's timeline: every known event of its trace (or,
// without a trace ID, of its request), from every source's history and
// from memory, oldest first, deduplicated.
func (m *model) requestEvents(e *event.Event) []event.Event {
	key := corrKey(e)
	if key == "" {
		return []event.Event{*e}
	}
	seen := map[event.ID]bool{}
	var out []event.Event
	add := func(list []event.Event) {
		for _, x := range list {
			if !seen[x.ID] {
				seen[x.ID] = true
				out = append(out, x)
			}
		}
	}
	add(m.det.correlated[key])
	if e.TraceID != "" {
		add(m.list.buf.byTrace(e.TraceID))
	}
	add(m.list.buf.byRequest(e.RequestID))
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
