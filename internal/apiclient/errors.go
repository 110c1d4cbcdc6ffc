package apiclient

import "errors"

// ErrBadOptions is wrapped by New's errors: a malformed URL (also matching
// stream.ErrBadURL) or token header.
var ErrBadOptions = errors.New("apiclient: bad options")
