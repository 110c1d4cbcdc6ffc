//go:build windows

package testutil

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time (user + kernel) this process has used so far
// (0 where the platform does not report it). Benchmarks report it per op beside
// wall time: on a shared, busy machine it says what an operation costs when
// wall time says mostly how long it waited for a core.
func ProcessCPU() time.Duration {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0
	}
	var creation, exit, kernel, user syscall.Filetime
	if err := syscall.GetProcessTimes(h, &creation, &exit, &kernel, &user); err != nil {
		return 0
	}
	return filetimeDuration(kernel) + filetimeDuration(user)
}

// filetimeDuration converts a FILETIME interval (100 ns units) to a Duration.
func filetimeDuration(ft syscall.Filetime) time.Duration {
	return time.Duration(uint64(ft.HighDateTime)<<32|uint64(ft.LowDateTime)) * 100
}
