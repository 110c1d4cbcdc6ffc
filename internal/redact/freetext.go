package redact

import (
	"math"
	"strings"
)

// credentialValue reports whether v, the value of a key that names a
// credential only sometimes ("DD_APP_KEY", "sort_key", "key"), looks like
// one, the way gitleaks' generic-api-key rule decides: 16 to 512 bytes of
// token characters, letters and digits mixed, a run of 12 or more letters
// and digits, and at least 3 bits of entropy per byte. "created_at",
// "uploads/2026/logo.png", "ssh-ed25519 AAAA..." and "pk_live_..." stay.
func credentialValue(v string) bool {
	if len(v) < 16 || len(v) > 512 || isMarked(v) {
		return false
	}
	if strings.HasPrefix(v, "pk_") || strings.HasPrefix(v, "ssh-") || strings.HasPrefix(v, "ecdsa-") {
		return false // public by design
	}
	var counts [256]uint16
	letter, digit, slash, dot := false, false, false, false
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
		case isLower(c) || isUpper(c):
			letter = true
		case c == '/':
			slash = true
		case c == '.':
			dot = true
		}
		if alnumTab[c] {
			runLen++
			longest = max(longest, runLen)
		} else {
			runLen = 0
		}
	}
	if !letter || !digit || longest < 12 || (slash && dot) {
		return false
	}
	return entropy(&counts, len(v)) >= 3.0
}

var credValTab = charset("A-Za-z0-9_.=+/~-")

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
	line := lineBefore(s, i)
	for _, pf := range passwordFlags {
		if pf.flag != f || !strings.Contains(line, pf.cmd) {
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
	for _, vb := range []string{"is ", "was ", "are ", "were ", "= "} {
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
