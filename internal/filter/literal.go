package filter

import "strings"

// Literals returns, for each term that needs one, a piece of text every
// matching event holds: for every event f matches and every returned
// literal l, strings.ToLower of one of the event's string fields (as
// stored, not decoded further) contains l. Literals are lower case.
//
// The store uses them to skip records without decoding them (a record that
// does not hold every literal, ignoring case, cannot match), which is what
// makes an erasure by actor or tenant a byte search rather than a decode of
// every event. Negated terms and terms on numbers, kinds or methods give no
// literal; for a glob the literal is its longest run without a wildcard.
func (f *Filter) Literals() []string {
	if f == nil {
		return nil
	}
	var out []string
	for _, t := range f.terms {
		if l := literal(t.tok); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// literal is the text a term's matches all hold, or "".
func literal(tk token) string {
	if tk.neg {
		return ""
	}
	field, value, hasColon := strings.Cut(tk.text, ":")
	if tk.quoted || !hasColon || !isIdent(field) {
		return strings.ToLower(tk.text) // a free word: a substring of a field
	}
	switch strings.ToLower(field) {
	case "provider", "actor", "tenant", "level", "req", "requestid", "path":
		return longestRun(strings.ToLower(value))
	}
	return ""
}

// longestRun returns the longest part of a glob pattern without '*' or '?'.
func longestRun(p string) string {
	best := ""
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '*' || r == '?' }) {
		if len(part) > len(best) {
			best = part
		}
	}
	return best
}

// Masked returns the query with the values that may name a person or a
// thing replaced by "…": free words and the values of every field but
// kind, status and dur, whose values the parser has checked. It is what an
// audit record of an erasure may say about the query without repeating the
// erased data.
func (f *Filter) Masked() string {
	if f == nil {
		return ""
	}
	parts := make([]string, 0, len(f.terms))
	for _, t := range f.terms {
		neg := ""
		if t.tok.neg {
			neg = "-"
		}
		field, value, hasColon := strings.Cut(t.tok.text, ":")
		if t.tok.quoted || !hasColon || !isIdent(field) {
			parts = append(parts, neg+"…")
			continue
		}
		field = strings.ToLower(field)
		switch field {
		case "kind", "status", "dur", "duration":
			parts = append(parts, neg+field+":"+value)
		default:
			parts = append(parts, neg+field+":…")
		}
	}
	return strings.Join(parts, " ")
}
