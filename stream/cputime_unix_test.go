//go:build unix

package stream

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of this process so far, so
// that benchmarks can report CPU per message, which stays comparable when
// other processes compete for the cores (wall-clock rates do not).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
