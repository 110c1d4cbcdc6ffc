// Package tui is the beignet-devtools console: a Bubble Tea v2 program that
// shows recorded events live (from a recorder's websocket stream) or offline
// (from a store file opened read-only).
//
// The pieces:
//
//   - Source feeds the model. NewLiveSource wraps stream.Client (and pages
//     history through the recorder's JSON routes with
//     internal/apiclient); NewOfflineSource
//     reads a store file newest-first and pages older on demand. Sources batch
//     arrivals (pump): the model gets one message per frame, never one per event,
//     and a full pump pushes back on the websocket reader instead of growing.
//     Options.Sources takes one source per instance; their events merge in
//     recording order (fleet.go).
//   - Run drives the top-level model, which routes messages to its
//     components, each owning its state: the list (listView), the detail pane
//     (detailView: Overview, Request, Response, Timeline, Raw), the prompt
//     (inputBar, a bubbles textinput), the status bar (statusBar) and the help
//     overlay (helpView). Key bindings are switched with SetEnabled for where
//     the user is. Update prepares everything View reads, so View changes
//     nothing; every blocking call (a source's next, older, newer and
//     correlated, file writes) runs in a tea.Cmd.
//   - Memory is bounded: a deque of Options.RingSize events (default 50,000);
//     paging back evicts the newest, which come back from history by
//     scrolling down (Newer, a page at a time) or at once on G.
//   - filter (subpackage) is the query language of the filter bar.
//   - Every string from an event goes through internal/textsafe (shared with
//     tail) before it reaches the screen: control characters, C1 codes, bidi
//     overrides and zero-width characters are escaped.
//   - styles (styles.go) holds both palettes; keyMap generates the help.
//
// # Caveats
//
//   - The clipboard uses OSC 52; terminals that do not support it (or tmux
//     without set-clipboard) silently ignore copies.
//   - Events/s counts arrivals between one-second ticks of Options.Now.
//   - While the view is paged far back (the newest evicted), live arrivals are
//     counted and the last 2,000 kept aside; the rest are re-read from the
//     source's history when the view comes back to the newest, so a source
//     without history never pages back past its ring.
//   - Exports (JSON lines, harDoc) are written 0600 and never overwrite a file;
//     the copied curl command keeps redacted values as [REDACTED] and quotes
//     control characters ($'...').
//   - Detail search is case-insensitive over the rendered (wrapped) text; a
//     match broken across a wrapped line is not found.
package tui
