// Package redact is the engine behind package redaction: the rule table,
// the scanner and the walkers for headers, URLs, JSON, Go values and
// events. It is internal so that the speed-only entry points the recorder's
// pipeline needs (AppendEvent, AppendEventOwned, HasHook) and the rule
// table that the scan command audits with are not public API; package
// redaction documents the behaviour.
package redact
