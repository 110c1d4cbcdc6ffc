// Package doctor implements `beignet-devtools doctor`: pre-launch checks of an
// app's use of beignet-devtools, in the spirit of Beignet's doctor.
//
//   - CheckSource reads Go source under a directory with go/parser and go/ast
//     (not grep) and flags a devtools route without Authorize, a store path in
//     a public directory, retention longer than 7 days (or disabled), a
//     hard-coded token, a wildcard origin allow-list, and an Authorize
//     callback that compares with an environment value that may be empty
//     (DT106: unset, it lets in every request without the header). A
//     comment "//doctor:ignore DT103 reason" on a finding's line or the
//     line above marks it intentional.
//   - CheckURL probes a running app's devtools route: an unauthenticated
//     request must get no event data, a query-string token must be refused,
//     a websocket upgrade without a token or from a foreign origin must fail.
//   - CheckDB looks at a store file: permissions, location, stale events.
//
// Every Finding has an ID, a severity, where (file:line, URL or path) and a
// one-line fix.
//
// # Caveats
//
//   - Source checks are syntactic: they follow string constants, filepath.Join
//     of constants and duration arithmetic within a package, not values that
//     arrive at run time (flags, environment). A clean report means none of
//     the known mistakes is visible in the code, not that none is made.
//   - URL checks send a handful of requests; they never print the token.
package doctor
