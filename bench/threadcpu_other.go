//go:build !linux

package main

import "time"

// threadCPU is not available here: the request table shows wall time only.
func threadCPU() (time.Duration, bool) { return 0, false }
