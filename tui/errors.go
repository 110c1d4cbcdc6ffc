package tui

import "errors"

// Errors returned by sources and Run.
var (
	// ErrNoHistory is returned by a Source that cannot page through history.
	ErrNoHistory = errors.New("tui: source has no history")
	// ErrClosed is returned by a closed Source.
	ErrClosed = errors.New("tui: source closed")
	// ErrNoSource is returned by Run without a Source.
	ErrNoSource = errors.New("tui: no source")
)
