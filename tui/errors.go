package tui

import "errors"

// Errors returned by sources and Run.
var (
	// errNoHistory is returned by a Source that cannot page through history
	// (a live source whose URL is not a devtools route).
	errNoHistory = errors.New("tui: source has no history")
	// errClosed is returned by a closed Source.
	errClosed = errors.New("tui: source closed")
	// errNoSource is returned by Run without a Source.
	errNoSource = errors.New("tui: no source")
)
