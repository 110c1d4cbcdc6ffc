//go:build !unix && !windows

package testutil

import "time"

// ProcessCPU is always 0 here: the platform has no process CPU clock the
// tests can read, so benchmarks show wall time only.
func ProcessCPU() time.Duration { return 0 }
