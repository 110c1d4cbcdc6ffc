package cli

import "errors"

// errEnough ends a tail that printed --count events or finished its replay.
var errEnough = errors.New("tail: done")
