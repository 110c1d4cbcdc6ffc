// Package faults_test breaks the whole system on purpose: it kills the app
// mid-load, fills and freezes the store's disk, stalls a console, corrupts and
// locks the store file, and throws bad frames at the websocket route, then
// checks that requests keep being served, that what was acknowledged is
// still there, and that every failure is reported plainly.
//
// These tests run real processes and real sockets on loopback; the disk tests
// mount a small tmpfs and skip (saying why) when not run as root.
package faults_test
