// Package cli is the beignet-devtools command line: cobra commands wired to
// the recorder, store, stream, console (tui), doctor and secretscan
// packages. It holds no logic of its own beyond flag handling, token
// lookup and output formatting.
//
// Exit codes: 0 success; 1 failure (findings, refused token, unreachable
// app, locked file ...); 2 usage error (unknown command or flag, missing or
// conflicting flags).
//
// # Caveats
//
//   - There is deliberately no --token flag: a token on the command line
//     ends up in shell history and in `ps`. Use --token-file, the
//     BEIGNET_DEVTOOLS_TOKEN environment variable, or the no-echo prompt.
//   - Every call to a running app goes through internal/apiclient: one
//     place for credentials (Bearer, --auth-header, or none), typed errors
//     (a 429 becomes "rate-limited, retry in N s") and retries.
package cli
