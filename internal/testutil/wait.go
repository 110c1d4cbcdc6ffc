package testutil

import (
	"testing"
	"time"
)

// WaitFor polls cond until it holds, failing the test with what it waited
// for when timeout passes first. Tests wait for a condition rather than
// sleep for a guessed time.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
