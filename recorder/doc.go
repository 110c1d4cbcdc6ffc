// Package recorder is what an app embeds to feed beignet-devtools.
//
// A Recorder captures inbound requests (Middleware), outbound provider calls
// (Transport), audit records (Audit), log records (SlogHandler) and custom
// events (Event). Capture copies what it needs on the caller's goroutine and
// hands it to a bounded queue without ever waiting. A pipeline of two
// goroutines, owned by the Recorder, does the rest: the first batches the
// queue, stamps IDs, redacts every field and encodes each event once; the
// second appends the batch to the store in one transaction and publishes it
// to the websocket hub while the first prepares the next. The pipeline
// reuses its header maps, the memory of the strings it builds for request
// events (unless a redaction hook, which may keep them, is set) and, while
// no console holds its events, the memory it encodes them into, so that
// the garbage it leaves (whose collection the app's goroutines share) is
// mostly bbolt's. A full queue drops the event and counts it (Stats, and
// the stats message on the wire).
//
// Handler serves the devtools route (websocket and JSON) behind the policy of
// DESIGN.md:
//
//   - The environment comes from Config.Env, else BEIGNET_ENV, else APP_ENV;
//     unset means development. "development", "dev" and "local" are
//     development; every other name (production, prod, staging, prd, live,
//     a typo) is "outside development" and behaves as production: the
//     policy fails closed.
//   - Outside development the recorder is a no-op (Middleware returns the
//     next handler unchanged, nothing allocates, no store is opened) and
//     the route answers 404, unless explicitly enabled (Config.Enabled or
//     HandlerOptions.Enabled).
//   - Enabled outside development without a token (HandlerOptions.TokenEnv,
//     read only when the route is enabled) or an Authorize callback:
//     Handler returns an error that names what is missing. The store file
//     is created only once the route is built (or the first event is
//     written), so a start that fails leaves nothing on disk.
//   - Development without Authorize: loopback clients only, the Host header
//     must be a loopback name or address (DNS rebinding), and proxied
//     requests (Forwarded, X-Forwarded-For, X-Real-Ip) are refused.
//   - TokenAuth (and TokenEnv) compare Authorization: Bearer or
//     X-Devtools-Token, HeaderTokenAuth (and TokenHeader) one header of
//     the app's choice, in constant time; credentials in the query string
//     are refused.
//   - Cross-origin websocket upgrades and cross-origin writes are refused
//     unless the origin (scheme and host) is allow-listed; authorization
//     runs before the upgrade; at most MaxConnections websockets (64).
//   - No lockout: Authorize runs first and a valid credential is always
//     served; refusals of requests that carried a credential (guesses) are
//     limited per client address (the forwarded one behind
//     TrustedProxies), 429 with Retry-After past the budget.
//   - Routers that do not set Request.Pattern name the route with
//     SetRoute.
//
// Correlation: the middleware reuses a valid incoming X-Request-Id (1 to 128
// bytes of letters, digits and -_.:+=@/) or generates a ULID-shaped one
// (time-ordered, 80 random bits), continues a valid W3C traceparent or
// starts a trace, and puts both in the request context (RequestID,
// TraceParent). Transport, Audit, Event and SlogHandler read them from the
// context they are given.
//
// Store failures never stop the app: a store file or disk that cannot be
// used at start (locked, corrupt, not a store, newer schema, full or
// read-only disk) leaves the recorder live-only, with the reason in
// Stats.StoreError, and the pipeline retries opening it with backoff (1s up
// to 15s); failed writes are counted (StoreErrors) and logged once per
// change of state. Only a store path the security policy refuses (public
// directory, too-open permissions) makes New fail.
//
// # Caveats
//
//   - The pipeline lingers 5 ms after a partial batch, so that request
//     goroutines do not wake it once per event; it publishes each batch
//     before storing it, and the store commits at most once per 40 ms while
//     batches keep coming (every batch waiting goes into one transaction).
//     A console sees an event within a linger plus its batch's preparation
//     (a lone event on an idle pipeline goes at once); the store holds it
//     up to a commit later, and the route's readers of the store wait for
//     that commit. A process that dies (SIGKILL, power loss) can leave the
//     store without the newest events a console already showed: those of
//     the last commit window, never an older one.
//   - SlogHandler records Info and above even when the wrapped handler is
//     set to a higher level; Debug only when the wrapped handler takes it.
//   - A provider event is recorded when the caller closes the response body
//     or reads it to EOF; a body that is never closed leaks the connection
//     and the event.
//   - Request and response bodies are captured up to Config.BodyLimit (plus
//     a little slack so redaction sees secrets straddling the cut); binary
//     content types keep only size and type. Bodies are teed as they stream,
//     never buffered whole.
//   - Values passed in attrs, audit metadata and log attrs are copied on the
//     caller's goroutine: scalars as they are, maps and slices recursively,
//     anything else through a JSON round trip.
//   - The response writer always implements http.Flusher and http.Hijacker;
//     on a writer that cannot hijack (HTTP/2), Hijack returns
//     http.ErrNotSupported. It does not implement io.ReaderFrom (sendfile).
//   - Loopback mode trusts RemoteAddr; behind a reverse proxy on the same
//     host use Authorize (proxied requests are refused in loopback mode).
//   - Events enqueued concurrently with Close may be lost; Close flushes what
//     was queued before it started.
package recorder
