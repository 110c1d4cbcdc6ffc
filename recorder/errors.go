package recorder

import "errors"

// Errors returned by New and Handler, matched with errors.Is.
var (
	// ErrNoAuthorize: the devtools route is enabled outside development
	// without an Authorize callback.
	ErrNoAuthorize = errors.New("recorder: devtools route enabled outside development requires HandlerOptions.Authorize (for example recorder.TokenAuth)")
	// ErrShortToken: TokenAuth was given a token shorter than MinTokenLen bytes.
	ErrShortToken = errors.New("recorder: devtools token must be at least 32 bytes")
	// ErrBadBasePath: HandlerOptions.BasePath is not an absolute path.
	ErrBadBasePath = errors.New("recorder: base path must start with / and contain no query, fragment or pattern characters")
	// ErrClosed: Flush on a closed recorder.
	ErrClosed = errors.New("recorder: closed")
)
