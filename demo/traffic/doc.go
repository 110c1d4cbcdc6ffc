// Package traffic drives the demo app (demo/app) with a realistic mix of
// requests at a chosen rate, as a few simulated users: sign-in with JSON and
// form bodies, CRUD on notes, checkouts (some declined), searches, slow,
// failing and panicking endpoints, and the server-sent events feed.
//
// It plants secrets where real traffic carries them: in Authorization and
// Cookie headers, in query strings (access_token, api_key), and in JSON and
// form bodies (password, a cloud key pasted into a note). Planted lists the
// fixed ones, so tests can check that none of them gets past redaction.
//
// # Caveats
//
//   - It talks to one base URL, meant to be the demo app on loopback; it
//     refuses a non-loopback URL.
//   - The rate is a ceiling shared by all simulated users; slow endpoints
//     lower the achieved rate.
package traffic
