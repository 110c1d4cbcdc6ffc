package redaction

import (
	"strings"
	"testing"
	"time"
)

// TestLinearTime feeds 64 KiB of adversarial repetition to every entry
// point; each must finish quickly (the scan is linear, not quadratic).
func TestLinearTime(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	units := []string{
		"eyJ.", "eyJhbGciOiJIUzI1NiJ9.", "password=", "password:\"", `"password":"`, `\"token\":\"`, "://", "https://a@",
		"-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----\n", "Bearer ", "Bearer a", "a@b.co ", "4111 ",
		"[", "{\"a\":", "[\"x\",", "?token=a&", "&", "%", "ghp_", "sk-", "hooks.slack.com/", "a=b;", "\\", "\"", "xoxb-",
		"AKIA", "token=" + "\"", "password=\"[REDACTED", "name=\"password\"", "Authorization: Bearer ", "name=\"password\"\r\n\r\n", "\n--", "a:b:", "==",
	}
	r := New(WithEmails(), WithCardNumbers(), WithHook(func([]string, any) (any, bool) { return nil, false }))
	for _, u := range units {
		in := strings.Repeat(u, 65536/len(u))
		start := time.Now()
		r.String(in)
		r.JSON([]byte(in))
		r.URL(in)
		r.Form(in)
		r.Body("multipart/form-data", []byte(in), true)
		r.Body("application/x-ndjson", []byte(in), true)
		r.Value(map[string]any{"a": in})
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("unit %q: %v for 64 KiB", u, d)
		}
	}
	// Valid, deep, and a report at every level.
	n := 65536 / 16
	deep := strings.Repeat(`["password=x",`, n) + "1" + strings.Repeat("]", n)
	start := time.Now()
	if out, paths := r.JSON([]byte(deep)); strings.Contains(string(out), "=x") || len(paths) != n {
		t.Errorf("deep JSON: %d paths", len(paths))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("deep JSON: %v", d)
	}
}
