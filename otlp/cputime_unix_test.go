//go:build unix

package otlp_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the test process has used:
// benchmarks report it per op beside wall time, which a loaded machine
// inflates.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
