//go:build race

package redact

// raceEnabled: the race detector slows the scans about tenfold.
const raceEnabled = true
