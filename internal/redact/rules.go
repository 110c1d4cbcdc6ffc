package redact

import (
	"strings"
)

// Value rules: one row per token family, found by shape in any text with
// no key around it. The facts (prefixes, alphabets, lengths) follow the
// vendors' documented formats as collected by gitleaks' default rules and
// GitHub's list of supported secret-scanning patterns.
//
// A row is found through a two-byte prefilter: at a word start (the byte
// before is not a letter, digit or '_'), one bit lookup on the next two
// bytes decides whether any row can start there; only then are the rows
// that start with that byte compared. The cost of clean text therefore
// does not grow with the number of rows.

// valueRule is one row of the table.
type valueRule struct {
	id     string
	prefix string     // literal at a word start, case-sensitive
	body   *[256]bool // the bytes of the secret after the prefix
	min    int        // fewest body bytes
	// bounded: the body must end at a byte that is not a letter or digit
	// (for short or common prefixes such as "SK" or "key-").
	bounded bool
	// exact: the body must be exactly min bytes long (with bounded).
	exact bool
	// check, when set, validates the whole token (prefix and body): its
	// structure or checksum.
	check func(tok string) bool
	// keep: the prefix is kept and only the body replaced ("AccountKey=").
	keep bool
	// at, when set, replaces prefix/body matching with a detector (see
	// detect) that returns the end of what it found, or -1. pairs lists
	// the two-byte starts it is tried at. (An enum rather than a func
	// value keeps the scan state on the stack.)
	at    detector
	pairs []string
}

// Character sets of rule bodies, built once; read-only afterwards.
var (
	csAlnum    = charset("A-Za-z0-9")
	csWord     = charset("A-Za-z0-9_")
	csB64u     = charset("A-Za-z0-9_-")
	csB64uDot  = charset("A-Za-z0-9_.-")
	csB64      = charset("A-Za-z0-9+/=")
	csB64Any   = charset("A-Za-z0-9+/=_-")
	csHex      = charset("0-9a-f")
	csHexAny   = charset("0-9a-fA-F")
	csHexDash  = charset("0-9a-fA-F-")
	csAlnDash  = charset("A-Za-z0-9-")
	csAlnDot   = charset("A-Za-z0-9.")
	csAlnPct   = charset("A-Za-z0-9%")
	csBech32   = charset("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")
	csUpNumDsh = charset("A-Z0-9-")
	csBraintr  = charset("a-z0-9$")
	csFCM      = charset("A-Za-z0-9_:-")
	csWordEq   = charset("A-Za-z0-9_=.-")
)

// detector names the rows found by code rather than by prefix and body.
type detector uint8

const (
	atNone detector = iota
	atBearer
	atBasic
	atJWT
	atAWS
	atGitHub
	atSlack
	atSlackHook
	atDiscordHook
	atDiscord
	atSkDash
	atProse
)

// detect runs detector d at i.
func detect(d detector, st *scanState, i int) int {
	switch d {
	case atBearer:
		return schemeAt(st, i, "bearer")
	case atBasic:
		return schemeAt(st, i, "basic")
	case atJWT:
		return jwtAt(st, i)
	case atAWS:
		return awsAt(st, i)
	case atGitHub:
		return githubAt(st, i)
	case atSlack:
		return slackAt(st, i)
	case atSlackHook:
		return slackHookAt(st, i)
	case atDiscordHook:
		return discordHookAt(st, i)
	case atDiscord:
		return discordAt(st, i)
	case atSkDash:
		return skDashAt(st, i)
	case atProse:
		return proseAt(st, i)
	}
	return -1
}

// charset builds a byte class from ranges ("a-z") and single bytes.
func charset(spec string) *[256]bool {
	var t [256]bool
	for i := 0; i < len(spec); i++ {
		if i+2 < len(spec) && spec[i+1] == '-' {
			for c := spec[i]; c <= spec[i+2]; c++ {
				t[c] = true
			}
			i += 2
			continue
		}
		t[spec[i]] = true
	}
	return &t
}

// valueRules is the table. Rows with a shared prefix are ordered longest
// prefix first.
var valueRules = []valueRule{
	// Authorization schemes and generic shapes.
	{id: "bearer", at: atBearer, pairs: caseVariants("be")},
	{id: "basic", at: atBasic, pairs: caseVariants("ba")},
	{id: "jwt", at: atJWT, pairs: []string{"ey"}},
	{id: "grafana-api-key", prefix: "eyJrIjoi", body: csB64, min: 50},

	// Cloud providers.
	{id: "aws-access-key-id", at: atAWS, pairs: []string{"AK", "AS", "AB", "AC"}},
	{id: "google-api-key", prefix: "AIza", body: csB64u, min: 30},
	{id: "gcp-oauth-client-secret", prefix: "GOCSPX-", body: csB64u, min: 24},
	{id: "google-oauth-access-token", prefix: "ya29.", body: csB64uDot, min: 20},
	{id: "azure-storage-key", prefix: "AccountKey=", body: csB64, min: 20, keep: true},
	{id: "azure-storage-key", prefix: "SharedAccessKey=", body: csB64, min: 20, keep: true},
	{id: "alibaba-access-key-id", prefix: "LTAI", body: csAlnum, min: 20, bounded: true},
	{id: "digitalocean-token", prefix: "dop_v1_", body: csHex, min: 64},
	{id: "digitalocean-token", prefix: "doo_v1_", body: csHex, min: 64},
	{id: "digitalocean-token", prefix: "dor_v1_", body: csHex, min: 64},
	{id: "heroku-api-key", prefix: "HRKU-", body: csB64u, min: 30},
	{id: "cloudflare-origin-ca-key", prefix: "v1.0-", body: csHexDash, min: 160},
	{id: "flyio-token", prefix: "fo1_", body: csB64u, min: 40},
	{id: "flyio-token", prefix: "fm1a_", body: csB64, min: 64},
	{id: "flyio-token", prefix: "fm1r_", body: csB64, min: 64},
	{id: "flyio-token", prefix: "fm2_", body: csB64, min: 64},
	{id: "tailscale-key", prefix: "tskey-", body: csAlnDash, min: 20},
	{id: "supabase-token", prefix: "sbp_", body: csAlnum, min: 40},
	{id: "supabase-token", prefix: "sb_secret_", body: csB64u, min: 20},
	{id: "databricks-token", prefix: "dapi", body: csHexDash, min: 32, bounded: true},
	{id: "vault-token", prefix: "hvs.", body: csB64u, min: 24},
	{id: "vault-token", prefix: "hvb.", body: csB64u, min: 24},
	{id: "vault-token", prefix: "hvr.", body: csB64u, min: 24},
	{id: "doppler-token", prefix: "dp.", body: csB64uDot, min: 40, check: dopplerOK},
	{id: "pulumi-token", prefix: "pul-", body: csHex, min: 40, bounded: true},
	{id: "planetscale-token", prefix: "pscale_tkn_", body: csWordEq, min: 32},
	{id: "planetscale-token", prefix: "pscale_pw_", body: csWordEq, min: 32},
	{id: "planetscale-token", prefix: "pscale_oauth_", body: csWordEq, min: 32},
	{id: "scalingo-token", prefix: "tk-us-", body: csB64u, min: 40},
	{id: "infracost-token", prefix: "ico-", body: csAlnum, min: 32, bounded: true},
	{id: "age-secret-key", prefix: "AGE-SECRET-KEY-1", body: csBech32, min: 58},
	{id: "onepassword-token", prefix: "ops_eyJ", body: csB64, min: 100},
	{id: "onepassword-secret-key", prefix: "A3-", body: csUpNumDsh, min: 30, check: onePasswordKeyOK},
	{id: "dynatrace-token", prefix: "dt0c01.", body: csAlnDot, min: 80},

	// Code hosting and packages.
	{id: "github-token", at: atGitHub, pairs: []string{"gh"}},
	{id: "github-token", prefix: "github_pat_", body: csWord, min: 22},
	{id: "gitlab-token", prefix: "glpat-", body: csB64uDot, min: 20},
	{id: "gitlab-token", prefix: "gldt-", body: csB64u, min: 20},
	{id: "gitlab-token", prefix: "glrt-", body: csB64uDot, min: 20},
	{id: "gitlab-token", prefix: "glptt-", body: csB64u, min: 20},
	{id: "gitlab-token", prefix: "glsoat-", body: csB64u, min: 20},
	{id: "gitlab-token", prefix: "glcbt-", body: csB64u, min: 20},
	{id: "gitlab-token", prefix: "glft-", body: csB64u, min: 20},
	{id: "gitlab-token", prefix: "glimt-", body: csB64u, min: 25},
	{id: "gitlab-token", prefix: "glagent-", body: csB64u, min: 50},
	{id: "gitlab-token", prefix: "gloas-", body: csB64u, min: 50},
	{id: "gitlab-token", prefix: "glffct-", body: csB64u, min: 20},
	{id: "gitlab-token", prefix: "GR1348941", body: csB64u, min: 20},
	{id: "npm-token", prefix: "npm_", body: csAlnum, min: 30},
	{id: "pypi-token", prefix: "pypi-AgE", body: csB64u, min: 50},
	{id: "rubygems-token", prefix: "rubygems_", body: csHex, min: 48},
	{id: "clojars-token", prefix: "CLOJARS_", body: csAlnum, min: 60},
	{id: "artifactory-token", prefix: "AKCp", body: csAlnum, min: 60, bounded: true},
	{id: "atlassian-token", prefix: "ATATT3", body: csWordEq, min: 100},
	{id: "atlassian-token", prefix: "ATCTT3", body: csWordEq, min: 100},
	{id: "postman-token", prefix: "PMAK-", body: csHexDash, min: 50},
	{id: "readme-token", prefix: "rdme_", body: csAlnum, min: 60},
	{id: "prefect-token", prefix: "pnu_", body: csAlnum, min: 36},
	{id: "linear-api-key", prefix: "lin_api_", body: csAlnum, min: 40},
	{id: "linear-api-key", prefix: "lin_oauth_", body: csAlnum, min: 40},
	{id: "sentry-token", prefix: "sntrys_", body: csB64Any, min: 50},
	{id: "sentry-token", prefix: "sntryu_", body: csHex, min: 64},
	{id: "grafana-token", prefix: "glsa_", body: csWord, min: 40},
	{id: "grafana-token", prefix: "glc_", body: csB64, min: 32},
	{id: "new-relic-key", prefix: "NRAK-", body: csAlnum, min: 27},
	{id: "new-relic-key", prefix: "NRJS-", body: csHex, min: 19},
	{id: "new-relic-key", prefix: "NRII-", body: csAlnDash, min: 32},
	{id: "frameio-token", prefix: "fio-u-", body: csB64Any, min: 64},

	// Payments, commerce, messaging, SaaS.
	{id: "stripe-key", prefix: "sk_live_", body: csAlnum, min: 10},
	{id: "stripe-key", prefix: "sk_test_", body: csAlnum, min: 10},
	{id: "stripe-key", prefix: "sk_prod_", body: csAlnum, min: 10},
	{id: "stripe-key", prefix: "rk_live_", body: csAlnum, min: 10},
	{id: "stripe-key", prefix: "rk_test_", body: csAlnum, min: 10},
	{id: "stripe-key", prefix: "rk_prod_", body: csAlnum, min: 10},
	{id: "stripe-webhook-secret", prefix: "whsec_", body: csB64, min: 16},
	{id: "square-token", prefix: "sq0atp-", body: csB64u, min: 22},
	{id: "square-token", prefix: "sq0csp-", body: csB64u, min: 40},
	{id: "square-token", prefix: "EAAA", body: csB64u, min: 22, check: notFacebookLength},
	{id: "facebook-access-token", prefix: "EAA", body: csAlnum, min: 90},
	{id: "braintree-token", prefix: "access_token$production$", body: csBraintr, min: 40},
	{id: "braintree-token", prefix: "access_token$sandbox$", body: csBraintr, min: 40},
	{id: "shopify-token", prefix: "shpat_", body: csHexAny, min: 32},
	{id: "shopify-token", prefix: "shpss_", body: csHexAny, min: 32},
	{id: "shopify-token", prefix: "shpca_", body: csHexAny, min: 32},
	{id: "shopify-token", prefix: "shppa_", body: csHexAny, min: 32},
	{id: "shippo-token", prefix: "shippo_live_", body: csHexAny, min: 40},
	{id: "shippo-token", prefix: "shippo_test_", body: csHexAny, min: 40},
	{id: "duffel-token", prefix: "duffel_live_", body: csWordEq, min: 40},
	{id: "duffel-token", prefix: "duffel_test_", body: csWordEq, min: 40},
	{id: "easypost-token", prefix: "EZAK", body: csAlnum, min: 50},
	{id: "easypost-token", prefix: "EZTK", body: csAlnum, min: 50},
	{id: "flutterwave-key", prefix: "FLWSECK_TEST-", body: csAlnDash, min: 12},
	{id: "flutterwave-key", prefix: "FLWSECK-", body: csAlnDash, min: 12},
	{id: "sendgrid-api-token", prefix: "SG.", body: csB64uDot, min: 60, check: sendgridOK},
	{id: "sendinblue-token", prefix: "xkeysib-", body: csAlnDash, min: 80},
	{id: "mailgun-key", prefix: "key-", body: csHex, min: 32, bounded: true, exact: true},
	{id: "twilio-api-key", prefix: "SK", body: csHexAny, min: 32, bounded: true, exact: true},
	{id: "slack-token", prefix: "xoxe.xox", body: csB64uDot, min: 20},
	{id: "slack-token", at: atSlack, pairs: []string{"xo"}},
	{id: "slack-token", prefix: "xapp-", body: csB64u, min: 10},
	{id: "slack-webhook", at: atSlackHook, pairs: []string{"ho"}},
	{id: "discord-webhook", at: atDiscordHook, pairs: []string{"di"}},
	{id: "discord-bot-token", at: atDiscord, pairs: discordPairs()},
	{id: "firebase-fcm-key", prefix: "AAAA", body: csFCM, min: 140, check: fcmOK},
	{id: "twitter-bearer-token", prefix: "AAAAAAAAAAAAAAAAAAAAA", body: csAlnPct, min: 60},
	{id: "mapbox-secret-token", prefix: "sk.eyJ", body: csB64uDot, min: 60},
	{id: "airtable-token", prefix: "pat", body: csAlnDot, min: 70, check: airtableOK},
	{id: "notion-token", prefix: "ntn_", body: csAlnum, min: 40},
	{id: "notion-token", prefix: "secret_", body: csAlnum, min: 43, bounded: true},

	// AI providers.
	{id: "huggingface-token", prefix: "hf_", body: csAlnum, min: 30, bounded: true},
	{id: "huggingface-token", prefix: "api_org_", body: csAlnum, min: 30, bounded: true},
	{id: "groq-api-key", prefix: "gsk_", body: csAlnum, min: 50},
	{id: "replicate-token", prefix: "r8_", body: csAlnum, min: 35},
	{id: "perplexity-api-key", prefix: "pplx-", body: csAlnum, min: 40},
	{id: "api-key", at: atSkDash, pairs: []string{"sk"}},

	// Prose: "the password is X", "creds are admin / X".
	{id: "prose", at: atProse, pairs: proseStarts()},
}

// proseStarts are the two-byte starts of proseWords in any case.
func proseStarts() []string {
	var out []string
	for _, w := range proseWords {
		out = append(out, caseVariants(w[:2])...)
	}
	return out
}

// caseVariants returns the four case variants of a two-letter start.
func caseVariants(p string) []string {
	lo, up := strings.ToLower(p), strings.ToUpper(p)
	return []string{lo, up, up[:1] + lo[1:], lo[:1] + up[1:]}
}

// The prefilter, built once from valueRules; read-only afterwards.
var (
	pairBits [1 << 16 / 64]uint64 // two-byte starts of some row
	byFirst  [256][]rowRef        // rows by their first byte
)

// rowRef is a row in byFirst with the second bytes it can start with.
type rowRef struct {
	idx    int
	second [4]uint64
}

func init() {
	addPair := func(p string, idx int) {
		k := uint16(p[0])<<8 | uint16(p[1])
		pairBits[k>>6] |= 1 << (k & 63)
		refs := byFirst[p[0]]
		for j := range refs {
			if refs[j].idx == idx {
				refs[j].second[p[1]>>6] |= 1 << (p[1] & 63)
				return
			}
		}
		ref := rowRef{idx: idx}
		ref.second[p[1]>>6] |= 1 << (p[1] & 63)
		byFirst[p[0]] = append(refs, ref)
	}
	for i, r := range valueRules {
		switch {
		case r.at != atNone:
			for _, p := range r.pairs {
				addPair(p, i)
			}
		case len(r.prefix) >= 2:
			addPair(r.prefix, i)
		}
	}
}

// maybeToken is the prefilter: can a row start at s[i:]?
func maybeToken(s string, i int) bool {
	if i+1 >= len(s) {
		return false
	}
	k := uint16(s[i])<<8 | uint16(s[i+1])
	return pairBits[k>>6]&(1<<(k&63)) != 0
}

// tokenAt runs the rows that can start at word start i; it returns the
// end of the first match, or -1.
func tokenAt(st *scanState, i int) int {
	s := st.s
	c1 := s[i+1] // maybeToken checked i+1 < len(s)
	for k := range byFirst[s[i]] {
		ref := &byFirst[s[i]][k]
		if ref.second[c1>>6]&(1<<(c1&63)) == 0 {
			continue
		}
		r := &valueRules[ref.idx]
		var e int
		if r.at != atNone {
			e = detect(r.at, st, i)
		} else {
			e = prefixed(st, i, r)
		}
		if e > i {
			return e
		}
	}
	return -1
}

// prefixed matches one prefix/body row at i.
func prefixed(st *scanState, i int, r *valueRule) int {
	s := st.s
	if !strings.HasPrefix(s[i:], r.prefix) {
		return -1
	}
	b := i + len(r.prefix)
	e := st.run(b, r.body)
	n := e - b
	cut := st.trunc && e == len(s)
	switch {
	case cut && n > 0:
		// A partial token at the end of a cut text.
	case n < r.min:
		return -1
	case r.bounded && !boundary(s, e):
		return -1
	case r.exact && n != r.min:
		return -1
	case r.check != nil && !r.check(s[i:e]):
		return -1
	}
	start := i
	if r.keep {
		start = b
	}
	st.add(start, e, r.id)
	return e
}

// schemeAt handles "Bearer <credential>" / "Basic <credential>" (any case).
func schemeAt(st *scanState, i int, scheme string) int {
	if !hasPrefixFold(st.s[i:], scheme) {
		return -1
	}
	return credAt(st, i, i+len(scheme), scheme)
}

func awsAt(st *scanState, i int) int {
	s := st.s
	if len(s)-i < 4 {
		return -1
	}
	switch s[i : i+4] {
	case "AKIA", "ASIA", "ABIA", "ACCA":
	default:
		return -1
	}
	e := st.run(i+4, &upNumTab)
	if (e-i == 20 && boundary(s, e)) || (st.trunc && e == len(s) && e-i < 20) {
		st.add(i, e, "aws-access-key-id")
		return e
	}
	return -1
}

var ghRule = valueRule{id: "github-token", body: csAlnum, min: 30}

func githubAt(st *scanState, i int) int {
	s := st.s
	if len(s)-i > 4 && s[i+3] == '_' && strings.IndexByte("pousr", s[i+2]) >= 0 {
		r := ghRule
		r.prefix = s[i : i+4]
		return prefixed(st, i, &r)
	}
	return -1
}

var slackRule = valueRule{id: "slack-token", body: csB64u, min: 10}

func slackAt(st *scanState, i int) int {
	s := st.s
	if len(s)-i > 5 && s[i+2] == 'x' && strings.IndexByte("abposre", s[i+3]) >= 0 && s[i+4] == '-' {
		r := slackRule
		r.prefix = s[i : i+5]
		return prefixed(st, i, &r)
	}
	return -1
}

func slackHookAt(st *scanState, i int) int {
	s := st.s
	const hook = "hooks.slack.com/"
	if !strings.HasPrefix(s[i:], hook) {
		return -1
	}
	start := i + len(hook)
	for _, seg := range []string{"services/", "workflows/", "triggers/", "commands/"} {
		if strings.HasPrefix(s[start:], seg) {
			start += len(seg)
			break
		}
	}
	e := start
	for e < len(s) && !urlStop[s[e]] && s[e] != '?' && s[e] != '#' {
		e++
	}
	st.add(start, e, "slack-webhook")
	return e
}

// discordHookAt: discord.com/api/webhooks/<id>/<token> (also discordapp.com
// and versioned API paths): the token is replaced.
func discordHookAt(st *scanState, i int) int {
	s := st.s
	j := i
	switch {
	case strings.HasPrefix(s[i:], "discord.com/api/"):
		j += len("discord.com/api/")
	case strings.HasPrefix(s[i:], "discordapp.com/api/"):
		j += len("discordapp.com/api/")
	default:
		return -1
	}
	if strings.HasPrefix(s[j:], "v") {
		k := j + 1
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k < len(s) && s[k] == '/' {
			j = k + 1
		}
	}
	if !strings.HasPrefix(s[j:], "webhooks/") {
		return -1
	}
	j += len("webhooks/")
	id := j
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == id || j >= len(s) || s[j] != '/' {
		return -1
	}
	ts := j + 1
	e := st.run(ts, &b64uTab)
	if e-ts < 20 && !(st.trunc && e == len(s)) {
		return -1
	}
	st.add(ts, e, "discord-webhook")
	return e
}

// discordPairs: a bot token starts with the base64 of a decimal user ID,
// so with M, N or O followed by D, T, j or z.
func discordPairs() []string {
	var out []string
	for _, a := range "MNO" {
		for _, b := range "DTjz" {
			out = append(out, string(a)+string(b))
		}
	}
	return out
}

// discordAt: <base64 user id 23-28>.<6-7>.<27-40>.
func discordAt(st *scanState, i int) int {
	s := st.s
	e := st.run(i, &b64uTab)
	p1 := e - i
	if p1 < 23 || p1 > 28 || e >= len(s) || s[e] != '.' {
		return -1
	}
	a := e + 1
	e = run(s, a, &b64uTab)
	p2 := e - a
	if p2 < 6 || p2 > 7 || e >= len(s) || s[e] != '.' {
		return -1
	}
	b := e + 1
	e = run(s, b, &b64uTab)
	if p3 := e - b; (p3 < 27 || p3 > 40) && !(st.trunc && e == len(s)) {
		return -1
	}
	st.add(i, e, "discord-bot-token")
	return e
}

// skDashAt: sk-... keys of LLM providers (OpenAI, Anthropic, DeepSeek ...).
func skDashAt(st *scanState, i int) int {
	s := st.s
	if !strings.HasPrefix(s[i:], "sk-") {
		return -1
	}
	e := st.run(i+3, &b64uTab)
	if (e-i-3 >= 20 && e-i-3 <= 512 && hasDigit(s[i+3:e])) || (st.trunc && e == len(s)) {
		st.add(i, e, "api-key")
		return e
	}
	return -1
}

func dopplerOK(tok string) bool {
	rest := tok[len("dp."):]
	for _, k := range []string{"pt.", "st.", "ct.", "sa.", "scim.", "audit."} {
		if strings.HasPrefix(rest, k) {
			return true
		}
	}
	return false
}

// sendgridOK: SG.<22>.<43>.
func sendgridOK(tok string) bool {
	a, b, ok := strings.Cut(tok[3:], ".")
	return ok && len(a) >= 16 && len(b) >= 30 && strings.IndexByte(b, '.') < 0
}

// onePasswordKeyOK: A3-XXXXXX-XXXXXX-XXXXX-XXXXX-XXXXX-XXXXX (or the
// 11-character second group).
func onePasswordKeyOK(tok string) bool {
	return strings.Count(tok, "-") >= 5 && len(tok) >= 33 && len(tok) <= 40
}

// notFacebookLength keeps Square's EAAA tokens (up to 64 bytes) apart
// from Facebook's (longer, found by their own row).
func notFacebookLength(tok string) bool { return len(tok) <= 70 }

// fcmOK: AAAA<7>:APA91b<134>.
func fcmOK(tok string) bool {
	c := strings.IndexByte(tok, ':')
	return c >= 8 && c <= 14 && strings.HasPrefix(tok[c:], ":APA91b")
}

// airtableOK: pat<14>.<64 hex>.
func airtableOK(tok string) bool {
	a, b, ok := strings.Cut(tok[3:], ".")
	if !ok || len(a) != 14 || len(b) < 64 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if !csHexAny[b[i]] {
			return false
		}
	}
	return true
}

// The rules below are tried at a byte of the scan loop, not at a word start.

// telegramAt: <8-10 digit bot id>:AA<33 chars> where the ':' is at i,
// alone ("123456789:AA...") or in a Bot API path ("/bot123456789:AA...").
func telegramAt(st *scanState, i int) int {
	s := st.s
	if (i+2 >= len(s) && !st.trunc) || i+1 >= len(s) || s[i+1] != 'A' || (i+2 < len(s) && s[i+2] != 'A') {
		return -1
	}
	d := i
	for d > 0 && i-d < 11 && isDigit(s[d-1]) {
		d--
	}
	if i-d < 8 || i-d > 10 {
		return -1
	}
	start := d
	if d >= 3 && s[d-3:d] == "bot" {
		start = d - 3
	}
	if wordBefore(s, start) {
		return -1
	}
	e := st.run(i+1, &b64uTab)
	if n := e - i - 1; (n < 34 || n > 36) && !(st.trunc && e == len(s)) {
		return -1
	}
	st.add(d, e, "telegram-bot-token")
	return e
}

// azureADAt: an Azure AD client secret, <3 chars><digit>Q~<31-34 chars>,
// where the '~' is at i.
func azureADAt(st *scanState, i int) int {
	s := st.s
	if i < 5 || s[i-1] != 'Q' || !isDigit(s[i-2]) {
		return -1
	}
	start := i - 5
	for k := start; k < i-2; k++ {
		if !azureTab[s[k]] {
			return -1
		}
	}
	if start > 0 && azureTab[s[start-1]] && !escapedAt(s, start-1) {
		return -1
	}
	e := i + 1
	for e < len(s) && (azureTab[s[e]] || s[e] == '-') {
		e++
	}
	if n := e - i - 1; (n < 30 || n > 40) && !(st.trunc && e == len(s)) {
		return -1
	}
	st.add(start, e, "azure-ad-client-secret")
	return e
}

var azureTab = charset("A-Za-z0-9_~.")

// hexDashAt: <32 hex>-us<N> (Mailchimp) or <32 hex>-<8 hex>-<8 hex>
// (Mailgun), where the '-' is at i.
func hexDashAt(st *scanState, i int) int {
	s := st.s
	if i < 32 || i+3 >= len(s) {
		return -1
	}
	start := i - 32
	if wordBefore(s, start) {
		return -1
	}
	for k := start; k < i; k++ {
		if !csHex[s[k]] {
			return -1
		}
	}
	if s[i+1] == 'u' && s[i+2] == 's' && isDigit(s[i+3]) {
		e := i + 4
		for e < len(s) && e < i+6 && isDigit(s[e]) {
			e++
		}
		if !boundary(s, e) {
			return -1
		}
		st.add(start, e, "mailchimp-api-key")
		return e
	}
	if i+18 <= len(s) && s[i+9] == '-' {
		for k := i + 1; k < i+18; k++ {
			if k != i+9 && !csHex[s[k]] {
				return -1
			}
		}
		if boundary(s, i+18) {
			st.add(start, i+18, "mailgun-key")
			return i + 18
		}
	}
	return -1
}
