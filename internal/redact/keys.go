package redact

import (
	"strings"
	"sync"
	"sync/atomic"
)

// maxKeyCache bounds the per-Redactor cache of key decisions.
const maxKeyCache = 4096

// Key matching works on words: a key is split at separators (anything not a
// letter or digit) and at camelCase boundaries, lower-cased, and then
// compared word by word. A key is secret when a secret word (or word
// sequence) occurs in it and every word after the last such occurrence is a
// "still secret" qualifier (id, value, hash, confirmation ...). That keeps
// "token", "access_token", "sessionId" and "password_confirmation" secret
// while "token_count", "token_type", "password_policy", "max_tokens" (plural
// "tokens" is only secret after a credential word), "author", "secretary"
// and "tokenizer" (different words) stay readable.

// defaultSecretWords are single words whose presence makes a key secret.
var defaultSecretWords = []string{
	"authorization", "auth", "cookie", "cookies", "password", "passwords",
	"passwd", "pwd", "passphrase", "passcode", "secret", "secrets", "token",
	"credential", "credentials", "creds", "csrf", "xsrf", "jwt", "bearer",
	"session", "sessid", "phpsessid", "jsessionid", "signature", "sig",
	"otp", "totp", "pass", "pat", "pats",
}

// defaultSecretSeqs are word sequences; their concatenations ("apikey") are
// secret single words too.
var defaultSecretSeqs = [][]string{
	{"api", "key"}, {"api", "keys"}, {"private", "key"}, {"private", "keys"},
	{"secret", "key"}, {"access", "key"}, {"access", "keys"}, {"signing", "key"},
	{"encryption", "key"}, {"decryption", "key"}, {"master", "key"},
	{"auth", "key"}, {"client", "key"}, {"session", "key"}, {"session", "id"},
	{"access", "tokens"}, {"refresh", "tokens"}, {"id", "tokens"},
	{"auth", "tokens"}, {"api", "tokens"}, {"bearer", "tokens"},
	{"session", "tokens"}, {"set", "cookie"}, {"connect", "sid"},
}

// keyWords are the last words of keys whose value is secret when it looks
// like a credential (DD_APP_KEY, ALGOLIA_ADMIN_KEY, mg_key, sgKey,
// DD-APPLICATION-KEY, AccountKey), as gitleaks' generic-api-key rule
// decides: a bare "key" often names a sort key, a cache key or a column.
var keyWords = map[string]bool{"key": true, "keys": true}

// notCredentialKeys are words before "key" that name something other than
// a credential: primary_key, sort_key, public_key, publishable_key ...
var notCredentialKeys = map[string]bool{
	"primary": true, "sort": true, "foreign": true, "partition": true,
	"public": true, "publishable": true, "pub": true, "idempotency": true,
	"cache": true, "object": true, "range": true, "hash": true,
	"composite": true, "unique": true, "index": true, "lookup": true,
	"dedup": true, "dedupe": true, "group": true, "routing": true,
	"shard": true, "sharding": true, "row": true, "map": true, "bucket": true,
	"translation": true, "i18n": true, "message": true, "locale": true,
	"foreign_key": true, "natural": true, "surrogate": true, "compound": true,
	"react": true, "list": true, "item": true, "cursor": true, "next": true,
	"page": true, "event": true, "s3": true, "file": true, "host": true,
	"ssh": true, "gpg": true, "pgp": true, "verification": true,
	"site": true,
}

// keyCompounds are the words before "key" in one-word keys such as
// APPKEY or writekey.
var keyCompounds = map[string]bool{
	"app": true, "admin": true, "write": true, "read": true, "master": true,
	"dev": true, "license": true, "account": true, "server": true,
	"client": true, "service": true, "user": true, "sg": true, "mg": true,
	"dd": true, "shared": true, "storage": true, "sdk": true,
	"consumer": true, "integration": true, "partner": true, "ingest": true,
}

// vendorWords make a key's value secret when it looks like a credential:
// services whose credentials come under their own name (OKTA_ORG: 00…,
// "algolia": "…"), as in gitleaks' keyword rules.
var vendorWords = map[string]bool{
	"okta": true, "algolia": true, "adafruit": true, "asana": true,
	"atlassian": true, "jira": true, "confluence": true, "bitbucket": true,
	"cloudflare": true, "codecov": true, "cohere": true, "coinbase": true,
	"confluent": true, "contentful": true, "datadog": true, "dd": true,
	"discord": true, "dropbox": true, "facebook": true, "heroku": true,
	"mailchimp": true, "mailgun": true, "mapbox": true, "meraki": true,
	"netlify": true, "newrelic": true, "sentry": true, "sendgrid": true,
	"squarespace": true, "sumo": true, "sumologic": true, "telegram": true,
	"twilio": true, "twitter": true, "yandex": true, "launchdarkly": true,
	"pagerduty": true, "intercom": true, "airtable": true,
}

// secretSuffixes catch run-on compounds such as "githubtoken" or
// "webhooksecret" (a whole word ending in one of these).
var secretSuffixes = []string{"token", "secret", "password", "passwd", "apikey", "privatekey"}

// stillSecret are words that may follow a secret word without making the
// key harmless: "session_id", "password_hash", "token_value" ...
var stillSecret = map[string]bool{
	"id": true, "ids": true, "value": true, "values": true, "val": true,
	"string": true, "str": true, "data": true, "hash": true, "hashed": true,
	"b64": true, "base64": true, "hex": true, "raw": true, "plain": true,
	"plaintext": true, "text": true, "enc": true, "encrypted": true,
	"header": true, "key": true, "keys": true, "list": true, "bytes": true,
	"confirm": true, "confirmation": true, "again": true, "repeat": true,
	"retype": true, "verify": true, "new": true, "old": true, "current": true,
	"pair": true, "content": true, "contents": true, "code": true,
	"assertion": true, "jwt": true, "digest": true, "set": true, "map": true,
	"pem": true, "der": true, "secret": true, "token": true, "cookie": true,
	"cookies": true,
}

type keyRules struct {
	first   [256]bool // first bytes of singles and sequences: skips most lookups
	singles map[string]bool
	seqs    map[string][][]string // first word -> sequences of 2+ words
	allow   [][]string            // whole keys never redacted, as words
	// cache remembers decisions for keys seen before (header names and
	// JSON keys repeat from event to event); bounded by maxKeyCache.
	cache  *sync.Map // string -> keyClass
	cached *atomic.Int64
}

func newKeyRules(extra, allow []string) keyRules {
	k := keyRules{singles: map[string]bool{}, seqs: map[string][][]string{}, cache: new(sync.Map), cached: new(atomic.Int64)}
	for _, w := range defaultSecretWords {
		k.singles[w] = true
	}
	add := func(seq []string) {
		switch len(seq) {
		case 0:
			return
		case 1:
			k.singles[seq[0]] = true
			return
		}
		k.seqs[seq[0]] = append(k.seqs[seq[0]], seq)
		k.singles[strings.Join(seq, "")] = true
	}
	for _, s := range defaultSecretSeqs {
		add(s)
	}
	for _, key := range extra {
		add(splitWords(key))
	}
	for _, key := range allow {
		if w := splitWords(key); len(w) > 0 {
			k.allow = append(k.allow, w)
		}
	}
	for w := range k.singles {
		k.first[w[0]] = true
	}
	for w := range k.seqs {
		k.first[w[0]] = true
	}
	return k
}

// wspan is a word of a key: a [start, end) range in the lower-cased key.
type wspan struct{ s, e int }

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isWordByte: ASCII letters and digits, and every non-ASCII byte (so that
// UTF-8 letters stay inside words).
func isWordByte(c byte) bool { return isLower(c) || isUpper(c) || isDigit(c) || c >= 0x80 }

// words splits key into lower-cased words, appending to lower and ws.
func words(key string, lower []byte, ws []wspan) ([]byte, []wspan) {
	start := -1
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !isWordByte(c) {
			if start >= 0 {
				ws = append(ws, wspan{start, len(lower)})
				start = -1
			}
			continue
		}
		if start >= 0 && isUpper(c) {
			p := key[i-1]
			// fooBar, foo1Bar | APIKey (boundary before K)
			if isLower(p) || isDigit(p) || (isUpper(p) && i+1 < len(key) && isLower(key[i+1])) {
				ws = append(ws, wspan{start, len(lower)})
				start = -1
			}
		}
		if start < 0 {
			start = len(lower)
		}
		if isUpper(c) {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	if start >= 0 {
		ws = append(ws, wspan{start, len(lower)})
	}
	return lower, ws
}

// splitWords returns the lower-cased words of key.
func splitWords(key string) []string {
	lower, ws := words(key, nil, nil)
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = string(lower[w.s:w.e])
	}
	return out
}

func allDigits(w []byte) bool {
	for _, c := range w {
		if !isDigit(c) {
			return false
		}
	}
	return len(w) > 0
}

// keyClass is what a key says about its value.
type keyClass uint8

const (
	keyPlain  keyClass = iota // not a secret key: the value is scanned
	keySecret                 // the value is a secret whatever it looks like
	keySoft                   // the value is a secret if it looks like a credential
)

// isSecret reports whether key names a secret (and is not allowed).
func (k *keyRules) isSecret(key string) bool { return k.class(key) == keySecret }

// class returns the class of key.
func (k *keyRules) class(key string) keyClass {
	if len(key) == 0 || len(key) > 256 {
		// Very long "keys" are text, not keys; the value scanner still runs.
		return keyPlain
	}
	if len(key) > 64 {
		return k.decide(key)
	}
	if v, ok := k.cache.Load(key); ok {
		return v.(keyClass)
	}
	d := k.decide(key)
	if k.cached.Load() < maxKeyCache {
		if _, loaded := k.cache.LoadOrStore(strings.Clone(key), d); !loaded {
			k.cached.Add(1)
		}
	}
	return d
}

// decide is class without the cache.
func (k *keyRules) decide(key string) keyClass {
	var lbuf [128]byte
	var wbuf [16]wspan
	lower, ws := words(key, lbuf[:0], wbuf[:0])
	last := -1
	for i, w := range ws {
		word := lower[w.s:w.e]
		if k.first[word[0]] && k.singles[string(word)] {
			last = i + 1
		} else if c := word[len(word)-1]; len(word) > 5 && (c == 'n' || c == 't' || c == 'd' || c == 'y') {
			for _, suf := range secretSuffixes {
				if len(word) > len(suf) && string(word[len(word)-len(suf):]) == suf {
					last = i + 1
					break
				}
			}
		}
		if !k.first[word[0]] {
			continue
		}
		if seqs := k.seqs[string(word)]; seqs != nil {
		next:
			for _, seq := range seqs {
				if i+len(seq) > len(ws) || i+len(seq) <= last {
					continue
				}
				for j := 1; j < len(seq); j++ {
					x := ws[i+j]
					if string(lower[x.s:x.e]) != seq[j] {
						continue next
					}
				}
				last = i + len(seq)
			}
		}
	}
	if k.allowedWords(lower, ws) {
		return keyPlain
	}
	if last >= 0 {
		secret := true
		for _, w := range ws[last:] {
			word := lower[w.s:w.e]
			if !stillSecret[string(word)] && !allDigits(word) {
				secret = false
				break
			}
		}
		if secret {
			return keySecret
		}
	}
	return softWords(lower, ws)
}

// softWords: a key whose last word (digits aside) is "key" and the word
// before it does not name a database or public key, or a key with a
// vendor's name in it.
func softWords(lower []byte, ws []wspan) keyClass {
	n := len(ws)
	for n > 0 && allDigits(lower[ws[n-1].s:ws[n-1].e]) {
		n--
	}
	if n == 0 {
		return keyPlain
	}
	if last := lower[ws[n-1].s:ws[n-1].e]; keyWords[string(last)] {
		if n >= 2 && notCredentialKeys[string(lower[ws[n-2].s:ws[n-2].e])] {
			return keyPlain
		}
		return keySoft
	} else if len(last) > 3 && string(last[len(last)-3:]) == "key" && keyCompounds[string(last[:len(last)-3])] {
		return keySoft // "APPKEY", "adminkey" as one word
	}
	for _, w := range ws[:n] {
		if vendorWords[string(lower[w.s:w.e])] {
			return keySoft
		}
	}
	return keyPlain
}

// allowed reports whether key is on the allow list.
func (k *keyRules) allowed(key string) bool {
	if len(k.allow) == 0 {
		return false
	}
	lower, ws := words(key, nil, nil)
	return k.allowedWords(lower, ws)
}

func (k *keyRules) allowedWords(lower []byte, ws []wspan) bool {
	for _, a := range k.allow {
		if len(a) != len(ws) {
			continue
		}
		same := true
		for i, w := range ws {
			if string(lower[w.s:w.e]) != a[i] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}
