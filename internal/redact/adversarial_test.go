package redact

import (
	"strings"
	"testing"
)

// adversarialUnits are patterns whose repetition makes a naive scanner go
// quadratic.
var adversarialUnits = []string{
	"eyJ.", "eyJhbGciOiJIUzI1NiJ9.", "password=", "password:\"", `"password":"`, `\"token\":\"`, "://", "https://a@",
	"-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----\n", "Bearer ", "Bearer a", "a@b.co ", "4111 ",
	"[", "{\"a\":", "[\"x\",", "?token=a&", "&", "%", "ghp_", "sk-", "hooks.slack.com/", "a=b;", "\\", "\"", "xoxb-",
	"AKIA", "token=" + "\"",
	"key-", "SG.", "password is ", "creds are a / ", "--password ", "mysql -p", "curl -u a:", " -p ", "dp.pt.", "aQ~", "1Q~",
	"1234567:A", "/bot123456:A", "0123456789abcdef0123456789abcdef-", "0123456789abcdef0123456789abcdef-us1", "Pwd={", "pwd={",
	"password=a&", "password=a;", "arn:a:", "discord.com/api/webhooks/1/", "AAAA", "MTA", "MTAxMjM0NTY3ODkwMTIzNDU2.", "pat", "sk_live_",
	"DD_APP_KEY=", "dd_app_key: a1B2c3D4e5F6g7H8i9J0 ", "key=", "a_key=", "=>", ":=", "password := ", "EAAA", "access_token$production$", "password=\"[REDACTED", "name=\"password\"", "Authorization: Bearer ", "name=\"password\"\r\n\r\n", "\n--", "a:b:", "==",
}

// TestAdversarialRepetition feeds 64 KiB of adversarial repetition to every
// entry point: nothing panics and a planted value at the end is still
// redacted. Its speed (the scan is linear, not quadratic) is measured by
// BenchmarkAdversarial64KiB, not asserted here.
func TestAdversarialRepetition(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	units := adversarialUnits
	r := New(Options{Emails: true, CardNumbers: true, Hook: func([]string, any) (any, bool) { return nil, false }})
	size := 65536
	if raceEnabled {
		size = 16384 // still many repetitions; the speed is benchmarked
	}
	for _, u := range units {
		in := strings.Repeat(u, size/len(u)) + " password=plantedvalue99"
		if out, _ := r.String(in); strings.Contains(out, "plantedvalue99") {
			t.Errorf("unit %q: planted value survived String", u)
		}
		r.JSON([]byte(in))
		r.URL(in)
		r.Form(in)
		if out, _ := r.Body("application/x-ndjson", []byte(in), true); strings.Contains(string(out), "plantedvalue99") {
			t.Errorf("unit %q: planted value survived Body", u)
		}
		r.Body("multipart/form-data", []byte(in), true)
		r.Value(map[string]any{"a": in})
	}
	// Valid, deep, and a report at every level.
	n := 65536 / 16
	deep := strings.Repeat(`["password=x",`, n) + "1" + strings.Repeat("]", n)
	if out, paths := r.JSON([]byte(deep)); strings.Contains(string(out), "=x") || len(paths) != n {
		t.Errorf("deep JSON: %d paths", len(paths))
	}
}

// BenchmarkAdversarial64KiB times every entry point on each adversarial
// unit repeated to 64 KiB; linear scanning keeps it in milliseconds.
func BenchmarkAdversarial64KiB(b *testing.B) {
	r := New(Options{Emails: true, CardNumbers: true})
	for i := 0; i < b.N; i++ {
		for _, u := range adversarialUnits {
			in := strings.Repeat(u, 65536/len(u))
			r.String(in)
			r.JSON([]byte(in))
			r.URL(in)
			r.Body("application/x-ndjson", []byte(in), true)
		}
	}
}

// TestMarkerLookalikeHidesNothing: text that only starts like a replacement
// is not skipped as already redacted, so it cannot shield a secret after it.
func TestMarkerLookalikeHidesNothing(t *testing.T) {
	r := New(Options{})
	for _, in := range []string{
		`password="[REDACTED password=plantedvalue99`,
		`{"password":"[REDACTED plantedvalue99"}`,
		`https://x.test/?token=[REDACTEDplantedvalue99`,
	} {
		out, _ := r.String(in)
		if strings.Contains(out, "plantedvalue99") {
			t.Errorf("String kept the value after a marker look-alike in %d-byte input", len(in))
		}
		if j, _ := r.JSON([]byte(in)); strings.Contains(string(j), "plantedvalue99") {
			t.Errorf("JSON kept the value after a marker look-alike in %d-byte input", len(in))
		}
	}
	for _, in := range []string{Replacement, `"` + Replacement + `"`} {
		if out, paths := r.String("password=" + in); out != "password="+in || len(paths) != 0 {
			t.Errorf("an exact marker was redacted again: %q %v", out, paths)
		}
	}
}
