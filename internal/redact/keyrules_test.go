package redact

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/beignet/devtools/event"
)

// keyContexts place key: value the ways apps write it.
var keyContexts = []struct {
	name  string
	build func(k, v string) event.Event
}{
	{"json", func(k, v string) event.Event {
		return httpEvent(`{`+jsonString(k)+`:`+jsonString(v)+`}`, "application/json")
	}},
	{"env", func(k, v string) event.Event { return httpEvent("A=1\n"+k+"="+v+"\nB=2\n", "text/plain") }},
	{"logfmt", func(k, v string) event.Event {
		return event.Event{Kind: event.KindLog, Message: "level=info " + k + "=" + v + " dur=3ms"}
	}},
	{"yaml", func(k, v string) event.Event {
		return httpEvent("smtp:\n  "+k+": "+v+"\n  port: 587\n", "application/yaml")
	}},
	{"form", func(k, v string) event.Event {
		return httpEvent("a=1&"+url.QueryEscape(k)+"="+url.QueryEscape(v), "application/x-www-form-urlencoded")
	}},
	{"query", func(k, v string) event.Event {
		return event.Event{Kind: event.KindRequest, HTTP: &event.HTTP{URL: "/x?" + url.QueryEscape(k) + "=" + url.QueryEscape(v)}}
	}},
	{"attrs", func(k, v string) event.Event { return event.Event{Kind: event.KindCustom, Attrs: event.Attrs{k: v}} }},
	{"header", func(k, v string) event.Event {
		return event.Event{Kind: event.KindRequest, HTTP: &event.HTTP{RequestHeaders: map[string][]string{k: {v}}}}
	}},
	{"js-object", func(k, v string) event.Event {
		return event.Event{Kind: event.KindLog, Message: "transport options { " + k + ": '" + v + "', port: 587 }"}
	}},
}

// TestKeyRules: keys that name a credential keep their values out;
// keys that name something else (max_tokens, primary_key, sort_key,
// public_key, publishable_key, a bare key) keep their values.
func TestKeyRules(t *testing.T) {
	seed := ruleSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	r := New(Options{})
	creds := []func(*rand.Rand) string{
		rs(csHexL, 40), rs(csAN, 32), pre("key-", csHexL, 32), rs(csB64US, 32),
	}
	secretKeys := []string{
		"smtp_pass", "pass", "DD_APP_KEY", "ALGOLIA_ADMIN_KEY", "mg_key", "sgKey",
		"GITLAB_PAT", "github_pat", "DD-APPLICATION-KEY", "connect.sid", "JSESSIONID",
		"PHPSESSID", "laravel_session", "_session_id", "ASP.NET_SessionId", "okta_org",
		"AccountKey", "license_key", "appKey", "APPKEY", "x-api-key",
	}
	for _, k := range secretKeys {
		for _, ctx := range keyContexts {
			v := creds[rng.IntN(len(creds))](rng)
			e := ctx.build(k, v)
			r.Event(&e)
			if b, _ := event.Marshal(&e); strings.Contains(string(b), v) || strings.Contains(string(b), url.QueryEscape(v)) {
				t.Errorf("seed %d: %s in %s: value survived: %s", seed, k, ctx.name, strings.ReplaceAll(string(b), v, fp(v)))
			}
		}
	}
	kept := []struct{ k, v string }{
		{"max_tokens", "256"},
		{"primary_key", "user_id"},
		{"sort_key", "created_at"},
		{"key", "created_at"},
		{"public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx2Yq0Rk8Fv3pQm7wTz9bLh4cN1dE6aS5uJ0kW2oXyZ ada@laptop"},
		{"publishable_key", "pk_live_" + rnd(rng, csAN, 24)},
		{"stripePublishableKey", "pk_test_" + rnd(rng, csAN, 24)},
		{"idempotency_key", "6f1c2a9e-4b7d-4e21-9c3a-8d5f0b7e1a42"},
		{"cache_key", "user:42:profile"},
		{"s3_key", "uploads/2026/11/logo-" + rnd(rng, csAN, 12) + ".png"},
		{"foreign_key", "orders_user_id_fkey"},
		{"token_type", "Bearer"},
		{"token_count", "1234"},
		{"password_policy", "min12"},
		{"author", "ada"},
		{"passenger", "Ada Lovelace"},
		{"pattern", "^[a-z]+$"},
		{"monkey", rnd(rng, csAN, 20)},
	}
	for _, c := range kept {
		for _, ctx := range keyContexts {
			e := ctx.build(c.k, c.v)
			before, _ := event.Marshal(&e)
			r.Event(&e)
			if after, _ := event.Marshal(&e); string(after) != string(before) {
				t.Errorf("%s=%q in %s changed: %s", c.k, c.v, ctx.name, after)
			}
		}
	}
}

// TestFreeTextForms: assignments and command lines as they show up in
// logs, stack traces and shell history.
func TestFreeTextForms(t *testing.T) {
	seed := ruleSeed(t)
	rng := rand.New(rand.NewPCG(seed, 3))
	r := New(Options{})
	for _, form := range []func(pw string) string{
		func(pw string) string { return `$config = ['password' => '` + pw + `', 'host' => 'db'];` },
		func(pw string) string { return `{ :password => "` + pw + `", :host => "db" }` },
		func(pw string) string { return `Redis.new(password: "` + pw + `")` },
		func(pw string) string { return `password := "` + pw + `"` },
		func(pw string) string { return `apiKey := "` + pw + `"` },
		func(pw string) string {
			return "level=warn password=" + pw[:6] + "&" + pw[6:10] + ";" + pw[10:] + " msg=retry"
		},
		func(pw string) string { return "curl -u admin:" + pw + " https://api.example.test" },
		func(pw string) string { return "curl --user admin:" + pw + " https://api.example.test" },
		func(pw string) string { return "mysql -h db -u root -p" + pw + " notes" },
		func(pw string) string { return "sshpass -p '" + pw + "' ssh deploy@web1" },
		func(pw string) string { return "docker login -u ci -p " + pw + " registry.example.test" },
		func(pw string) string { return "redis-cli -h cache -a " + pw + " ping" },
		func(pw string) string { return "./app --password=" + pw + " --port 80" },
		func(pw string) string { return "./app --password " + pw + " --port 80" },
		func(pw string) string { return "./app --db-password '" + pw + "'" },
		func(pw string) string { return "the password is " + pw + "." },
		func(pw string) string { return "passcode: " + pw },
		func(pw string) string { return "creds are admin / " + pw },
		func(pw string) string {
			return "Driver={ODBC Driver 18};Server=db;Uid=app;Pwd={" + pw[:8] + ";" + pw[8:] + "};"
		},
		func(pw string) string { return "Server=db;Database=notes;User Id=app;Password=" + pw + ";" },
	} {
		pw := rnd(rng, csAN, 14) + "9"
		in := form(pw)
		out, _ := r.String(in)
		for _, part := range []string{pw, pw[:6], pw[6:10], pw[10:], pw[:8], pw[8:]} {
			if len(part) >= 4 && strings.Contains(out, part) {
				t.Errorf("seed %d: %q kept %s: %q", seed, in, fp(part), strings.ReplaceAll(out, pw, fp(pw)))
				break
			}
		}
	}
	for _, in := range []string{
		"ls -a /tmp",
		"mysql -u root -p notes",
		"grep -p pattern file",
		"the password is required",
		"your password is incorrect.",
		"token=abc&page=2",
		"a == b",
		"x := y + 1",
	} {
		if out, names := r.String(in); out != in && in != "token=abc&page=2" {
			t.Errorf("%q became %q (%v)", in, out, names)
		}
	}
	if out, _ := r.String("GET /x?token=abc123&page=2"); !strings.Contains(out, "page=2") {
		t.Errorf("query continuation lost: %q", out)
	}
}

// TestFalsePositivesRemoved: the shapes the issue named stay whole.
func TestFalsePositivesRemoved(t *testing.T) {
	r := New(Options{Emails: true, CardNumbers: true})
	for _, in := range []string{
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
		`{"SecretId":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"}`,
		"token_type=Bearer elapsed=3ms",
		"ts=1732870800123 id=1732870800123456",
		"order 4000123412341231 shipped",                 // Luhn-valid, Visa-like? see below
		"msg 9000000000000009 and 8000000000000001 ok",   // no issuer
		"clone git@github.com:org/repo.git then cd repo", // scp remote
		`<img src="/img/logo@2x.png">`,
		"1234567890123452",
	} {
		out, names := r.String(in)
		if in == "order 4000123412341231 shipped" {
			// A 16-digit number in Visa's range that passes Luhn is a
			// card number as far as anyone can tell.
			continue
		}
		if out != in {
			t.Errorf("%q became %q (%v)", in, out, names)
		}
	}
	for _, in := range []string{"card 4111 1111 1111 1111 ok", "amex 378282246310005", "mc 5555555555554444"} {
		if out, _ := r.String(in); out == in {
			t.Errorf("card kept: %q", in)
		}
	}
	if out, _ := r.String("mail ada@example.com: hello"); strings.Contains(out, "ada@") {
		t.Errorf("email kept: %q", out)
	}
}

// TestHookKeptIsNotReported: a value the hook keeps as it is is not
// listed in e.Redacted.
func TestHookKeptIsNotReported(t *testing.T) {
	r := New(Options{Hook: func(path []string, v any) (any, bool) {
		if path[len(path)-1] == "diagnosis" || path[len(path)-1] == "x-keep" || path[len(path)-1] == "keep" {
			return v, true
		}
		return nil, false
	}})
	e := event.Event{
		Kind:  event.KindRequest,
		Attrs: event.Attrs{"diagnosis": "flu", "password": "hunter2"},
		HTTP: &event.HTTP{
			URL:            "/x?keep=abc&token=t0k3n",
			RequestHeaders: map[string][]string{"X-Keep": {"v"}},
			RequestBody:    &event.Body{ContentType: "application/json", Text: `{"diagnosis":"flu","n":1}`},
		},
	}
	got := r.Event(&e)
	want := []string{"attrs.password", "http.url.query.token"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("redacted %v, want %v", got, want)
	}
	if e.Attrs["diagnosis"] != "flu" || e.HTTP.RequestBody.Text != `{"diagnosis":"flu","n":1}` {
		t.Errorf("kept values changed: %+v %q", e.Attrs, e.HTTP.RequestBody.Text)
	}
}
