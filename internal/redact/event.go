package redact

import (
	"net/http"
	"slices"
	"strings"

	"github.com/beignet/devtools/event"
)

// Headers redacts HTTP headers: every value of a secret-shaped header
// (Authorization keeps its scheme, "Bearer [REDACTED]"; Cookie and
// Set-Cookie keep cookie names and attributes) and secret-shaped values in
// any other header. Paths are lower-case header names. When nothing is
// replaced, h itself is returned; otherwise a new map that shares the
// unchanged value slices.
func (r *Redactor) Headers(h http.Header) (http.Header, []string) {
	var paths []string
	out, _ := r.headers(h, "", nil, &paths)
	return http.Header(out), paths
}

// HeaderMap is Headers for a plain map (as in event.HTTP).
func (r *Redactor) HeaderMap(h map[string][]string) (map[string][]string, []string) {
	var paths []string
	out, _ := r.headers(h, "", nil, &paths)
	return out, paths
}

func (r *Redactor) headers(h map[string][]string, prefix string, hookBase []string, paths *[]string) (map[string][]string, bool) {
	var out map[string][]string
	for name, vals := range h {
		nv, newName, ch := r.header(name, vals, hookBase, false)
		if !ch {
			continue
		}
		if out == nil {
			out = make(map[string][]string, len(h))
			for k, v := range h {
				out[k] = v
			}
		}
		if newName != name {
			delete(out, name)
		}
		out[newName] = nv
		*paths = append(*paths, lowerJoin(prefix, newName))
	}
	if out == nil {
		return h, false
	}
	return out, true
}

// headersInPlace is headers for a map whose value slices belong to the
// caller alone: it replaces values in their slices and renames in h
// instead of copying the map.
func (r *Redactor) headersInPlace(h map[string][]string, prefix string, hookBase []string, paths *[]string) {
	type rename struct {
		from, to string
		vals     []string
	}
	var renames []rename
	for name, vals := range h {
		nv, newName, ch := r.header(name, vals, hookBase, true)
		if !ch {
			continue
		}
		if newName != name {
			// Renamed after the loop: a key added while ranging may or
			// may not be visited.
			renames = append(renames, rename{name, newName, nv})
		} else if len(nv) != len(vals) || len(nv) > 0 && &nv[0] != &vals[0] {
			h[name] = nv
		}
		*paths = append(*paths, lowerJoin(prefix, newName))
	}
	for _, rn := range renames {
		delete(h, rn.from)
	}
	for _, rn := range renames {
		h[rn.to] = rn.vals
	}
}

// header redacts one header: its values (the redaction hook's answer
// first) and its name. inPlace writes redacted values into vals.
func (r *Redactor) header(name string, vals []string, hookBase []string, inPlace bool) (nv []string, newName string, changed bool) {
	kept := false
	if r.hook != nil {
		if v, ok := r.hook(appendPath(hookBase, strings.ToLower(name)), vals); ok {
			nv = hookStrings(v)
			if nv == nil {
				nv = []string{}
			}
			if slices.Equal(nv, vals) {
				nv, kept = nil, true // kept as it is
			}
		}
	}
	if nv == nil && !kept {
		nv = r.headerValues(name, vals, inPlace)
	}
	// A header name is not where secrets go, but a client can put one
	// there; it must not survive as a map key or in a path.
	newName, nameSpans := r.str(name, false)
	if nv == nil && nameSpans == nil {
		return nil, name, false
	}
	if nv == nil {
		nv = vals
	}
	return nv, newName, true
}

// lowerJoin returns prefix + strings.ToLower(name) in one allocation.
func lowerJoin(prefix, name string) string {
	b := make([]byte, 0, len(prefix)+len(name))
	b = append(b, prefix...)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

func hookStrings(v any) []string {
	switch x := v.(type) {
	case []string:
		return slices.Clone(x)
	case string:
		return []string{x}
	case nil:
		return []string{}
	}
	return []string{Replacement}
}

// headerValues returns the redacted values, or nil when none changed.
// inPlace writes them into vals (and returns vals).
func (r *Redactor) headerValues(name string, vals []string, inPlace bool) []string {
	cls := r.keys.class(name)
	var out []string
	for i, v := range vals {
		var nv string
		var ch bool
		if (cls == keySecret && !identifierValue(v)) || (cls == keySoft && credentialValue(v)) {
			nv, ch = r.secretHeader(name, v)
		} else {
			var spans []span
			nv, spans = r.str(v, false)
			ch = spans != nil
		}
		if !ch {
			continue
		}
		if out == nil {
			out = vals
			if !inPlace {
				out = make([]string, len(vals))
				copy(out, vals)
			}
		}
		out[i] = nv
	}
	return out
}

// secretHeader redacts one value of a secret-shaped header.
func (r *Redactor) secretHeader(name, v string) (string, bool) {
	if v == "" || isMarked(v) {
		return v, false
	}
	switch {
	case strings.EqualFold(name, "cookie"):
		return r.cookies(v, false)
	case strings.EqualFold(name, "set-cookie"):
		return r.cookies(v, true)
	}
	if sl := authSchemeLen(name, v); sl > 0 {
		if isMarked(v[sl:]) {
			return v, false
		}
		return v[:sl] + r.mask(v[sl:]), true
	}
	return r.mask(v), true
}

// cookies keeps cookie names (and Set-Cookie attributes) and replaces
// cookie values.
func (r *Redactor) cookies(v string, set bool) (string, bool) {
	// b stays empty until a part changes; then it takes v up to that part
	// and every part after it (usually one allocation; none when nothing
	// changes).
	var b strings.Builder
	changed := false
	pos := 0
	for i := 0; ; i++ {
		part, _, more := strings.Cut(v[pos:], ";")
		keep, secret := part, ""
		switch eq := strings.IndexByte(part, '='); {
		case set && i > 0, strings.TrimSpace(part) == "":
			// Path, Domain, Expires, SameSite ...
		case eq < 0:
			keep, secret = "", part
		default:
			if val := part[eq+1:]; strings.TrimSpace(val) != "" && !isMarked(val) {
				keep, secret = part[:eq+1], val
			}
		}
		if secret != "" && !changed {
			changed = true
			b.Grow(len(v) + 16)
			b.WriteString(v[:pos])
		}
		if changed {
			b.WriteString(keep)
			if secret != "" {
				b.WriteString(r.mask(secret))
			}
			if more {
				b.WriteByte(';')
			}
		}
		if !more {
			break
		}
		pos += len(part) + 1
	}
	if !changed {
		return v, false
	}
	return b.String(), true
}

// Body redacts a captured body by content type: JSON (application/json,
// +json, and text that starts like JSON), NDJSON line by line, form bodies,
// multipart form fields, anything else as text. truncated=true means b was
// cut at a capture limit: a partial secret match at the end is redacted too.
// Paths are JSON paths, form field names, or rule names for text. When
// nothing is replaced, b itself is returned.
func (r *Redactor) Body(contentType string, b []byte, truncated bool) ([]byte, []string) {
	var paths []string
	out, changed := r.body(contentType, string(b), truncated, "", nil, &paths)
	if !changed {
		return b, paths
	}
	return []byte(out), paths
}

// BodyString is Body for a body held as a string: it returns s itself
// when nothing is replaced, so a caller that has made its one copy of the
// body does not pay for a second.
func (r *Redactor) BodyString(contentType, s string, truncated bool) (string, []string) {
	var paths []string
	out, changed := r.body(contentType, s, truncated, "", nil, &paths)
	if !changed {
		return s, paths
	}
	return out, paths
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func (r *Redactor) body(ct, s string, trunc bool, prefix string, hookBase []string, paths *[]string) (string, bool) {
	switch {
	case containsFold(ct, "ndjson") || containsFold(ct, "jsonl") || containsFold(ct, "json-seq"):
		return r.lines(s, trunc, prefix, hookBase, paths)
	case containsFold(ct, "json"):
		return r.json(s, trunc, prefix, hookBase, paths)
	case containsFold(ct, "x-www-form-urlencoded"):
		return r.params(s, prefix, trunc, hookBase, paths)
	case containsFold(ct, "multipart/"):
		return r.multipart(s, trunc, prefix, paths)
	}
	t := strings.TrimLeft(s, " \t\r\n")
	if t != "" && (t[0] == '{' || t[0] == '[') {
		return r.json(s, trunc, prefix, hookBase, paths)
	}
	out, spans := r.str(s, trunc)
	if spans == nil {
		return s, false
	}
	for _, n := range spanNames(spans) {
		addPath(paths, prefix, n)
	}
	return out, true
}

// lines redacts newline-delimited JSON.
func (r *Redactor) lines(s string, trunc bool, prefix string, hookBase []string, paths *[]string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; len(s) > 0 || i == 0; i++ {
		line, rest, found := strings.Cut(s, "\n")
		out, ch := line, false
		if strings.TrimSpace(line) != "" {
			out, ch = r.json(line, trunc && !found, prefix, hookBase, paths)
		}
		if ch && !changed {
			changed = true
		}
		b.WriteString(out)
		if found {
			b.WriteByte('\n')
		}
		s = rest
		if !found {
			break
		}
	}
	if !changed {
		return "", false
	}
	return b.String(), true
}

// multipart redacts the text, plus the content of parts whose form field
// name is secret-shaped (name="password").
func (r *Redactor) multipart(s string, trunc bool, prefix string, paths *[]string) (string, bool) {
	st := scanState{s: s, trunc: trunc}
	for p := 0; ; {
		k := strings.Index(s[p:], "name=\"")
		if k < 0 {
			break
		}
		ns := p + k + 6
		ne := strings.IndexByte(s[ns:], '"')
		if ne < 0 {
			break
		}
		name := s[ns : ns+ne]
		p = ns + ne
		if !r.keys.isSecret(name) {
			continue
		}
		hdrEnd := strings.Index(s[p:], "\r\n\r\n")
		sep := 4
		if hdrEnd < 0 {
			if hdrEnd = strings.Index(s[p:], "\n\n"); hdrEnd < 0 {
				break // no part body follows anywhere after p
			}
			sep = 2
		}
		cs := p + hdrEnd + sep
		ce := len(s)
		if e := strings.Index(s[cs:], "\n--"); e >= 0 {
			ce = cs + e
			if ce > cs && s[ce-1] == '\r' {
				ce--
			}
		}
		if ce > cs {
			st.add(cs, ce, "multipart")
			addPath(paths, prefix, r.safeName(name))
		}
		p = ce
	}
	text := r.scan(s, trunc)
	for _, n := range spanNames(text) {
		addPath(paths, prefix, n)
	}
	spans := append(st.spans, text...)
	if len(spans) == 0 {
		return s, false
	}
	return r.apply(s, spans), true
}

// Event redacts every field of *e. It assigns new strings, maps, slices and
// structs to e's fields and never writes into maps, slices or structs that
// e points to (and the caller may share). It sets e.Redacted to the sorted,
// deduplicated union of what was there and the paths it replaced, such as
// "http.requestHeaders.authorization", "http.url.query.token",
// "http.requestBody", "attrs.password" and "message", and returns e.Redacted.
func (r *Redactor) Event(e *event.Event) []string {
	if e == nil {
		return nil
	}
	r.event(make([]string, 0, 8), e, false) // room for the usual few paths
	return e.Redacted
}

// AppendEvent is Event with e.Redacted built in dst: it appends e.Redacted
// to dst and returns the extended slice, so that a caller redacting many
// events (the recorder's pipeline) reuses one buffer for their paths
// instead of allocating a slice per event. e.Redacted must not share
// dst's memory.
func (r *Redactor) AppendEvent(dst []string, e *event.Event) []string {
	return r.event(dst, e, false)
}

// AppendEventOwned is AppendEvent for an event whose HTTP part (the struct
// e.HTTP points to, its header maps and their value slices) belongs to the
// caller alone, as the recorder's pipeline builds it: those are redacted in
// place instead of copied, which spares a copy of every header map that
// holds a secret (a cookie, an authorization) on every request. Everything
// else e points to is treated as by Event.
func (r *Redactor) AppendEventOwned(dst []string, e *event.Event) []string {
	return r.event(dst, e, true)
}

// HasHook reports whether the Redactor calls a redaction hook (Options.Hook),
// which is given the values it redacts and may keep them: a caller that
// lends the Redactor strings over memory it will reuse must not do so then.
func (r *Redactor) HasHook() bool { return r.hook != nil }

// event redacts e (see Event), appends e.Redacted to dst and returns dst.
func (r *Redactor) event(dst []string, e *event.Event, ownHTTP bool) []string {
	if e == nil {
		return dst
	}
	start := len(dst)
	paths := dst
	str := func(p *string, path string) {
		if *p == "" {
			return
		}
		if out, spans := r.str(*p, false); spans != nil {
			*p = out
			paths = append(paths, path)
		}
	}
	if e.Kind != "" && !e.Kind.Valid() {
		k := string(e.Kind)
		str(&k, "kind")
		e.Kind = event.Kind(k)
	}
	str(&e.Name, "name")
	str(&e.RequestID, "requestId")
	str(&e.TraceID, "traceId")
	str(&e.SpanID, "spanId")
	str(&e.ParentSpanID, "parentSpanId")
	str(&e.Level, "level")
	str(&e.Message, "message")
	str(&e.App, "app")
	str(&e.Instance, "instance")
	if e.HTTP != nil {
		var copied event.HTTP
		h := e.HTTP
		if !ownHTTP {
			copied = *e.HTTP
			h = &copied
		}
		n := len(paths)
		str(&h.Method, "http.method")
		if out, ch := r.url(h.URL, "http.url.", r.hookPath("http", "url"), &paths); ch {
			h.URL = out
		}
		str(&h.Route, "http.route")
		str(&h.RemoteAddr, "http.remoteAddr")
		for _, hd := range [...]struct {
			m      *map[string][]string
			prefix string
			base   []string
		}{
			{&h.RequestHeaders, "http.requestHeaders.", r.hookPath("http", "requestHeaders")},
			{&h.ResponseHeaders, "http.responseHeaders.", r.hookPath("http", "responseHeaders")},
		} {
			if ownHTTP {
				r.headersInPlace(*hd.m, hd.prefix, hd.base, &paths)
			} else if out, ch := r.headers(*hd.m, hd.prefix, hd.base, &paths); ch {
				*hd.m = out
			}
		}
		if b, ch := r.eventBody(h.RequestBody, "http.requestBody", &paths); ch {
			h.RequestBody = b
		}
		if b, ch := r.eventBody(h.ResponseBody, "http.responseBody", &paths); ch {
			h.ResponseBody = b
		}
		if len(paths) > n && !ownHTTP {
			c := *h
			e.HTTP = &c
		}
	}
	if e.Provider != nil {
		p := *e.Provider
		n := len(paths)
		str(&p.Name, "provider.name")
		str(&p.Operation, "provider.operation")
		str(&p.Method, "provider.method")
		if out, ch := r.url(p.URL, "provider.url.", r.hookPath("provider", "url"), &paths); ch {
			p.URL = out
		}
		str(&p.Error, "provider.error")
		if len(paths) > n {
			c := p
			e.Provider = &c
		}
	}
	if e.Audit != nil {
		a := *e.Audit
		n := len(paths)
		str(&a.Actor, "audit.actor")
		str(&a.Tenant, "audit.tenant")
		str(&a.Action, "audit.action")
		str(&a.Resource, "audit.resource")
		str(&a.Outcome, "audit.outcome")
		if len(paths) > n {
			c := a
			e.Audit = &c
		}
	}
	if len(e.Attrs) > 0 {
		w := valueWalker{r: r, prefix: "attrs.", hookBase: r.hookPath("attrs")}
		if out, ch := w.stringMap(map[string]any(e.Attrs), map[string]any(e.Attrs)); ch {
			if m, ok := out.(map[string]any); ok {
				e.Attrs = event.Attrs(m)
			}
			paths = append(paths, w.paths...)
		}
	}
	if len(paths) == start && len(e.Redacted) == 0 {
		return dst
	}
	for _, p := range e.Redacted {
		// Paths the caller brought are text like any other.
		out, _ := r.str(p, false)
		paths = append(paths, out)
	}
	all := paths[start:]
	slices.Sort(all)
	all = slices.Compact(all)
	e.Redacted = all[:len(all):len(all)]
	return paths[:start+len(all)]
}

// hookPath is the path of a field for the redaction hook, or nil when
// there is no hook (which is what reads it), to spare the allocation.
func (r *Redactor) hookPath(names ...string) []string {
	if r.hook == nil {
		return nil
	}
	return slices.Clone(names)
}

// eventBody redacts a captured body; any replacement inside is reported as
// the body's path.
func (r *Redactor) eventBody(b *event.Body, path string, paths *[]string) (*event.Body, bool) {
	if b == nil {
		return b, false
	}
	ct, ctSpans := r.str(b.ContentType, false)
	if b.Text == "" && ctSpans == nil {
		return b, false
	}
	var hookBase []string
	if r.hook != nil {
		hookBase = strings.Split(path, ".")
	}
	out, ch := b.Text, false
	if b.Text != "" {
		out, ch = r.body(b.ContentType, b.Text, b.Truncated, "", hookBase, nil)
	}
	if !ch && ctSpans == nil {
		return b, false
	}
	nb := *b
	nb.Text = out
	nb.ContentType = ct
	if ctSpans != nil {
		*paths = append(*paths, path+".contentType")
	}
	if ch {
		*paths = append(*paths, path)
	}
	return &nb, true
}
