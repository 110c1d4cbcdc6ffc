// Package apiclient is the one client of a recorder's devtools route: its
// JSON API (GET {base}/events, {base}/events/{id}, {base}/requests/{id},
// {base}/stats, POST {base}/purge) and its websocket stream (through
// stream.Client), with one set of credentials, headers, errors and retries.
// The console (tui) and the command line's tail, purge, scan and doctor all
// talk to a route through it.
//
// Credentials: a token sent as "Authorization: Bearer <token>", or as is in
// a header of the app's choosing (Options.TokenHeader, for an Authorize
// callback that compares, say, X-Devtools-Token), or none at all (a
// development route without Authorize serves loopback clients without
// one; NeedsToken tells). A token never goes into a URL, and redirects are
// never followed (a custom header would follow them to any host).
//
// Errors: every answer other than success is a *stream.HTTPError, the same
// type the websocket dial returns, matching stream.ErrUnauthorized (401,
// 403), stream.ErrForbidden (403), stream.ErrOriginRefused,
// stream.ErrNotFound (404), stream.ErrRateLimited (429, with RetryAfter)
// or stream.ErrServer (5xx).
//
// Retries: reads (GET) are retried after network errors and 502, 503 and
// 504, with exponential backoff and full jitter, never sooner than a
// Retry-After; a 429 is not retried (the caller says when to retry), nor
// is a purge (POST).
//
// It lives apart from stream because the purge API speaks store's types,
// and stream imports event only; it is internal because its callers are
// this module's console and command line.
package apiclient
