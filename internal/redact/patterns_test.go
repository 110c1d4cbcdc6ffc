package redact

import (
	"strings"
	"testing"
)

// patternCase: in must lose every one of gone; negatives must come back
// unchanged.
type patternCase struct {
	in   string
	gone []string
}

func TestValuePatterns(t *testing.T) {
	table := []struct {
		rule      string
		positives []patternCase
		negatives []string
	}{
		{"bearer", []patternCase{
			{"call failed with Bearer " + sBearer + " (401)", []string{sBearer}},
			{"authorization=bearer\t" + sBearer, []string{sBearer}},
			{"BEARER " + sJWT, []string{sJWT}},
		}, []string{"Bearer authentication failed", "the bearer of bad news", "Bearer token", "Bearers abcdef12345"}},
		{"basic", []patternCase{
			{"header was Basic " + sBasic, []string{sBasic}},
		}, []string{"basic information about you", "Basic auth is required", "basically 1234567890"}},
		{"jwt", []patternCase{
			{"token " + sJWT + " expired", []string{sJWT}},
			{"/reset/" + sJWT, []string{sJWT}},
			{`{"t":"` + sJWT + `"}`, []string{sJWT}},
		}, []string{"eyJ is base64 for {\"", "eyJhbGciOiJIUzI1NiJ9 alone is a header", "keyJam.x.y"}},
		{"aws", []patternCase{
			{"id " + sAWSID + " used", []string{sAWSID}},
			{"id=" + sAWSID2, []string{sAWSID2}},
			{"aws_secret_access_key=" + sAWSKey, []string{sAWSKey}},
			{"AWS_SECRET_ACCESS_KEY: " + sAWSKey, []string{sAWSKey}},
		}, []string{"AKIA is a prefix", "AKIAIOSFODNN7EXAMPLEX1", "XAKIAIOSFODNN7EXAMPLE", "ASIAN food"}},
		{"github", []patternCase{
			{"push with " + sGHP, []string{sGHP}},
			{sGHO + " " + sGHS + " " + sGHU + " " + sGHR, []string{sGHO, sGHS, sGHU, sGHR}},
			{"GITHUB_TOKEN=" + sGHPat, []string{sGHPat}},
			{"token " + sGHPat + ".", []string{sGHPat}},
		}, []string{"ghp_short", "github_pat_x", "aghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ"}},
		{"stripe", []patternCase{
			{"key " + sStripe, []string{sStripe}},
			{sStripeT + "," + sStripeRK, []string{sStripeT, sStripeRK}},
		}, []string{"pk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_", "desk_live_4eC39HqLyjWDarjtT1zdp7dc"}},
		{"slack", []patternCase{
			{"slack " + sSlack, []string{sSlack}},
			{"post to https://hooks.slack.com/services/" + sSlackHk + " now", []string{sSlackHk}},
		}, []string{"xoxo kisses", "hooks.slack.com is the host"}},
		{"google", []patternCase{
			{"maps?key=" + sGoogle, []string{sGoogle}},
			{"google " + sGoogle, []string{sGoogle}},
		}, []string{"AIza", "AIzaShort-123"}},
		{"sk-", []patternCase{
			{"OPENAI_API_KEY=" + sOpenAI, []string{sOpenAI}},
			{"using " + sOpenAI + " for llm", []string{sOpenAI}},
		}, []string{"sk-learn is a library", "task-runner-abcdefghijklmnopqrstuvwx", "sk-abcdefghijklmnopqrstuvwxyz"}},
		{"pem", []patternCase{
			{"key:\n" + sPEM + "\nend", []string{sPEMBody, "q1w2e3r4t5y6u7i8o9p0"}},
			{"-----BEGIN OPENSSH PRIVATE KEY-----\n" + sPEMBody + "\n", []string{sPEMBody}},
			{`{"k":"-----BEGIN EC PRIVATE KEY-----\n` + sPEMBody + `\n-----END EC PRIVATE KEY-----"}`, []string{sPEMBody}},
		}, []string{"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----"}},
		{"userinfo", []patternCase{
			{"dsn postgres://admin:s3cr3tPW@db.internal:5432/app", []string{"admin", "s3cr3tPW"}},
			{"clone https://" + sGHP + "@github.com/o/r.git", []string{sGHP}},
			{"redis://:onlypass@127.0.0.1:6379", []string{"onlypass"}},
		}, []string{"http://localhost:8080/path", "mailto:ada@example.com", "see https://example.com/@user/profile"}},
		{"key-value", []patternCase{
			{"login failed password=hunter2 for user", []string{"hunter2"}},
			{`error: {"api_key":"abc123xyz","n":1}`, []string{"abc123xyz"}},
			{`error: {\"client_secret\":\"zz9y8x\"}`, []string{"zz9y8x"}},
			{"token: tkn-998877", []string{"tkn-998877"}},
			{"client_secret='zzz999'", []string{"zzz999"}},
			{"Authorization: Bearer abc", []string{"abc"}},
			{"Authorization: Digest username=\"a\", response=\"6629fae49393a053\"", []string{"6629fae49393a053"}},
			{"cookie: session=9f8e7d; theme=dark", []string{"9f8e7d"}},
			{"x-api-key : k_12345", []string{"k_12345"}},
			{"PASSWORD=p@ss word", []string{"p@ss"}},
			{"password: token of love", []string{"token", "love"}},
			{"password=Basic horse", []string{"Basic", "horse"}},
			{`{"password":"Key abc"}`, []string{"Key", "abc"}},
			{"password: correct horse battery staple\nnext: line", []string{"correct", "horse", "battery", "staple"}},
			{"GET / HTTP/1.1\r\nCookie: a=v1x; b=v2y\r\nHost: h", []string{"v1x", "v2y"}},
		}, []string{"max_tokens=100 prompt_tokens: 20", "author: Ada Lovelace", "tokenizer: bpe", "token_count=5",
			"password: null", "secretary: Bob", "time 09:00:00 a==b", "password=[REDACTED]"}},
		{"element", []patternCase{
			{"<login><user>ada</user><password>hunter2</password></login>", []string{"hunter2"}},
			{"<soap:Body><api_key>k-123</api_key>", []string{"k-123"}},
		}, []string{"<p>password</p>", "<author>Ada</author>", "<password></password>", "a > b", "<b>bold</b>"}},
		{"html-input", []patternCase{
			{`<input type="password" name="pw" value="hunter2">`, []string{"hunter2"}},
			{`<input value='hunter2' name="password" />`, []string{"hunter2"}},
			{`<input type=hidden name=csrf_token value=c5rf70k3n>`, []string{"c5rf70k3n"}},
			{"<form>\n  <input\n    id=\"api_key\"\n    value=\"k-123\"\n  >", []string{"k-123"}},
			{`<input type="password" value="hunter2 cut at the lim`, []string{"hunter2"}},
		}, []string{`<input type="text" name="username" value="ada">`, `<input name="max_tokens" value="512">`,
			`<option value="password">Password</option>`, `value="x" <input type="password">`, `<input type="password" value="">`}},
		{"query", []patternCase{
			{"GET https://x.test/cb?code=authcode123&state=1", []string{"authcode123"}},
			{"https://s3.test/o?X-Amz-Credential=AK%2F1&X-Amz-Signature=deadbeef01", []string{"AK%2F1", "deadbeef01"}},
			{"https://x.test/a?sig=abc987&key=k123#access_token=at456", []string{"abc987", "k123", "at456"}},
		}, []string{"https://example.com/a?page=2&q=token", "https://x.test/?state=xyz&lang=en"}},
		{"look-alikes", nil, []string{
			"order 4111111111111112 shipped",                         // Luhn-invalid 16 digits
			"id 123e4567-e89b-12d3-a456-426614174000",                // UUID
			"commit 9fceb02d0ae598e95dc970b74767f19372d61af8 merged", // git SHA
			"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
			"at 2026-11-29T09:00:00.123Z from 127.0.0.1:5555",
			"trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
			"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			"GET /notes/{id} 200 1.8ms",
		}},
	}
	r := New(Options{})
	for _, tc := range table {
		for i, p := range tc.positives {
			out, names := r.String(p.in)
			if len(names) == 0 {
				t.Errorf("%s positive %d: nothing redacted", tc.rule, i)
			}
			for _, g := range p.gone {
				if strings.Contains(out, g) {
					t.Errorf("%s positive %d: secret %s survived (rules %v)", tc.rule, i, fp(g), names)
				}
			}
			if !strings.Contains(out, Replacement) {
				t.Errorf("%s positive %d: no %s marker", tc.rule, i, Replacement)
			}
		}
		for i, n := range tc.negatives {
			if out, names := r.String(n); out != n || names != nil {
				t.Errorf("%s negative %d: %q changed to %q (rules %v)", tc.rule, i, n, out, names)
			}
		}
	}
}

func TestKeepsContext(t *testing.T) {
	r := New(Options{})
	cases := map[string]string{
		"Authorization: Bearer " + sBearer:      "Authorization: Bearer [REDACTED]",
		"retry with Bearer " + sBearer + " now": "retry with Bearer [REDACTED] now",
		`{"password":"hunter2","user":"ada"}`:   `{"password":"[REDACTED]","user":"ada"}`,
		"https://u:p@h.test/x?token=t1&page=2":  "https://[REDACTED]@h.test/x?token=[REDACTED]&page=2",
		"a " + sPEM + " b":                      "a -----BEGIN RSA PRIVATE KEY-----\n[REDACTED]\n-----END RSA PRIVATE KEY----- b",
		"password=a&token=b&max_tokens=3":       "password=[REDACTED]&token=[REDACTED]&max_tokens=3",
		"login password=hunter2, user=ada":      "login password=[REDACTED], user=ada",
	}
	for in, want := range cases {
		if got, _ := r.String(in); got != want {
			t.Errorf("String(%s):\n got %q\nwant %q", fp(in), got, want)
		}
	}
}

func TestPII(t *testing.T) {
	plain := New(Options{})
	pii := New(Options{Emails: true, CardNumbers: true})
	cards := []string{"4111 1111 1111 1111", "4111-1111-1111-1111", "5500005555555559", "378282246310005"}
	for _, c := range cards {
		in := "paid with " + c + "."
		if out, _ := plain.String(in); out != in {
			t.Errorf("card redacted without WithCardNumbers: %s", fp(c))
		}
		if out, _ := pii.String(in); strings.Contains(out, c) || !strings.Contains(out, Replacement) {
			t.Errorf("card %s survived WithCardNumbers", fp(c))
		}
	}
	for _, n := range []string{"order 4111111111111112 shipped", "id 1234567890123", "phone 555 1234", "v 2026-11-29"} {
		if out, _ := pii.String(n); out != n {
			t.Errorf("look-alike changed: %q -> %q", n, out)
		}
	}
	if out, _ := pii.JSON([]byte(`{"card":4111111111111111,"order":4111111111111112}`)); string(out) != `{"card":"[REDACTED]","order":4111111111111112}` {
		t.Errorf("card as JSON number: %s", out)
	}
	if out, _ := pii.Value(map[string]any{"card": int64(4111111111111111)}); out.(map[string]any)["card"] != Replacement {
		t.Errorf("card as int: %v", out)
	}
	emails := []string{"ada@example.com", "first.last+tag@mail.example.co.uk"}
	for _, e := range emails {
		in := "from <" + e + "> hi"
		if out, _ := plain.String(in); out != in {
			t.Errorf("email redacted without WithEmails")
		}
		if out, _ := pii.String(in); strings.Contains(out, e) {
			t.Errorf("email %s survived WithEmails", fp(e))
		}
	}
	for _, n := range []string{"@user mentioned", "a@b", "x@localhost is fine", "git@ alone"} {
		if out, _ := pii.String(n); out != n {
			t.Errorf("email look-alike changed: %q -> %q", n, out)
		}
	}
}

func TestTruncated(t *testing.T) {
	r := New(Options{})
	cases := []struct {
		ct, in string
		gone   string
	}{
		{"text/plain", "GET /x HTTP/1.1\r\nAuthorization: Bearer abc", "abc"},
		{"text/plain", "GET /x HTTP/1.1\r\nAuthorization: Bea", "Bea"},
		{"text/plain", "log: sent Bearer abcdef", "abcdef"},
		{"text/plain", "token " + sJWT[:50], sJWT[:50]},
		{"text/plain", "jwt " + sJWT[:20], sJWT[:20]},
		{"application/json", `{"user":"ada","password":"hun`, "hun"},
		{"application/json", `{"user":"ada","token":"ab\"c`, `ab\"c`},
		{"application/json", `{"note":"key ` + sGHP[:10], sGHP[:10]},
		{"application/json", `[{"a":1},{"apiKey":12`, "12"},
		{"text/plain", "id " + sAWSID[:12], sAWSID[:12]},
		{"text/plain", "k " + sStripe[:12], sStripe[:12]},
		{"text/plain", "db postgres://admin:s3c", "admin:s3c"},
		{"application/x-www-form-urlencoded", "user=ada&password=hun", "hun"},
		{"application/x-www-form-urlencoded", "user=ada&note=Bearer+abc", "abc"},
		{"text/plain", "x -----BEGIN RSA PRIVATE KEY-----\n" + sPEMBody[:20], sPEMBody[:20]},
	}
	for i, c := range cases {
		out, _ := r.Body(c.ct, []byte(c.in), true)
		if strings.Contains(string(out), c.gone) {
			t.Errorf("case %d: partial secret %s survived truncation", i, fp(c.gone))
		}
	}
	// Without the truncated flag, an unfinished look-alike is kept.
	for _, in := range []string{"jwt eyJhbGciOiJIUzI1NiJ9", "log: sent Bearer abc", "id AKIA1234"} {
		if out, _ := r.Body("text/plain", []byte(in), false); string(out) != in {
			t.Errorf("not truncated, yet %q became %q", in, out)
		}
	}
}

func TestCustomPattern(t *testing.T) {
	r := New(Options{Patterns: []Pattern{{Name: "acme", Regexp: regexpMust(`acme_([a-z0-9]{8,})`), Prefilter: []string{"acme_"}}, {Name: "nop"}}})
	out, names := r.String("k acme_abcdef123 and acme_x")
	if out != "k acme_[REDACTED] and acme_x" || len(names) != 1 || names[0] != "acme" {
		t.Fatalf("got %q %v", out, names)
	}
	// The prefilter keeps the regexp from running; without a match the
	// input comes back as is.
	if out, names := r.String("nothing here"); out != "nothing here" || names != nil {
		t.Fatalf("got %q %v", out, names)
	}
}

func TestNestedURL(t *testing.T) {
	r := New(Options{})
	in := "redirect https://a.test/?next=https://bob:pw123456@b.test/x?sig=s1gn4ture done"
	out, _ := r.String(in)
	for _, g := range []string{"pw123456", "bob", "s1gn4ture"} {
		if strings.Contains(out, g) {
			t.Errorf("%s survived in a nested URL", fp(g))
		}
	}
}
