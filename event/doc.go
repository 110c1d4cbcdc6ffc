// Package event is the vocabulary every part of beignet-devtools shares: the
// Event record (schema v1), its Kind, and its time-ordered ID.
//
// An Event is JSON on disk, on the wire and in `tail --json`, always the same
// bytes for the same event. The package depends on the standard library only,
// so the recorder embedded in an app pulls in nothing else through it.
//
// # Caveats
//
//   - IDs are strictly increasing per Generator, not per process: an app that
//     runs two recorders gets two sequences, unique but interleaved.
//   - Attrs decode numbers as json.Number so that they re-encode to the same
//     text; code reading Attrs must expect json.Number, not float64.
//   - Decoding ignores fields it does not know, so an older reader accepts a
//     newer writer's events and drops what it cannot represent.
package event
