package redact

import (
	"math"
	"strings"
)

// credentialValue reports whether v, the value of a key that names a
// credential only sometimes ("DD_APP_KEY", "sort_key", "key"), looks like
// one, the way gitleaks' generic-api-key rule decides: 16 to 512 bytes of
// token characters, letters with digits (or with random case), long runs
// of letters and digits, and at least 3 bits of entropy per byte. "created_at",
// "uploads/2026/logo.png", "ssh-ed25519 AAAA..." and "pk_live_..." stay.
func credentialValue(v string) bool {
	if len(v) < 16 || len(v) > maxCredential || isMarked(v) {
		return false
	}
	if strings.HasPrefix(v, "pk_") || strings.HasPrefix(v, "ssh-") || strings.HasPrefix(v, "ecdsa-") {
		return false // public by design
	}
	var counts [256]uint16
	letter, digit, slash, dot := false, false, false, false
	lower, upper := false, false
	alnum := 0
	runLen, longest := 0, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !credValTab[c] {
			return false
		}
		counts[c]++
		switch {
		case isDigit(c):
			digit = true
		case isLower(c):
			letter, lower = true, true
		case isUpper(c):
			letter, upper = true, true
		case c == '/':
			slash = true
		case c == '.':
			dot = true
		}
		if alnumTab[c] {
			alnum++
			runLen++
			longest = max(longest, runLen)
		} else {
			runLen = 0
		}
	}
	if !letter || (slash && dot) {
		return false
	}
	if !digit {
		// Letters only: random ones flip case about every other byte;
		// CamelCase names ("UserProfileSettings") do not.
		up := 0
		for i := 0; i < len(v); i++ {
			if isUpper(v[i]) {
				up++
			}
		}
		if len(v) < 20 || 4*up < alnum || 4*up > 3*alnum {
			return false
		}
	}
	mixedCase := lower && upper
	if longest < 12 {
		// Separated values: random ones ("aB3_x9Qz-...") have mixed
		// case; names ("user_profile_2024") do not.
		// Count case changes inside segments ("gFZg6cT2"): names have
		// capitals only where words start ("Order_Items_V2_Index").
		humps := 0
		for i := 1; i < len(v); i++ {
			if isUpper(v[i]) && (isLower(v[i-1]) || isDigit(v[i-1])) {
				humps++
			}
		}
		if alnum < 16 || !mixedCase || humps < 2 {
			return false
		}
	}
	return entropy(&counts, len(v)) >= 3.0
}

var credValTab = charset("A-Za-z0-9_.=+/~-")

// maxCredential is the longest value credentialValue accepts.
const maxCredential = 512

// entropy is the Shannon entropy, in bits per byte, of a text of n bytes
// with the given byte counts.
func entropy(counts *[256]uint16, n int) float64 {
	h := 0.0
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / float64(n)
		h -= p * math.Log2(p)
	}
	return h
}

// argAt reads a command-line argument starting at v: quoted (to the
// closing quote, or the end of s) or bare (to a blank).
func argAt(s string, v int) (vs, ve int) {
	if v < len(s) && (s[v] == '\'' || s[v] == '"') {
		q := s[v]
		vs = v + 1
		if c := strings.IndexByte(s[vs:], q); c >= 0 {
			return vs, vs + c
		}
		return vs, len(s)
	}
	ve = v
	for ve < len(s) && s[ve] != ' ' && s[ve] != '\t' && s[ve] != '\n' && s[ve] != '\r' && s[ve] != '"' && s[ve] != '\'' && s[ve] != '`' {
		ve++
	}
	return v, ve
}

// passwordFlags are the short options that take a password, by the
// command that gives them that meaning, and whether the value may follow
// as the next argument (mysql -p takes it attached only: "-p db" prompts
// and names the database).
var passwordFlags = []struct {
	cmd      string
	flag     byte
	separate bool
}{
	{"mysql", 'p', false}, {"mariadb", 'p', false}, {"mysqldump", 'p', false}, {"mysqladmin", 'p', false},
	{"sshpass", 'p', true}, {"docker login", 'p', true}, {"podman login", 'p', true},
	{"nerdctl login", 'p', true}, {"helm registry login", 'p', true}, {"buildah login", 'p', true},
	{"skopeo login", 'p', true}, {"oras login", 'p', true}, {"redis-cli", 'a', true},
	{"curl", 'u', true}, {"wget", 'u', true},
}

// flagAt handles a command-line option starting at i (a '-' after a
// blank): "--password pw", "--token=..." (kvAt), and the short password
// options of known commands on the same line ("mysql -pPW",
// "sshpass -p 'pw'", "docker login -p pw", "redis-cli -a pw",
// "curl -u user:pw").
func (r *Redactor) flagAt(st *scanState, i int) {
	s := st.s
	if i+2 >= len(s) {
		return
	}
	if s[i+1] == '-' {
		ne := i + 2
		for ne < len(s) && (alnumTab[s[ne]] || s[ne] == '-' || s[ne] == '_') {
			ne++
		}
		if ne == i+2 || ne >= len(s) || s[ne] != ' ' {
			return // "--password=pw" is a key=value pair
		}
		name := s[i+2 : ne]
		user := name == "user" || name == "proxy-user"
		if !user && !r.keys.isSecret(name) {
			return
		}
		v := ne
		for v < len(s) && s[v] == ' ' {
			v++
		}
		if v >= len(s) || s[v] == '-' {
			return
		}
		vs, ve := argAt(s, v)
		if user {
			c := strings.IndexByte(s[vs:ve], ':')
			if c < 0 || !curlLine(s, i) {
				return
			}
			vs += c + 1
		}
		if ve > vs && !isMarked(s[vs:ve]) {
			st.add(vs, ve, "command-line")
			st.kvCovered = max(st.kvCovered, ve)
		}
		return
	}
	f := s[i+1]
	if f != 'p' && f != 'a' && f != 'u' {
		return
	}
	mask := st.commands(i)
	for k, pf := range passwordFlags {
		if pf.flag != f || mask&(1<<k) == 0 {
			continue
		}
		var vs, ve int
		switch {
		case s[i+2] != ' ' && s[i+2] != '\t':
			if f == 'u' || !(alnumTab[s[i+2]] || strings.IndexByte("'\"!@#$%^&*()_+=.,~", s[i+2]) >= 0) {
				return
			}
			vs, ve = argAt(s, i+2)
		case pf.separate:
			v := i + 2
			for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
				v++
			}
			if v >= len(s) || s[v] == '-' {
				return
			}
			vs, ve = argAt(s, v)
		default:
			return
		}
		if f == 'u' {
			c := strings.IndexByte(s[vs:ve], ':')
			if c < 0 {
				return
			}
			vs += c + 1
		}
		if ve > vs && !isMarked(s[vs:ve]) {
			st.add(vs, ve, "command-line")
			st.kvCovered = max(st.kvCovered, ve)
		}
		return
	}
}

// commands returns the set (bit k: passwordFlags[k]) of commands named on
// the line before i. It remembers the line it last looked at, so that a
// line of many options is read once.
func (st *scanState) commands(i int) uint32 {
	s := st.s
	if st.cmdUpto > 0 && i >= st.cmdUpto && !strings.ContainsAny(s[st.cmdUpto:i], "\n\r") {
		// Same line: read only what is new (and a command's length back).
		from := max(st.cmdLine, st.cmdUpto-24)
		st.cmdMask |= commandMask(s[from:i])
		st.cmdUpto = i
		return st.cmdMask
	}
	line := lineBefore(s, i)
	st.cmdLine, st.cmdUpto = i-len(line), i
	st.cmdMask = commandMask(line)
	return st.cmdMask
}

func commandMask(text string) uint32 {
	var m uint32
	for k, pf := range passwordFlags {
		if strings.Contains(text, pf.cmd) {
			m |= 1 << k
		}
	}
	return m
}

// lineBefore returns the text of the line before i (at most 512 bytes).
func lineBefore(s string, i int) string {
	lo := max(0, i-512)
	if nl := strings.LastIndexAny(s[lo:i], "\n\r"); nl >= 0 {
		lo += nl + 1
	}
	return s[lo:i]
}

func curlLine(s string, i int) bool {
	l := lineBefore(s, i)
	return strings.Contains(l, "curl") || strings.Contains(l, "wget")
}

// proseWords are the words after which prose gives a secret away:
// "the password is X", "creds are admin / X".
var proseWords = []string{
	"password", "passwords", "passwd", "passcode", "passphrase", "pass", "pwd",
	"secret", "creds", "credentials", "pin",
}

// proseAt handles "<secret word> is|was|are <value>" at word start i.
func proseAt(st *scanState, i int) int {
	s := st.s
	we := i
	for we < len(s) && we-i < 12 && (isLower(s[we]) || isUpper(s[we])) {
		we++
	}
	if we == i || we >= len(s) || s[we] != ' ' {
		return -1
	}
	word := s[i:we]
	found := false
	for _, w := range proseWords {
		if len(w) == len(word) && strings.EqualFold(w, word) {
			found = true
			break
		}
	}
	if !found {
		return -1
	}
	v := we + 1
	verb := false
	for _, vb := range []string{"is ", "was ", "are ", "were "} {
		if strings.HasPrefix(s[v:], vb) {
			v += len(vb)
			verb = true
			break
		}
	}
	if !verb {
		return -1
	}
	for v < len(s) && s[v] == ' ' {
		v++
	}
	vs, ve := argAt(s, v)
	quoted := vs > v
	if !quoted {
		ve = vs
		for ve < len(s) && !stopTab[s[ve]] && s[ve] != '\\' {
			ve++
		}
		for ve > vs && strings.IndexByte(".,;:!?)", s[ve-1]) >= 0 {
			ve--
		}
	}
	if ve <= vs || isMarked(s[vs:ve]) {
		return -1
	}
	// "creds are admin / X", "login is admin:X": a user and a password.
	p := ve
	if quoted && p < len(s) {
		p++
	}
	q := p
	for q < len(s) && s[q] == ' ' {
		q++
	}
	if q < len(s) && (s[q] == '/' || s[q] == ':') && !strings.HasPrefix(s[q:], "//") {
		q++
		for q < len(s) && s[q] == ' ' {
			q++
		}
		ps, pe := argAt(s, q)
		if pe > ps && ps == q {
			pe = ps
			for pe < len(s) && !stopTab[s[pe]] {
				pe++
			}
		}
		for pe > ps && strings.IndexByte(".,;!?)", s[pe-1]) >= 0 {
			pe--
		}
		if pe-ps >= 3 && !isMarked(s[ps:pe]) {
			st.add(ps, pe, "prose")
			return pe
		}
	}
	if c := strings.IndexByte(s[vs:ve], '/'); c > 0 && ve-vs-c-1 >= 3 && !quoted {
		st.add(vs+c+1, ve, "prose") // "admin/X"
		return ve
	}
	if !quoted && !credentialLike(s[vs:ve]) {
		return -1 // "the password is required"
	}
	if ve-vs < 4 {
		return -1
	}
	st.add(vs, ve, "prose")
	return ve
}

// identifierValue reports whether v, under a secret-shaped key, names a
// secret rather than being one: an ARN ("SecretId":
// "arn:aws:secretsmanager:...:secret:prod/db-AbCdEf").
func identifierValue(v string) bool {
	return strings.HasPrefix(v, "arn:aws:") || strings.HasPrefix(v, "arn:aws-")
}

// fieldName reports whether v looks like the name of a field or column
// ("created_at", "user.id"), not a key: for the bare "key" parameter.
func fieldName(v string) bool {
	sep := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case isLower(c):
		case c == '_' || c == '.':
			sep = true
		default:
			return false
		}
	}
	return sep
}

// Audit returns the IDs of the rules that would redact something in
// value, found under key ("" for none), each once: the scan command's
// check of stored events, with the same rules as redaction. Values that
// are already replacements are clean.
func (r *Redactor) Audit(key, value string) []string {
	if value == "" || isMarked(value) {
		return nil
	}
	switch r.keys.class(key) {
	case keySecret:
		if out, ch := r.secretHeader(key, value); !ch || out == value || identifierValue(value) {
			return nil
		}
		return r.auditIDs(value)
	case keySoft:
		if credentialValue(value) {
			return r.auditIDs(value)
		}
	}
	return spanNames(r.scan(value, false))
}

// AuditParam is Audit for a query or form parameter, where a few more
// names are sensitive (code, sig, key, X-Amz-Signature ...).
func (r *Redactor) AuditParam(name, value string) []string {
	if value == "" || isMarked(value) {
		return nil
	}
	if r.sensitiveParam(name, value) {
		return r.auditIDs(value)
	}
	return r.Audit(name, value)
}

// auditIDs: the value rules that match a secret value, or "secret-key"
// when only its key gives it away.
func (r *Redactor) auditIDs(value string) []string {
	if ids := spanNames(r.scan(value, false)); len(ids) > 0 {
		return ids
	}
	return []string{"secret-key"}
}
