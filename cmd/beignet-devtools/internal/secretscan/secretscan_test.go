package secretscan

import (
	"strings"
	"testing"
)

// Fake secrets, concatenated so that source scanners do not flag them.
var (
	awsID   = "AKIA" + "ABCDEFGHIJKLMNOP"
	ghTok   = "ghp" + "_" + strings.Repeat("a1B2", 9)
	stripe  = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"
	jwt     = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0" + "." + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	pem     = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow..."
	google  = "AIza" + "SyA1234567890abcdefghijklmnopqrstuv"
	slack   = "xox" + "b-123456789012-abcdefghijkl"
	bearer  = "Bearer " + "abcdefghijklmnopqrstuvwxyz012345"
	userURL = "postgres://app:" + "hunter2hunter2" + "@db.internal:5432/app"
)

func scan(t *testing.T, raw string) []Finding {
	t.Helper()
	got, err := New().Event([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func rules(fs []Finding) map[string]string {
	m := map[string]string{}
	for _, f := range fs {
		m[f.Path] = f.Rule
	}
	return m
}

func TestValueRules(t *testing.T) {
	cases := map[string]string{
		awsID:   "aws-access-key-id",
		ghTok:   "github-token",
		stripe:  "stripe-key",
		jwt:     "jwt",
		pem:     "private-key",
		google:  "google-api-key",
		slack:   "slack-token",
		bearer:  "bearer",
		userURL: "userinfo",
	}
	for secret, rule := range cases {
		raw := `{"v":1,"id":"01JDQ3Z9X8K4M2N6P7R8S9T0VW","kind":"log","message":` + quote("value: "+secret+" end") + `}`
		got := scan(t, raw)
		if len(got) != 1 || got[0].Rule != rule || got[0].Path != "message" || got[0].EventID != "01JDQ3Z9X8K4M2N6P7R8S9T0VW" {
			t.Errorf("%s: got %+v", rule, got)
		}
		for _, f := range got {
			if strings.Contains(f.String(), secret) {
				t.Errorf("finding quotes the secret: %s", f)
			}
		}
	}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestKeyRulesInsideBodiesURLsAndCookies(t *testing.T) {
	raw := `{"v":1,"id":"X","kind":"request","http":{"url":"/notes?access_token=abcdef123456&page=2",` +
		`"requestHeaders":{"authorization":["Token abcdefgh12345"],"cookie":["session=0123456789abcdef0123; theme=dark"],"accept":["*/*"]},` +
		`"requestBody":{"contentType":"application/json","size":10,"text":"{\"email\":\"a@b.c\",\"user\":{\"password\":\"hunter2hunter2\"},\"max_tokens\":100,\"author\":\"ada lovelace\",\"token_type\":\"bearer\"}"},` +
		`"responseBody":{"contentType":"application/x-www-form-urlencoded","size":10,"text":"client_secret=abcdefabcdef&state=ok"}},` +
		`"attrs":{"awsSecretAccessKey":"wJalrXUtnFEMI/K7MDENG","apiKey":"[REDACTED]","note":"fine"}}`
	got := rules(scan(t, raw))
	want := map[string]string{
		"http.url.query.access_token":          RuleSecretKey,
		"http.requestHeaders.authorization":    RuleSecretKey,
		"http.requestHeaders.cookie.session":   RuleCookie,
		"http.requestBody.text.user.password":  RuleSecretKey,
		"http.responseBody.text.client_secret": RuleSecretKey,
		"attrs.awsSecretAccessKey":             RuleSecretKey,
	}
	for p, r := range want {
		if got[p] != r {
			t.Errorf("missing %s (%s); got %v", p, r, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("unexpected findings: got %v", got)
	}
}

func TestRedactedEventIsClean(t *testing.T) {
	raw := `{"v":1,"id":"X","kind":"request","name":"POST /signin","http":{"url":"/notes?access_token=%5BREDACTED%5D",` +
		`"requestHeaders":{"authorization":["[REDACTED]"],"cookie":["[REDACTED]"],"x-api-key":["[REDACTED:1a2b3c4d]"]},` +
		`"requestBody":{"contentType":"application/json","size":10,"text":"{\"password\":\"[REDACTED]\",\"max_tokens\":100}"},` +
		`"responseHeaders":{"www-authenticate":["Bearer realm=\"notes\""]}},` +
		`"redacted":["http.requestHeaders.authorization"],"message":"Bearer [REDACTED] was used"}`
	if got := scan(t, raw); len(got) != 0 {
		t.Fatalf("redacted event flagged: %+v", got)
	}
}

func TestBadJSON(t *testing.T) {
	if _, err := New().Event([]byte("{nope")); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

// TestNewFamiliesAndIDs: the scanner uses redaction's rule table, so the
// families added to it are found in stores written before, with their IDs.
func TestNewFamiliesAndIDs(t *testing.T) {
	sendgrid := "SG." + strings.Repeat("aB3d", 5) + "xy" + "." + strings.Repeat("Zq9_", 10) + "abc"
	shopify := "shp" + "at_" + strings.Repeat("0a1b", 8)
	raw := `{"v":1,"id":"X","kind":"log","message":` + quote("mail via "+sendgrid) + `,"attrs":{"note":` + quote(shopify) + `,"DD_APP_KEY":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"}}`
	got := rules(scan(t, raw))
	want := map[string]string{"message": "sendgrid-api-token", "attrs.note": "shopify-token", "attrs.DD_APP_KEY": RuleSecretKey}
	for p, r := range want {
		if got[p] != r {
			t.Errorf("%s: got %q, want %q (all: %v)", p, got[p], r, got)
		}
	}
}
