package stream

import (
	"bytes"
	"encoding/json"

	"github.com/beignet/devtools/event"
)

// handleEventFrameRef is handleEventFrame as it was before the scanner
// (head.go): a json.Decoder splits the events array and decodes each event
// (its head with HeadOnly). It is the reference FuzzHeadScanner and the
// benchmarks compare the scanner with; it delivers nothing unless the whole
// frame decodes.
func (c *Client) handleEventFrameRef(data []byte, fn func(Update)) bool {
	if bytes.HasPrefix(data, []byte(eventFramePrefix)) && bytes.HasSuffix(data, []byte(eventFrameSuffix)) {
		raw := data[len(eventFramePrefix) : len(data)-len(eventFrameSuffix)]
		var e event.Event
		if err := c.unmarshal(raw, &e); err != nil || e.ID.IsZero() {
			return false
		}
		c.deliverDecoded(e, raw, fn)
		return true
	}
	if !bytes.HasPrefix(data, []byte(eventsFramePrefix)) || !bytes.HasSuffix(data, []byte(eventsFrameSuffix)) {
		return false
	}
	body := data[len(eventsFramePrefix)-1 : len(data)-len(eventsFrameSuffix)+1] // the array
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return false
	}
	type decoded struct {
		e   event.Event
		raw []byte
	}
	var evs []decoded
	for dec.More() {
		start := dec.InputOffset()
		var e event.Event
		var err error
		if c.opts.HeadOnly {
			var h eventHead
			err = dec.Decode(&h)
			e = h.event()
		} else {
			err = dec.Decode(&e)
		}
		if err != nil || e.ID.IsZero() {
			return false
		}
		// A copy, so that a kept Raw does not pin the whole frame.
		raw := bytes.Clone(bytes.TrimLeft(body[start:dec.InputOffset()], ", \t\r\n"))
		evs = append(evs, decoded{e, raw})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') || dec.More() {
		return false
	}
	for _, d := range evs {
		c.deliverDecoded(d.e, d.raw, fn)
	}
	return true
}
