// Package stream implements wire protocol v1 of beignet-devtools: a Hub that
// fans recorded events out to subscribers, the websocket Server handler that
// serves them, and the Client that the console and `tail` use.
//
// # Protocol
//
// Subprotocol "beignet-devtools.v1"; text frames, one JSON Message each,
// "type" first. The server sends hello on connect; the client sends
// subscribe{since, filter}; the server registers the subscriber with the Hub
// first (live events are buffered), replays History after `since` in pages,
// sends synced, then forwards live events, skipping those the replay already
// covered: no duplicates, no holes. A subscriber whose bounded buffer fills
// is marked behind; once it has drained it gets gap{after} (the last event
// it got) and continues live. Unknown message types get an error message
// from the server and are ignored by the client. See Message for the exact
// shapes.
//
// # Batching
//
// The server writes a subscriber's pending events in order. A lone pending
// event goes out as an event message, so a quiet stream keeps one frame per
// event and its latency. Two or more (a burst, a replay page) go out as
// events messages, {"type":"events","events":[...]}, of at most 256 events
// and 1 MiB each: one frame, one write and one client read per
// batch instead of per event. The events' JSON is copied as stored, never
// re-encoded. The Client delivers each event of an events message as if it
// had come alone (one UpdateEvent each, LastID advancing per event); a gap
// after an events message means after its last event.
//
// # Goroutines
//
// Every connection has three goroutines (writer, reader, pinger), owned by
// the ServeHTTP call that accepted it and stopped before it returns.
// Shutdown closes all connections with status 1001 and waits for them. The
// Client's Run owns its goroutines and stops them before returning.
//
// # Caveats
//
//   - Publish must be called in event ID order (one publisher, or callers
//     that serialize): the replay/live dedup and the gap bookkeeping compare
//     IDs.
//   - "No holes" after a resume needs the History to hold an event by the
//     time a replay begun after its publication reads it (store, then
//     publish; or a SinceEncoded that waits for what was published before
//     it, as the recorder's does) and to still hold it (retention).
//     Without History a resumed subscription goes live without replay and
//     without a gap.
//   - A gap tells the client what it missed; fetch it from history, or set
//     ClientOptions.FillGaps to reconnect and replay it.
//   - The Server does no authorization: wrap it in a handler that does,
//     before the upgrade. It checks the Origin's host (coder/websocket);
//     the recorder's route checks the scheme too.
//   - At most ServerOptions.MaxConnections (64) connections are served at
//     once; one more gets HTTP 503 before the upgrade, with a message and
//     Retry-After (Server.Refused counts them).
//   - A subscribe replaces the connection's previous one, and subscribes
//     that arrive while one is being processed, or sooner than
//     ServerOptions.SubscribeInterval after it, are coalesced (the latest
//     wins): repeated subscribes cost neither memory nor hub subscribers,
//     and replays of history (one per processed subscribe with `since`)
//     are at most one per interval per connection.
//   - Run gives up at once on 401, 403 and 404 (a token or a route that
//     retrying cannot fix) and keeps retrying anything else, including
//     5xx answers and refused connections, until its context ends.
//   - When Run's context ends the client sends a normal close and waits at
//     most about a second for the server's answer (with a caller-supplied
//     HTTPClient the library's own timeouts apply, up to 10s).
//   - The client's callback runs on Run's goroutine: a slow callback makes
//     this client's server-side subscriber fall behind (and get a gap),
//     never the app or other clients.
package stream
