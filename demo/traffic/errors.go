package traffic

import "errors"

// errStopped ends a simulated user's loop when Run's context ends.
var errStopped = errors.New("traffic: stopped")
