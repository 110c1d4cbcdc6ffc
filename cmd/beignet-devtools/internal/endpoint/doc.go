// Package endpoint turns the --url a user types into the devtools route's
// base URL and websocket URL.
//
// Accepted forms, all meaning the same route:
//
//	http://127.0.0.1:8080                      (the app; the default base path is added)
//	http://127.0.0.1:8080/api/devtools         (the route's base path)
//	http://127.0.0.1:8080/api/devtools/ws      (the websocket itself)
//	ws://127.0.0.1:8080/api/devtools/ws        (ws and wss map to http and https)
//
// # Caveats
//
//   - A URL that carries a token in its query string or userinfo is refused:
//     query strings and userinfo end up in logs and shell history.
package endpoint
