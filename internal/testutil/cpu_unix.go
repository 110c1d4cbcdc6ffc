//go:build unix

package testutil

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time (user + system) this process has used so far
// (0 where the platform does not report it). Benchmarks report it per op beside
// wall time: on a shared, busy machine it says what an operation costs when
// wall time says mostly how long it waited for a core.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
