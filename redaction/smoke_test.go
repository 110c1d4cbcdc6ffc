package redaction

import "testing"

func TestSmoke(t *testing.T) {
	r := New()
	for _, s := range []string{
		"Authorization: Bearer abc",
		"hello Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig123 world",
		"key AKIAIOSFODNN7EXAMPLE x",
		"password=hunter2&x=1",
		`{"password":"hun`,
		"https://user:pw@example.com/a?token=abc&q=1",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----",
		"max_tokens=100 token_count: 5 author: bob",
		"ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
	} {
		out, names := r.String(s)
		t.Logf("%q -> %q %v", s, out, names)
	}
	u, p := r.URL("https://user:pw@example.com/a?token=abc&q=1&X-Amz-Signature=abcd#access_token=xyz")
	t.Log(u, p)
	j, p := r.JSON([]byte(`{"a":1.50,"password":"x","nested":{"apiKey":"k","max_tokens":12,"note":"Bearer abcdefgh12345"},"arr":[{"token":null},{"token":"t"}]}`))
	t.Log(string(j), p)
	v, p := r.Value(map[string]any{"password": "x", "n": []any{map[string]any{"session_id": 5}}, "s": struct {
		A string `json:"api_key"`
		B int    `json:"b"`
	}{"k", 2}})
	t.Log(v, p)
}
