package stream

import (
	"encoding/json"

	"github.com/beignet/devtools/event"
)

// Subprotocol is the websocket subprotocol of wire protocol v1. The server
// refuses clients that do not offer it.
const Subprotocol = "beignet-devtools.v1"

// ProtocolVersion is the version carried in the hello message.
const ProtocolVersion = 1

// Message types of wire protocol v1.
const (
	TypeHello     = "hello"     // server -> client, first message
	TypeEvent     = "event"     // server -> client: one event
	TypeEvents    = "events"    // server -> client: several events, oldest first
	TypeSynced    = "synced"    // server -> client: backlog replayed, live from here
	TypeGap       = "gap"       // server -> client: events after `after` were skipped
	TypeError     = "error"     // server -> client
	TypeStats     = "stats"     // server -> client, periodic
	TypePong      = "pong"      // server -> client, answer to ping
	TypeSubscribe = "subscribe" // client -> server
	TypePing      = "ping"      // client -> server
)

// Message is one wire message: one JSON object per text frame, "type"
// first (struct field order). Only the fields of the given type are set;
// the others are omitted.
//
// An events message carries two or more events, in ID order, each exactly as
// it would appear in an event message; a client handles it as that many
// event messages in a row. The server sends one when a subscriber has
// several events pending (a burst, a replay page); a lone pending event still
// goes out as an event message.
//
//	{"type":"hello","hello":{"protocol":"beignet-devtools.v1","version":1,"app":"notes","env":"development","retention":"24h0m0s"}}
//	{"type":"event","event":{...the event JSON exactly as stored...}}
//	{"type":"events","events":[{...event JSON as stored...},{...},...]}
//	{"type":"synced"}
//	{"type":"gap","after":"01J..."}
//	{"type":"error","code":"bad_request","message":"..."}
//	{"type":"stats","stats":{"dropped":0,"recorded":12,"storeErrors":0,"subscribers":1,"hubDropped":0}}
//	{"type":"subscribe","since":"01J...","filter":{"kinds":["request"]}}
//	{"type":"ping"} / {"type":"pong"}
type Message struct {
	Type    string            `json:"type"`
	Event   json.RawMessage   `json:"event,omitempty"`
	Events  []json.RawMessage `json:"events,omitempty"`
	Hello   *Hello            `json:"hello,omitempty"`
	After   event.ID          `json:"after,omitzero"`
	Code    string            `json:"code,omitempty"`
	Message string            `json:"message,omitempty"`
	Since   event.ID          `json:"since,omitzero"`
	Filter  *Filter           `json:"filter,omitempty"`
	Stats   *ServerStats      `json:"stats,omitempty"`
}

// Hello is the server's greeting, nested under "hello" in the hello message.
type Hello struct {
	Protocol  string `json:"protocol"`            // Subprotocol
	Version   int    `json:"version"`             // ProtocolVersion
	App       string `json:"app,omitempty"`       // app name
	Env       string `json:"env,omitempty"`       // environment, e.g. development
	Retention string `json:"retention,omitempty"` // store retention, human text
	Instance  string `json:"instance,omitempty"`  // process instance
}

// Filter narrows a subscription. A zero Filter (or nil) matches everything.
type Filter struct {
	Kinds     []event.Kind `json:"kinds,omitempty"`
	RequestID string       `json:"requestId,omitempty"`
}

// Match reports whether an event of this kind and request ID passes f. A
// nil Filter matches everything.
func (f *Filter) Match(kind event.Kind, requestID string) bool {
	if f == nil {
		return true
	}
	if f.RequestID != "" && f.RequestID != requestID {
		return false
	}
	if len(f.Kinds) == 0 {
		return true
	}
	for _, k := range f.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

func (f *Filter) isZero() bool { return f == nil || (len(f.Kinds) == 0 && f.RequestID == "") }

func (f *Filter) clone() *Filter {
	if f.isZero() {
		return nil
	}
	return &Filter{Kinds: append([]event.Kind(nil), f.Kinds...), RequestID: f.RequestID}
}

// ServerStats is the payload of the periodic stats message.
type ServerStats struct {
	Dropped     uint64 `json:"dropped"`     // events the recorder dropped (queue full)
	Recorded    uint64 `json:"recorded"`    // events the recorder recorded
	StoreErrors uint64 `json:"storeErrors"` // failed store writes
	Subscribers int    `json:"subscribers"` // live subscribers on the hub (filled in by the server)
	// HubDropped is the number of event deliveries the hub skipped for
	// subscribers that fell behind, all subscribers together (filled in by
	// the server).
	HubDropped uint64 `json:"hubDropped"`
}

// eventFramePrefix and eventFrameSuffix wrap a stored event's JSON into an
// event message without re-encoding it.
const (
	eventFramePrefix = `{"type":"event","event":`
	eventFrameSuffix = `}`
)

// appendEventFrame appends the event message for enc to dst.
func appendEventFrame(dst, enc []byte) []byte {
	dst = append(dst, eventFramePrefix...)
	dst = append(dst, enc...)
	return append(dst, eventFrameSuffix...)
}

// EventFrame returns the wire message carrying the encoded event enc, the
// exact bytes the server writes for it.
func EventFrame(enc []byte) []byte {
	return appendEventFrame(make([]byte, 0, len(eventFramePrefix)+len(enc)+len(eventFrameSuffix)), enc)
}

// eventsFramePrefix and eventsFrameSuffix wrap stored events' JSON into an
// events message without re-encoding them; the events are separated by
// commas.
const (
	eventsFramePrefix = `{"type":"events","events":[`
	eventsFrameSuffix = `]}`
)

// Limits of one events message written by the server: at most
// maxBatchEvents events and at most maxBatchBytes in all (an event too big
// to share a frame goes alone, in an event message). Both keep a frame far
// below the client's default read limit (DefaultClientReadLimit, 16 MiB).
const (
	maxBatchEvents = 256
	maxBatchBytes  = 1 << 20
)

// eventsFrame returns the events message carrying the encoded events encs,
// in the given order, the exact bytes the server writes for them (tests
// compare with it). The server sends an event message (EventFrame) for a
// single event; eventsFrame does not special-case it.
func eventsFrame(encs [][]byte) []byte {
	n := len(eventsFramePrefix) + len(eventsFrameSuffix)
	for _, enc := range encs {
		n += len(enc) + 1
	}
	b := append(make([]byte, 0, n), eventsFramePrefix...)
	for i, enc := range encs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, enc...)
	}
	return append(b, eventsFrameSuffix...)
}

func mustMarshal(m *Message) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		// Message holds only strings, IDs and plain structs; RawMessage
		// fields are only set from valid stored JSON.
		panic("stream: encode message: " + err.Error())
	}
	return b
}
