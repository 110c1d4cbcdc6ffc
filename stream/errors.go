package stream

import (
	"errors"
	"fmt"
)

// Errors returned by the client and server, matched with errors.Is.
var (
	// ErrUnauthorized means the server refused the websocket upgrade with
	// HTTP 401 or 403: the token is missing, wrong or expired. Run returns
	// it without retrying.
	ErrUnauthorized = errors.New("stream: unauthorized")
	// ErrOriginRefused means the server refused the upgrade because of the
	// request's Origin header (cross-origin and not allow-listed). Run
	// returns it without retrying. It does not match ErrUnauthorized.
	ErrOriginRefused = errors.New("stream: origin refused")
	// ErrNotFound means the server answered the upgrade with HTTP 404:
	// nothing serves devtools at the URL (a wrong base path, or a recorder
	// that is off, as it is in production unless enabled). Run returns it
	// without retrying: retrying cannot make the route appear.
	ErrNotFound = errors.New("stream: no devtools route")
	// ErrProtocol means the peer broke wire protocol v1: no or another
	// subprotocol, a frame that is not a v1 message, an event that does
	// not decode.
	ErrProtocol = errors.New("stream: protocol error")
	// ErrClosed means the client or server was stopped: Run's context
	// ended (the returned error also matches the context's error), or the
	// server or hub was shut down.
	ErrClosed = errors.New("stream: closed")
	// ErrBadURL means ClientOptions.URL is not an http, https, ws or wss URL.
	ErrBadURL = errors.New("stream: bad url")
)

// HTTPError is a dial that the server answered with a non-upgrade HTTP
// status. It wraps ErrUnauthorized for 401 and 403, ErrOriginRefused for
// an origin refusal and ErrNotFound for 404; use errors.As to read the
// status.
type HTTPError struct {
	StatusCode int
	// kind is ErrUnauthorized, ErrOriginRefused, ErrNotFound or nil.
	kind error
}

func (e *HTTPError) Error() string {
	switch e.kind {
	case ErrOriginRefused:
		return fmt.Sprintf("stream: origin refused by server (HTTP %d)", e.StatusCode)
	case ErrUnauthorized:
		return fmt.Sprintf("stream: unauthorized (HTTP %d)", e.StatusCode)
	case ErrNotFound:
		return fmt.Sprintf("stream: no devtools route at this URL (HTTP %d)", e.StatusCode)
	}
	return fmt.Sprintf("stream: server answered HTTP %d instead of a websocket upgrade", e.StatusCode)
}

// Unwrap returns ErrUnauthorized, ErrOriginRefused, ErrNotFound or nil.
func (e *HTTPError) Unwrap() error { return e.kind }

// ServerError is an `error` message sent by the server, delivered to the
// client's callback as Update.Err with Kind UpdateError.
type ServerError struct {
	Code    string
	Message string
}

func (e *ServerError) Error() string {
	return "stream: server error " + e.Code + ": " + e.Message
}

// Error codes the server sends in `error` messages.
const (
	CodeBadRequest  = "bad_request"  // malformed JSON, binary frame, bad field
	CodeUnknownType = "unknown_type" // a message type this server does not know
	CodeHistory     = "history"      // replay from history failed; live continues
)
