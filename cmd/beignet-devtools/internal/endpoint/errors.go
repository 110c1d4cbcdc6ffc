package endpoint

import "errors"

// ErrBadURL is wrapped by every error Parse returns.
var ErrBadURL = errors.New("endpoint: bad --url")
