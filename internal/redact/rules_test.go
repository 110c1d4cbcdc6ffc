package redact

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

// The tests below are built the way gitleaks writes its rule tests: every
// rule has true positives and true negatives of its own, made from fresh
// random values at run time (never real credentials; no complete token
// appears in this source, so push protection has nothing to flag), and
// every rule is tried in every context of the corpus.

const (
	csLower = "abcdefghijklmnopqrstuvwxyz"
	csUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	csDig   = "0123456789"
	csAN    = csUpper + csLower + csDig
	csHexL  = "0123456789abcdef"
	csB64US = csAN + "_-"
	csB64S  = csAN + "+/"
)

// rnd returns n random bytes from cs; the first is a letter or digit so
// that a body never starts like a separator.
func rnd(r *rand.Rand, cs string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = cs[r.IntN(len(cs))]
		if i == 0 && !alnumTab[b[i]] {
			b[i] = 'x'
		}
	}
	return string(b)
}

// ruleCase is one rule's generator: tp makes a fresh secret, tn makes
// look-alikes that must be kept.
type ruleCase struct {
	id string
	tp func(r *rand.Rand) string
	tn []func(r *rand.Rand) string
}

// pre returns a generator of prefix + n random bytes of cs.
func pre(prefix, cs string, n int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string { return prefix + rnd(r, cs, n) }
}

// cat joins generators.
func cat(parts ...func(r *rand.Rand) string) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p(r))
		}
		return b.String()
	}
}

// oneOf picks one of gens at random: the variants of a family.
func oneOf(gens ...func(*rand.Rand) string) func(*rand.Rand) string {
	return func(r *rand.Rand) string { return gens[r.IntN(len(gens))](r) }
}

func lit(s string) func(*rand.Rand) string { return func(*rand.Rand) string { return s } }
func rs(cs string, n int) func(*rand.Rand) string {
	return func(r *rand.Rand) string { return rnd(r, cs, n) }
}

// short is the prefix with a body too short to be a token.
func short(prefix, cs string) func(r *rand.Rand) string { return pre(prefix, cs, 5) }

// inWord puts the prefix inside a word.
func inWord(prefix, cs string, n int) func(r *rand.Rand) string {
	return pre("x"+prefix, cs, n)
}

// ruleCases has a row for every value rule (TestEveryRuleHasCases).
var ruleCases = []ruleCase{
	{"bearer", cat(lit("Bearer "), rs(csB64US, 40)), []func(*rand.Rand) string{lit("Bearer authentication failed"), lit("the bearer of news"), lit("token_type=Bearer elapsed=3ms")}},
	{"basic", cat(lit("Basic "), rs(csB64S, 28), lit("==")), []func(*rand.Rand) string{lit("basic information"), lit("Basic auth is required")}},
	{"jwt", cat(lit("eyJ"), rs(csB64US, 30), lit(".eyJ"), rs(csB64US, 40), lit("."), rs(csB64US, 43)), []func(*rand.Rand) string{lit("eyJ is base64 for {\""), cat(lit("eyJ"), rs(csB64US, 20))}},
	{"grafana-api-key", pre("eyJrIjoi", csAN, 70), []func(*rand.Rand) string{short("eyJrIjoi", csAN)}},
	{"aws-access-key-id", oneOf(pre("AKIA", csUpper+"234567", 16), pre("ASIA", csUpper+"234567", 16)), []func(*rand.Rand) string{short("AKIA", csUpper), pre("AKIA", csUpper, 18), lit("ASIAN food")}},
	{"google-api-key", pre("AIza", csB64US, 35), []func(*rand.Rand) string{short("AIza", csB64US)}},
	{"gcp-oauth-client-secret", pre("GOCSPX-", csB64US, 28), []func(*rand.Rand) string{short("GOCSPX-", csB64US)}},
	{"google-oauth-access-token", pre("ya29.", csB64US, 120), []func(*rand.Rand) string{short("ya29.", csB64US)}},
	{"azure-storage-key", oneOf(cat(lit("DefaultEndpointsProtocol=https;AccountName=notes;AccountKey="), rs(csB64S, 86), lit("==;EndpointSuffix=core.windows.net")), cat(lit("Endpoint=sb://notes.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey="), rs(csB64S, 43), lit("="))), []func(*rand.Rand) string{lit("AccountKey=short")}},
	{"alibaba-access-key-id", pre("LTAI", csAN, 20), []func(*rand.Rand) string{short("LTAI", csAN)}},
	{"digitalocean-token", oneOf(pre("dop_v1_", csHexL, 64), pre("doo_v1_", csHexL, 64), pre("dor_v1_", csHexL, 64)), []func(*rand.Rand) string{short("dop_v1_", csHexL)}},
	{"heroku-api-key", pre("HRKU-AA", csB64US, 58), []func(*rand.Rand) string{short("HRKU-", csB64US)}},
	{"cloudflare-origin-ca-key", cat(lit("v1.0-"), rs(csHexL, 24), lit("-"), rs(csHexL, 146)), []func(*rand.Rand) string{lit("v1.0-beta")}},
	{"flyio-token", pre("fo1_", csB64US, 43), []func(*rand.Rand) string{short("fo1_", csB64US)}},
	{"tailscale-key", cat(lit("tskey-auth-"), rs(csAN, 12), lit("-"), rs(csAN, 30)), []func(*rand.Rand) string{lit("tskey-auth")}},
	{"supabase-token", oneOf(pre("sbp_", csHexL, 40), pre("sb_secret_", csB64US, 32)), []func(*rand.Rand) string{short("sbp_", csHexL)}},
	{"databricks-token", pre("dapi", csHexL, 32), []func(*rand.Rand) string{short("dapi", csHexL), lit("dapifoo")}},
	{"vault-token", oneOf(pre("hvs.", csB64US, 95), pre("hvb.", csB64US, 140)), []func(*rand.Rand) string{short("hvs.", csB64US)}},
	{"doppler-token", oneOf(pre("dp.pt.", csAN, 43), pre("dp.st.", csAN, 43), cat(lit("dp.st.prd."), rs(csAN, 40)), pre("dp.ct.", csAN, 43), pre("dp.sa.", csAN, 43)), []func(*rand.Rand) string{pre("dp.xx.", csAN, 43), short("dp.pt.", csAN)}},
	{"pulumi-token", pre("pul-", csHexL, 40), []func(*rand.Rand) string{short("pul-", csHexL)}},
	{"planetscale-token", pre("pscale_tkn_", csB64US, 43), []func(*rand.Rand) string{short("pscale_tkn_", csAN)}},
	{"scalingo-token", pre("tk-us-", csB64US, 48), []func(*rand.Rand) string{short("tk-us-", csAN)}},
	{"infracost-token", pre("ico-", csAN, 32), []func(*rand.Rand) string{short("ico-", csAN)}},
	{"age-secret-key", pre("AGE-SECRET-KEY-1", "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58), []func(*rand.Rand) string{lit("AGE-SECRET-KEY-1 is the prefix")}},
	{"onepassword-token", pre("ops_eyJ", csB64S, 260), []func(*rand.Rand) string{short("ops_eyJ", csAN)}},
	{"onepassword-secret-key", cat(lit("A3-"), rs(csUpper+csDig, 6), lit("-"), rs(csUpper+csDig, 6), lit("-"), rs(csUpper+csDig, 5), lit("-"), rs(csUpper+csDig, 5), lit("-"), rs(csUpper+csDig, 5), lit("-"), rs(csUpper+csDig, 5)), []func(*rand.Rand) string{lit("A3-PAPER-SIZE")}},
	{"dynatrace-token", cat(lit("dt0c01."), rs(csUpper+csDig, 24), lit("."), rs(csUpper+csDig, 64)), []func(*rand.Rand) string{short("dt0c01.", csAN)}},
	{"github-token", oneOf(pre("ghp_", csAN, 36), pre("gho_", csAN, 36), pre("ghu_", csAN, 36), pre("ghs_", csAN, 36), pre("ghr_", csAN, 36), pre("github_pat_", csAN+"_", 82)), []func(*rand.Rand) string{short("ghp_", csAN), inWord("ghp_", csAN, 36), short("github_pat_", csAN)}},
	{"gitlab-token", oneOf(pre("glpat-", csB64US, 20), pre("gldt-", csB64US, 20), pre("glrt-", csB64US, 20), pre("glptt-", csHexL, 40), pre("glsoat-", csB64US, 20), pre("glcbt-", csB64US, 24), pre("glft-", csB64US, 20)), []func(*rand.Rand) string{short("glpat-", csB64US), short("gldt-", csAN)}},
	{"npm-token", pre("npm_", csAN, 36), []func(*rand.Rand) string{short("npm_", csAN), lit("npm_config_cache")}},
	{"pypi-token", pre("pypi-AgEIcHlwaS5vcmc", csB64US, 70), []func(*rand.Rand) string{lit("pypi-AgE")}},
	{"rubygems-token", pre("rubygems_", csHexL, 48), []func(*rand.Rand) string{lit("rubygems_org")}},
	{"clojars-token", pre("CLOJARS_", csAN, 60), []func(*rand.Rand) string{lit("CLOJARS_URL")}},
	{"artifactory-token", pre("AKCp", csAN, 69), []func(*rand.Rand) string{short("AKCp", csAN)}},
	{"atlassian-token", pre("ATATT3", csB64US+"=", 186), []func(*rand.Rand) string{short("ATATT3", csAN)}},
	{"postman-token", cat(lit("PMAK-"), rs(csHexL, 24), lit("-"), rs(csHexL, 34)), []func(*rand.Rand) string{short("PMAK-", csHexL)}},
	{"readme-token", pre("rdme_", csAN, 70), []func(*rand.Rand) string{short("rdme_", csAN)}},
	{"prefect-token", pre("pnu_", csAN, 36), []func(*rand.Rand) string{short("pnu_", csAN)}},
	{"linear-api-key", pre("lin_api_", csAN, 40), []func(*rand.Rand) string{short("lin_api_", csAN)}},
	{"sentry-token", oneOf(pre("sntryu_", csHexL, 64), pre("sntrys_eyJpYXQiO", csB64S, 120)), []func(*rand.Rand) string{short("sntryu_", csHexL)}},
	{"grafana-token", oneOf(cat(lit("glsa_"), rs(csAN, 32), lit("_"), rs(csHexL, 8)), pre("glc_", csB64S, 60)), []func(*rand.Rand) string{short("glsa_", csAN)}},
	{"new-relic-key", oneOf(pre("NRAK-", csUpper+csDig, 27), pre("NRJS-", csHexL, 19)), []func(*rand.Rand) string{short("NRAK-", csAN)}},
	{"frameio-token", pre("fio-u-", csB64US, 64), []func(*rand.Rand) string{short("fio-u-", csAN)}},
	{"stripe-key", oneOf(pre("sk_live_", csAN, 24), pre("sk_test_", csAN, 99), pre("rk_live_", csAN, 24)), []func(*rand.Rand) string{pre("pk_live_", csAN, 24), short("sk_live_", csAN), inWord("sk_live_", csAN, 24)}},
	{"stripe-webhook-secret", pre("whsec_", csAN, 32), []func(*rand.Rand) string{short("whsec_", csAN)}},
	{"square-token", oneOf(pre("sq0csp-", csB64US, 43), pre("sq0atp-", csB64US, 22), pre("EAAA", csB64US, 60)), []func(*rand.Rand) string{short("sq0atp-", csAN)}},
	{"facebook-access-token", oneOf(pre("EAAC", csAN, 150), pre("EAAM", csAN, 180)), []func(*rand.Rand) string{short("EAAC", csAN)}},
	{"braintree-token", oneOf(cat(lit("access_token$production$"), rs(csLower+csDig, 16), lit("$"), rs(csHexL, 32)), cat(lit("access_token$sandbox$"), rs(csLower+csDig, 16), lit("$"), rs(csHexL, 32))), []func(*rand.Rand) string{lit("access_token$production$")}},
	{"shopify-token", oneOf(pre("shpat_", csHexL, 32), pre("shpss_", csHexL, 32), pre("shpca_", csHexL, 32), pre("shppa_", csHexL, 32)), []func(*rand.Rand) string{short("shpat_", csHexL)}},
	{"shippo-token", pre("shippo_live_", csHexL, 40), []func(*rand.Rand) string{short("shippo_live_", csHexL)}},
	{"duffel-token", pre("duffel_test_", csB64US, 43), []func(*rand.Rand) string{short("duffel_test_", csAN)}},
	{"easypost-token", pre("EZAK", csAN, 54), []func(*rand.Rand) string{short("EZAK", csAN)}},
	{"flutterwave-key", cat(lit("FLWSECK_TEST-"), rs(csHexL, 32), lit("-X")), []func(*rand.Rand) string{lit("FLWSECK_TEST-")}},
	{"sendgrid-api-token", cat(lit("SG."), rs(csB64US, 22), lit("."), rs(csB64US, 43)), []func(*rand.Rand) string{short("SG.", csAN), lit("SG.Settings.Load")}},
	{"sendinblue-token", cat(lit("xkeysib-"), rs(csHexL, 64), lit("-"), rs(csAN, 16)), []func(*rand.Rand) string{short("xkeysib-", csHexL)}},
	{"mailgun-key", oneOf(pre("key-", csHexL, 32), cat(rs(csHexL, 32), lit("-"), rs(csHexL, 8), lit("-"), rs(csHexL, 8))), []func(*rand.Rand) string{pre("key-", csHexL, 31), pre("monkey-", csHexL, 32), lit("key-value")}},
	{"twilio-api-key", pre("SK", csHexL, 32), []func(*rand.Rand) string{pre("SKU", csHexL, 31), pre("SK", csHexL, 20)}},
	{"slack-token", oneOf(cat(lit("xoxb-"), rs(csDig, 12), lit("-"), rs(csDig, 13), lit("-"), rs(csAN, 24)), cat(lit("xoxp-"), rs(csDig, 12), lit("-"), rs(csDig, 12), lit("-"), rs(csDig, 13), lit("-"), rs(csHexL, 32)), cat(lit("xapp-1-A"), rs(csUpper+csDig, 10), lit("-"), rs(csDig, 13), lit("-"), rs(csHexL, 64)), cat(lit("xoxe.xoxp-1-"), rs(csAN, 163))), []func(*rand.Rand) string{short("xoxb-", csDig), lit("xoxo hugs")}},
	{"slack-webhook", cat(lit("https://hooks.slack.com/services/T"), rs(csUpper+csDig, 8), lit("/B"), rs(csUpper+csDig, 8), lit("/"), rs(csAN, 24)), []func(*rand.Rand) string{lit("https://api.slack.com/messaging/webhooks")}},
	{"discord-webhook", oneOf(cat(lit("https://discord.com/api/webhooks/"), rs(csDig, 18), lit("/"), rs(csB64US, 68)), cat(lit("https://discordapp.com/api/webhooks/"), rs(csDig, 19), lit("/"), rs(csB64US, 68))), []func(*rand.Rand) string{lit("https://discord.com/api/webhooks/")}},
	{"discord-bot-token", oneOf(cat(lit("MT"), rs(csB64US, 24), lit("."), rs(csB64US, 6), lit("."), rs(csB64US, 38)), cat(lit("Nz"), rs(csB64US, 22), lit("."), rs(csB64US, 6), lit("."), rs(csB64US, 27)), cat(lit("OD"), rs(csB64US, 22), lit("."), rs(csB64US, 6), lit("."), rs(csB64US, 27))), []func(*rand.Rand) string{lit("MTA.b.c"), cat(lit("MT"), rs(csAN, 8), lit("."), rs(csAN, 6))}},
	{"firebase-fcm-key", cat(lit("AAAA"), rs(csB64US, 7), lit(":APA91b"), rs(csB64US, 134)), []func(*rand.Rand) string{lit("AAAA:APA91b")}},
	{"twitter-bearer-token", cat(lit(strings.Repeat("A", 22)), rs(csAN+"%", 90)), []func(*rand.Rand) string{lit(strings.Repeat("A", 30))}},
	{"mapbox-secret-token", cat(lit("sk.eyJ"), rs(csB64US, 60), lit("."), rs(csB64US, 22)), []func(*rand.Rand) string{lit("sk.eyJ1")}},
	{"airtable-token", cat(lit("pat"), rs(csAN, 14), lit("."), rs(csHexL, 64)), []func(*rand.Rand) string{cat(lit("pat"), rs(csAN, 14), lit(".notes")), lit("pattern.matching")}},
	{"notion-token", oneOf(cat(lit("ntn_"), rs(csDig, 11), rs(csAN, 35)), pre("secret_", csAN, 43)), []func(*rand.Rand) string{short("ntn_", csAN), lit("secret_santa")}},
	{"huggingface-token", oneOf(pre("hf_", csLower+csUpper, 34), pre("api_org_", csLower+csUpper, 34)), []func(*rand.Rand) string{short("hf_", csAN), lit("hf_hub_download")}},
	{"groq-api-key", pre("gsk_", csAN, 52), []func(*rand.Rand) string{short("gsk_", csAN)}},
	{"replicate-token", pre("r8_", csAN, 37), []func(*rand.Rand) string{short("r8_", csAN)}},
	{"perplexity-api-key", pre("pplx-", csAN, 48), []func(*rand.Rand) string{short("pplx-", csAN)}},
	{"api-key", oneOf(cat(lit("sk-proj-"), rs(csAN, 40), lit("7")), cat(lit("sk-ant-api03-"), rs(csB64US, 93), lit("AA")), cat(lit("sk-"), rs(csAN, 20), lit("T3BlbkFJ"), rs(csAN, 20))), []func(*rand.Rand) string{lit("sk-learn"), lit("sk-abcdefghijklmnopqrstuvwxyz")}},
	{"prose", oneOf(cat(lit("the password is "), rs(csAN, 12), lit("9")), cat(lit("creds are admin / "), rs(csAN, 12)), cat(lit("my passcode is "), rs(csDig, 8)), cat(lit("Password was '"), rs(csAN, 10), lit("'"))), []func(*rand.Rand) string{lit("the password is required"), lit("password is incorrect.")}},
	{"telegram-bot-token", oneOf(cat(rs(csDig, 10), lit(":AA"), rs(csB64US, 33)), cat(lit("https://api.telegram.org/bot"), rs(csDig, 9), lit(":AA"), rs(csB64US, 33), lit("/sendMessage"))), []func(*rand.Rand) string{lit("12:30:AM"), cat(rs(csDig, 10), lit(":AAA")), lit("handler.py:12345678:AssertionErrorRaisedInHandlerFunctionBody")}},
	{"azure-ad-client-secret", cat(rs(csAN, 3), rs(csDig, 1), lit("Q~"), rs(csAN+"_.-", 34)), []func(*rand.Rand) string{lit("Q~ is a tilde"), lit("abc1Q~short")}},
	{"mailchimp-api-key", cat(rs(csHexL, 32), lit("-us"), rs(csDig, 2)), []func(*rand.Rand) string{cat(rs(csHexL, 32), lit("-usage")), cat(rs(csHexL, 31), lit("-us12"))}},
	{"private-key", cat(lit("-----BEGIN OPENSSH PRIVATE KEY-----\n"), rs(csB64S, 70), lit("\n-----END OPENSSH PRIVATE KEY-----")), []func(*rand.Rand) string{lit("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----")}},
	{"userinfo", cat(lit("postgres://app:"), rs(csAN, 16), lit("@db.internal:5432/notes")), []func(*rand.Rand) string{lit("https://db.internal:5432/notes")}},
	{"command-line", oneOf(cat(lit("mysql -u root -p"), rs(csAN, 14), lit(" notes")), cat(lit("curl -u admin:"), rs(csAN, 14), lit(" https://api.example.test")), cat(lit("sshpass -p '"), rs(csAN, 14), lit("' ssh deploy@host")), cat(lit("docker login -u ci -p "), rs(csAN, 14), lit(" registry.example.test")), cat(lit("redis-cli -h cache -a "), rs(csAN, 14), lit(" ping")), cat(lit("app --password "), rs(csAN, 14), lit(" --verbose")), cat(lit("app --password="), rs(csAN, 14))), []func(*rand.Rand) string{lit("mysql -u root -p notes"), lit("ls -a /tmp")}},
	{"odbc-password", cat(lit("Driver={ODBC Driver 18};Server=db;Uid=app;Pwd={"), rs(csAN, 10), lit(";"), rs(csAN, 6), lit("};")), []func(*rand.Rand) string{lit("Driver={ODBC Driver 18};Server=db;Trusted_Connection=yes;")}},
	{"key-value", cat(lit("client_secret="), rs(csAN, 20)), []func(*rand.Rand) string{lit("max_tokens=256"), lit("token_count=12")}},
}

// ruleSeed is the corpus seed: BEIGNET_REDACT_SEED reproduces a run.
func ruleSeed(t testing.TB) uint64 {
	if s := os.Getenv("BEIGNET_REDACT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("BEIGNET_REDACT_SEED: %v", err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// cores are the parts of a generated secret that must not survive: its
// runs of 8 or more letters and digits that are not literal text of the
// generator (lits) and not all digits (IDs such as a webhook's).
func cores(secret string, lits map[string]bool) []string {
	var out []string
	for _, f := range strings.FieldsFunc(secret, func(c rune) bool { return c > 0x7f || !alnumTab[byte(c)] }) {
		if len(f) >= 8 && !lits[f] && strings.Trim(f, csDig) != "" {
			out = append(out, f)
		}
	}
	return out
}

// literals returns the words of gen's fixed text: those that come out
// of more than one of many samples (random runs of 8 never repeat).
func literals(gen func(*rand.Rand) string) map[string]bool {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]int{}
	for range 64 {
		for _, f := range strings.FieldsFunc(gen(rng), func(c rune) bool { return c > 0x7f || !alnumTab[byte(c)] }) {
			seen[f]++
		}
	}
	lits := map[string]bool{}
	for f, n := range seen {
		if n > 1 {
			lits[f] = true
		}
	}
	return lits
}

func TestEveryRuleHasCases(t *testing.T) {
	have := map[string]bool{}
	for _, c := range ruleCases {
		have[c.id] = true
	}
	for _, id := range ruleIDs() {
		switch id {
		case "query", "element", "html-input", "email", "card-number", "multipart", "secret-key":
			continue // tested in patterns_test.go and entry_test.go
		}
		if !have[id] {
			t.Errorf("rule %q has no case in ruleCases", id)
		}
	}
}

// TestRules: each rule finds its own fresh true positives (and reports
// its ID) and keeps its true negatives, alone and inside text.
func TestRules(t *testing.T) {
	seed := ruleSeed(t)
	rng := rand.New(rand.NewPCG(seed, 13))
	r := New(Options{})
	for _, c := range ruleCases {
		t.Run(c.id, func(t *testing.T) {
			lits := literals(c.tp)
			for n := 0; n < 20; n++ {
				secret := c.tp(rng)
				for _, in := range []string{secret, "got " + secret + " back", `{"v":"` + secret + `"}`, "a=" + secret + "\n"} {
					out, names := r.String(in)
					for _, core := range cores(secret, lits) {
						if strings.Contains(out, core) {
							t.Fatalf("seed %d: %s survived in %q", seed, fp(core), out)
						}
					}
					ids := strings.Join(names, ",")
					if c.id == "command-line" {
						ids = strings.ReplaceAll(ids, "key-value", c.id) // "--password=pw"
					}
					if !strings.Contains(ids, c.id) && in == secret {
						t.Errorf("seed %d: rule IDs %v, want %s", seed, names, c.id)
					}
				}
			}
			for _, g := range c.tn {
				neg := g(rng)
				for _, in := range []string{neg, "saw " + neg + " today", `{"v":"` + neg + `"}`} {
					if out, names := r.String(in); out != in {
						t.Errorf("seed %d: negative %q became %q (%v)", seed, in, out, names)
					}
				}
			}
		})
	}
}

// A corpusContext places a value in an event the way an app would
// record it. keyed contexts put it under a secret-looking key, so they
// only count positives.
type corpusContext struct {
	name  string
	keyed bool
	build func(id, v string) event.Event
	// heavy contexts (64 KiB) run one round and the shared negatives once.
	heavy bool
}

func httpEvent(body, ct string) event.Event {
	return event.Event{Kind: event.KindRequest, HTTP: &event.HTTP{Method: "POST", URL: "/api/notes", RequestBody: &event.Body{ContentType: ct, Text: body, Size: int64(len(body))}}}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// naturalKey is the key an app would store a rule's secret under.
func naturalKey(id string) string { return strings.ToUpper(strings.ReplaceAll(id, "-", "_")) }

var corpusContexts = []corpusContext{
	{"header", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindRequest, HTTP: &event.HTTP{RequestHeaders: map[string][]string{"X-Debug-Note": {v}}}}
	}, false},
	{"header-params", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindRequest, HTTP: &event.HTTP{ResponseHeaders: map[string][]string{"X-Trace-Context": {"ctx=" + v + "; sampled=1"}}}}
	}, false},
	{"json-neutral-key", false, func(_, v string) event.Event {
		return httpEvent(`{"note":`+jsonString(v)+`,"n":1}`, "application/json")
	}, false},
	{"json-natural-key", true, func(id, v string) event.Event {
		return httpEvent(`{`+jsonString(naturalKey(id))+`:`+jsonString(v)+`}`, "application/json")
	}, false},
	{"json-deep", false, func(_, v string) event.Event {
		return httpEvent(`{"a":{"b":[1,{"c":{"d":[`+jsonString(v)+`]}}]}}`, "application/json")
	}, false},
	{"json-escaped", false, func(_, v string) event.Event {
		return httpEvent(`{"payload":`+jsonString(`{"note":`+jsonString(v)+`}`)+`}`, "application/json")
	}, false},
	{"ndjson", false, func(_, v string) event.Event {
		return httpEvent(`{"a":1}`+"\n"+`{"msg":`+jsonString("got "+v)+`}`+"\n", "application/x-ndjson")
	}, false},
	{"url-query", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindRequest, HTTP: &event.HTTP{URL: "/cb?note=" + url.QueryEscape(v) + "&page=2"}}
	}, false},
	{"provider-url", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindProvider, Provider: &event.Provider{URL: "https://api.example.test/v1/x?q=" + url.QueryEscape(v)}}
	}, false},
	{"form", false, func(_, v string) event.Event {
		return httpEvent("note="+url.QueryEscape(v)+"&n=1", "application/x-www-form-urlencoded")
	}, false},
	{"yaml", false, func(_, v string) event.Event {
		return httpEvent("service:\n  note: "+v+"\n  retries: 3\n", "application/yaml")
	}, false},
	{"env-file", false, func(_, v string) event.Event {
		return httpEvent("APP_NAME=notes\nNOTE="+v+"\nDEBUG=1\n", "text/plain")
	}, false},
	{"logfmt", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindLog, Message: `level=info msg="call done" note=` + v + ` dur=3ms`}
	}, false},
	{"log-line", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindLog, Message: "2026-11-29T09:00:00Z INFO upstream accepted " + v + " for tenant acme"}
	}, false},
	{"message-quoted", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindLog, Message: `sending "` + v + `" to worker 3`}
	}, false},
	{"attrs", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindCustom, Attrs: event.Attrs{"note": v}}
	}, false},
	{"attrs-nested", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindCustom, Attrs: event.Attrs{"ctx": map[string]any{"list": []any{"x", v}}}}
	}, false},
	{"body-64k-cut", false, func(_, v string) event.Event {
		line := "2026-11-29T09:00:00Z INFO GET /api/notes/42 200 3ms ua=curl/8.5\n"
		var b strings.Builder
		for b.Len() < 64<<10-len(v)-400 {
			b.WriteString(line)
		}
		b.WriteString("upstream accepted " + v + " ok\n")
		for b.Len() < 64<<10+100 {
			b.WriteString(line)
		}
		e := httpEvent(b.String()[:64<<10], "text/plain")
		e.HTTP.RequestBody.Truncated = true
		return e
	}, true},
	{"json-cut-escaped", false, func(_, v string) event.Event {
		// A JSON body cut at the capture limit (so not valid JSON): the
		// secret follows an escaped newline inside a string.
		e := httpEvent(`{"log":"line one\n`+strings.ReplaceAll(jsonString(v), `"`, ``)+`\tend","next":{"a":[1,`, "application/json")
		e.HTTP.RequestBody.Truncated = true
		return e
	}, false},
	{"provider-error", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindProvider, Provider: &event.Provider{Error: "upstream said: invalid credential " + v + " (401)"}}
	}, false},
	{"xml", false, func(_, v string) event.Event {
		return httpEvent("<config><note>"+v+"</note><n>1</n></config>", "application/xml")
	}, false},
	{"csv", false, func(_, v string) event.Event {
		return httpEvent("id,name,value,state\n1,ada,"+v+",ok\n", "text/csv")
	}, false},
	{"python-repr", false, func(_, v string) event.Event {
		return event.Event{Kind: event.KindLog, Message: "params={'note': '" + v + "', 'n': 1}"}
	}, false},
}

// survivors returns the cores of secret (raw, JSON-escaped or
// query-escaped) still present in the event's JSON.
func survivors(t *testing.T, e *event.Event, secret string, lits map[string]bool) []string {
	b, err := event.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	enc := string(b)
	var left []string
	for _, core := range cores(secret, lits) {
		if strings.Contains(enc, core) || strings.Contains(enc, url.QueryEscape(core)) {
			left = append(left, core)
		}
	}
	return left
}

// TestCorpus tries every rule in every context and measures recall
// (secrets gone) and the negatives kept. Target: 99.5% each.
func TestCorpus(t *testing.T) {
	seed := ruleSeed(t)
	rng := rand.New(rand.NewPCG(seed, 22))
	r := New(Options{})
	const rounds = 3
	pos, caught, neg, kept := 0, 0, 0, 0
	misses := map[string]int{}
	for ci, c := range ruleCases {
		lits := literals(c.tp)
		for _, ctx := range corpusContexts {
			n := rounds
			negs := append(c.tn, corpusNegatives...)
			if ctx.heavy {
				n = 1
				if ci > 0 {
					negs = c.tn
				}
			}
			for range n {
				secret := c.tp(rng)
				e := ctx.build(c.id, secret)
				r.Event(&e)
				pos++
				if left := survivors(t, &e, secret, lits); len(left) == 0 {
					caught++
				} else {
					misses[c.id+" in "+ctx.name]++
				}
			}
			if ctx.keyed {
				continue
			}
			for _, g := range negs {
				v := g(rng)
				e := ctx.build(c.id, v)
				before, _ := event.Marshal(&e)
				r.Event(&e)
				after, _ := event.Marshal(&e)
				neg++
				if string(before) == string(after) {
					kept++
				} else {
					misses["negative "+fmt.Sprintf("%.40q", v)+" in "+ctx.name]++
				}
			}
		}
	}
	recall := 100 * float64(caught) / float64(pos)
	keptPct := 100 * float64(kept) / float64(neg)
	t.Logf("seed %d: %d rules x %d contexts: recall %.2f%% (%d/%d), negatives kept %.2f%% (%d/%d)",
		seed, len(ruleCases), len(corpusContexts), recall, caught, pos, keptPct, kept, neg)
	for m, n := range misses {
		t.Logf("miss: %s (%d)", m, n)
	}
	if recall < 99.5 || keptPct < 99.5 {
		t.Errorf("seed %d: recall %.2f%%, negatives kept %.2f%%; want at least 99.5%% each", seed, recall, keptPct)
	}
}

// corpusNegatives are ordinary values that no rule may touch, tried in
// every neutral context beside each rule's own negatives.
var corpusNegatives = []func(*rand.Rand) string{
	rs(csHexL, 40), // a commit hash
	func(r *rand.Rand) string { // a UUID
		return rnd(r, csHexL, 8) + "-" + rnd(r, csHexL, 4) + "-4" + rnd(r, csHexL, 3) + "-a" + rnd(r, csHexL, 3) + "-" + rnd(r, csHexL, 12)
	},
	func(r *rand.Rand) string { return strconv.FormatInt(1_700_000_000_000+r.Int64N(1e11), 10) }, // ms timestamp
	func(r *rand.Rand) string { return "ORD-" + rnd(r, csDig, 16) },
	lit("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"),
	lit("git@github.com:org/repo.git"),
	lit("logo@2x.png"),
	lit("token_type=Bearer elapsed=3ms"),
	lit("max_tokens=256 temperature=0.7"),
	lit("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"),
	func(r *rand.Rand) string { return "/api/notes/" + rnd(r, csDig, 6) + "/comments" },
	lit("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
}

// triggeredRules are the rules found by the scan loop at a byte rather
// than by a row of valueRules.
var triggeredRules = []string{
	"private-key", "key-value", "userinfo", "query", "element", "html-input",
	"telegram-bot-token", "azure-ad-client-secret", "mailchimp-api-key",
	"mailgun-key", "command-line", "odbc-password", "email", "card-number",
	"multipart",
}

// ruleIDs lists the IDs of every built-in rule, sorted, each once: the
// value rules and the key-based ones ("key-value", "secret-key").
func ruleIDs() []string {
	seen := map[string]bool{"secret-key": true}
	for _, r := range valueRules {
		seen[r.id] = true
	}
	for _, id := range triggeredRules {
		seen[id] = true
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// TestSecurityListsEveryRule: SECURITY.md names every rule ID.
func TestSecurityListsEveryRule(t *testing.T) {
	doc, err := os.ReadFile("../../SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ruleIDs() {
		if !strings.Contains(string(doc), "`"+id+"`") {
			t.Errorf("SECURITY.md does not list rule %q", id)
		}
	}
}

// TestTruncatedRows: a body cut at the capture limit inside a token still
// loses the part that is there, for every prefix row.
func TestTruncatedRows(t *testing.T) {
	seed := ruleSeed(t)
	rng := rand.New(rand.NewPCG(seed, 7))
	r := New(Options{})
	for _, row := range valueRules {
		if row.prefix == "" {
			continue
		}
		var alphabet []byte
		for c := 0; c < 256; c++ {
			if row.body[c] && alnumTab[c] {
				alphabet = append(alphabet, byte(c))
			}
		}
		part := rnd(rng, string(alphabet), max(4, row.min/2))
		in := "upstream said " + row.prefix + part
		out, _ := r.BodyString("text/plain", in, true)
		if strings.Contains(out, part) {
			t.Errorf("seed %d: %s: the cut token's %s survived: %q", seed, row.id, fp(part), strings.ReplaceAll(out, part, fp(part)))
		}
	}
}
