package recorder

import "errors"

// Errors returned by New and Handler, matched with errors.Is.
var (
	// ErrNoAuthorize: the devtools route is enabled outside development
	// without an Authorize callback.
	ErrNoAuthorize = errors.New("recorder: devtools route enabled outside development requires HandlerOptions.TokenEnv or Authorize")
	// ErrNoToken: TokenAuth or HeaderTokenAuth was given an empty token,
	// or the route is enabled outside development and the variable
	// HandlerOptions.TokenEnv names is unset or empty. The error names it.
	ErrNoToken = errors.New("recorder: no devtools token")
	// ErrShortToken: the token is shorter than MinTokenLen bytes.
	ErrShortToken = errors.New("recorder: devtools token must be at least 32 bytes")
	// ErrBadHeader: HeaderTokenAuth or HandlerOptions.TokenHeader names no
	// valid header, or Authorization.
	ErrBadHeader = errors.New("recorder: bad token header")
	// ErrBadBasePath: HandlerOptions.BasePath is not an absolute path.
	ErrBadBasePath = errors.New("recorder: base path must start with / and contain no query, fragment or pattern characters")
	// ErrClosed: Flush on a closed recorder.
	ErrClosed = errors.New("recorder: closed")
)
