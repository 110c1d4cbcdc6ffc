package main

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPU is the CPU time of the calling OS thread
// (CLOCK_THREAD_CPUTIME_ID: the scheduler's nanosecond count, where
// getrusage's thread times are sampled at the tick and useless for spans
// of a few hundred microseconds). With the goroutine locked to its thread,
// that is the goroutine's own CPU time, garbage-collection assists
// included, and none of the other goroutines' (the recorder's pipeline,
// the collector's workers).
func threadCPU() (time.Duration, bool) {
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
