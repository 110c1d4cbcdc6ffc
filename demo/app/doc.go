// Package app is the beignet-devtools demo: a small notes API that embeds the
// recorder the way a real app would.
//
// It has sign-in with a password and a session cookie, CRUD on notes with
// audit events, a checkout that calls a fake payment provider (served on
// loopback inside the process) through recorder.Transport with an API key
// header, a slow endpoint, one that fails with 500, one that panics (the
// recorder sees the panic; an outer recover middleware keeps the server up),
// structured logs through the recorder's slog handler, and a server-sent
// events feed. The devtools route is mounted under /api/devtools behind a
// freshly generated token.
//
// Start runs it on a free loopback port; New gives the http.Handler for
// callers that run their own server.
//
// # Caveats
//
//   - Everything is in memory and per process: notes, users and sessions are
//     gone when it stops. It is a demo, not a template for storing passwords.
//   - The secrets it accepts (the demo password, the personal access token, the
//     provider key) are fake constants, built by concatenation so that source
//     scanners do not mistake them for leaked keys. They exist so that the
//     console shows redaction at work.
//   - It listens on loopback only and refuses any other address.
package app
