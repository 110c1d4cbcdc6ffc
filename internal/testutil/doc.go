// Package testutil holds the helpers that several packages' tests share:
// process CPU time for benchmarks, a goroutine-safe buffer, polling for a
// condition, and a tmux driver for the end-to-end tests. One definition
// each, so the copies cannot drift.
//
// Only test files import it; nothing here is linked into an app that
// embeds the recorder.
package testutil
