package redact

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestJSONKeepsStructure(t *testing.T) {
	r := New(Options{})
	in := `{
  "z": 1.50, "a": [1e10, -0, 12345678901234567890],
  "password": "hunter2", "Token": 42, "secret": {"nested": true},
  "apiKey": null, "session_id": "", "ok": true,
  "users": [{"name": "ada", "access_token": "at-1"}, {"note": "Bearer ` + sBearer + `"}],
  "esc": "line\nBearer ` + sBearer + `\u00e9",
  "max_tokens": 256, "author": "Ada"
}`
	want := `{
  "z": 1.50, "a": [1e10, -0, 12345678901234567890],
  "password": "[REDACTED]", "Token": "[REDACTED]", "secret": "[REDACTED]",
  "apiKey": null, "session_id": "", "ok": true,
  "users": [{"name": "ada", "access_token": "[REDACTED]"}, {"note": "Bearer [REDACTED]"}],
  "esc": "line\nBearer [REDACTED]é",
  "max_tokens": 256, "author": "Ada"
}`
	out, paths := r.JSON([]byte(in))
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	wantPaths := []string{"password", "Token", "secret", "users.0.access_token", "users.1.note", "esc"}
	if !slices.Equal(paths, wantPaths) {
		t.Fatalf("paths %v, want %v", paths, wantPaths)
	}
	if !json.Valid(out) {
		t.Fatal("output is not valid JSON")
	}
}

func TestInputsNotMutated(t *testing.T) {
	r := New(Options{Fingerprint: true})
	in := []byte(`{"password":"hunter2","n":"Bearer ` + sBearer + `"}`)
	orig := string(in)
	r.JSON(in)
	r.Body("application/json", in, true)
	r.Body("text/plain", in, false)
	if string(in) != orig {
		t.Fatal("input bytes were modified")
	}
}

func TestJSONUnchangedReturnsInput(t *testing.T) {
	r := New(Options{})
	in := []byte(`{"a":[1,2,{"b":"c"}],"max_tokens":5}`)
	out, paths := r.JSON(in)
	if &out[0] != &in[0] || paths != nil {
		t.Fatalf("unchanged JSON was copied or reported: %v", paths)
	}
}

func TestJSONSecretKeysAndRoot(t *testing.T) {
	r := New(Options{})
	cases := map[string]string{
		`"Bearer ` + sBearer + `"`:                   `"Bearer [REDACTED]"`,
		`{"` + sJWT + `":1}`:                         `{"[REDACTED]":1}`,
		`{"pass\u0077ord":"x"}`:                      `{"pass\u0077ord":"[REDACTED]"}`,
		`{"credentials":[{"u":"a"}],"n":[]}`:         `{"credentials":"[REDACTED]","n":[]}`,
		`[{"token":"t"},{"token":"[REDACTED]"}]`:     `[{"token":"[REDACTED]"},{"token":"[REDACTED]"}]`,
		`{"password":"[REDACTED:0badf00d]"}`:         `{"password":"[REDACTED:0badf00d]"}`,
		` {"cookie" : "a=b" } `:                      ` {"cookie" : "[REDACTED]" } `,
		`{"Authorization":"Bearer abc"}`:             `{"Authorization":"Bearer [REDACTED]"}`,
		`{"password":"Bearer abc"}`:                  `{"password":"[REDACTED]"}`,
		`{"Authorization":"Bearer [REDACTED]"}`:      `{"Authorization":"Bearer [REDACTED]"}`,
		`{"a":"\"quoted\" password=hunter2 \\ end"}`: `{"a":"\"quoted\" password=[REDACTED] \\ end"}`,
	}
	for in, want := range cases {
		out, paths := r.JSON([]byte(in))
		if string(out) != want {
			t.Errorf("JSON(%s) = %s, want %s", fp(in), out, want)
		}
		if in == want && paths != nil {
			t.Errorf("JSON(%s): nothing changed, yet paths %v", fp(in), paths)
		}
		for _, p := range paths {
			if strings.Contains(p, "eyJ") {
				t.Errorf("a secret-shaped key leaked into path %s", fp(p))
			}
		}
	}
}

func TestJSONInvalidIsScanned(t *testing.T) {
	r := New(Options{})
	cases := []struct{ in, gone string }{
		{`{"user":"ada","password":"hunter2"`, "hunter2"},
		{`{"password": "hunter2", oops}`, "hunter2"},
		{`{"a":1,,"token":"tt-1"}`, "tt-1"},
		{`not json at all, password=hunter2`, "hunter2"},
		{`{"x":"` + sGHP, sGHP},
	}
	for i, c := range cases {
		out, paths := r.JSON([]byte(c.in))
		if strings.Contains(string(out), c.gone) {
			t.Errorf("case %d: secret %s survived the tolerant scan", i, fp(c.gone))
		}
		if len(paths) == 0 {
			t.Errorf("case %d: no paths", i)
		}
	}
	deep := strings.Repeat("[", maxJSONDepth+5) + `"password=hunter2"` + strings.Repeat("]", maxJSONDepth+5)
	if out, _ := r.JSON([]byte(deep)); strings.Contains(string(out), "hunter2") {
		t.Error("deep JSON: secret survived")
	}
}

func TestURL(t *testing.T) {
	r := New(Options{})
	cases := []struct {
		in, want string
		paths    []string
	}{
		{"/notes/1?x=1", "/notes/1?x=1", nil},
		{"/login?next=%2Fhome&token=abc123", "/login?next=%2Fhome&token=[REDACTED]", []string{"query.token"}},
		{"https://ada:pw@h.test:8443/p?q=1", "https://[REDACTED]@h.test:8443/p?q=1", []string{"userinfo"}},
		{"https://" + sGHP + "@github.com/o/r", "https://[REDACTED]@github.com/o/r", []string{"userinfo"}},
		{"https://b.test/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F2026&X-Amz-Signature=ab12&X-Amz-Date=1",
			"https://b.test/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]&X-Amz-Date=1",
			[]string{"query.X-Amz-Credential", "query.X-Amz-Signature"}},
		{"https://g.test/o?X-Goog-Signature=ff&sig=1&signature=2&code=3&key=4&apikey=5&api_key=6&password=7&access_token=8&refresh_token=9",
			"https://g.test/o?X-Goog-Signature=[REDACTED]&sig=[REDACTED]&signature=[REDACTED]&code=[REDACTED]&key=[REDACTED]&apikey=[REDACTED]&api_key=[REDACTED]&password=[REDACTED]&access_token=[REDACTED]&refresh_token=[REDACTED]",
			[]string{"query.X-Goog-Signature", "query.sig", "query.signature", "query.code", "query.key", "query.apikey", "query.api_key", "query.password", "query.access_token", "query.refresh_token"}},
		{"https://app.test/cb#access_token=at1&token_type=bearer&expires_in=3600",
			"https://app.test/cb#access_token=[REDACTED]&token_type=bearer&expires_in=3600", []string{"fragment.access_token"}},
		{"/reset/" + sJWT + "?page=2", "/reset/[REDACTED]?page=2", []string{"path"}},
		{"/q?note=Bearer%20" + sBearer, "/q?note=Bearer%20[REDACTED]", []string{"query.note"}},
		{"/q?max_tokens=5&token_count=3&q=token", "/q?max_tokens=5&token_count=3&q=token", nil},
		{"/q?" + sJWT, "/q?[REDACTED]", []string{"query.value"}},
		{"https://hooks.slack.com/services/" + sSlackHk, "https://hooks.slack.com/services/[REDACTED]", []string{"path"}},
	}
	for _, c := range cases {
		got, paths := r.URL(c.in)
		if got != c.want {
			t.Errorf("URL(%s):\n got %q\nwant %q", fp(c.in), got, c.want)
		}
		if !slices.Equal(paths, c.paths) {
			t.Errorf("URL(%s) paths %v, want %v", fp(c.in), paths, c.paths)
		}
	}
}

func TestForm(t *testing.T) {
	r := New(Options{})
	got, paths := r.Form("user=ada&password=hunter%232&remember=on&csrf_token=x1&note=" + sGHP)
	want := "user=ada&password=[REDACTED]&remember=on&csrf_token=[REDACTED]&note=[REDACTED]"
	if got != want || !slices.Equal(paths, []string{"password", "csrf_token", "note"}) {
		t.Fatalf("Form = %q %v", got, paths)
	}
	if got, paths := r.Form("a=1&b=2"); got != "a=1&b=2" || paths != nil {
		t.Fatalf("Form changed harmless input: %q %v", got, paths)
	}
}

func TestHeaders(t *testing.T) {
	r := New(Options{})
	h := http.Header{
		"Authorization":       {"Bearer " + sBearer},
		"Proxy-Authorization": {"Basic " + sBasic},
		"Cookie":              {"session=9f8e7d; theme=dark"},
		"Set-Cookie":          {"id=abc123; Path=/; HttpOnly; SameSite=Lax"},
		"X-Api-Key":           {"k-123"},
		"X-Debug":             {"used " + sGHP},
		"Accept":              {"application/json"},
		"X-Request-Id":        {"req-1"},
	}
	orig := h.Clone()
	out, paths := r.Headers(h)
	if !reflect.DeepEqual(h, orig) {
		t.Fatal("Headers mutated its input")
	}
	want := http.Header{
		"Authorization":       {"Bearer [REDACTED]"},
		"Proxy-Authorization": {"Basic [REDACTED]"},
		"Cookie":              {"session=[REDACTED]; theme=[REDACTED]"},
		"Set-Cookie":          {"id=[REDACTED]; Path=/; HttpOnly; SameSite=Lax"},
		"X-Api-Key":           {"[REDACTED]"},
		"X-Debug":             {"used [REDACTED]"},
		"Accept":              {"application/json"},
		"X-Request-Id":        {"req-1"},
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("got %v", out)
	}
	slices.Sort(paths)
	if !slices.Equal(paths, []string{"authorization", "cookie", "proxy-authorization", "set-cookie", "x-api-key", "x-debug"}) {
		t.Fatalf("paths %v", paths)
	}
	odd, paths := r.Headers(http.Header{sJWT: {"1"}})
	for k := range odd {
		if strings.Contains(k, "eyJ") {
			t.Fatal("secret-shaped header name survived")
		}
	}
	if len(paths) != 1 || strings.Contains(paths[0], "eyJ") {
		t.Fatalf("header name path: %d paths", len(paths))
	}
	if got, _ := r.URL("/x?" + sJWT + "=1&a=2"); got != "/x?[REDACTED]=1&a=2" {
		t.Fatalf("secret-shaped query name: %q", got)
	}
	plain := http.Header{"Accept": {"*/*"}}
	if out, paths := r.Headers(plain); !reflect.DeepEqual(out, plain) || paths != nil {
		t.Fatal("harmless headers changed")
	}
	if out, _ := r.HeaderMap(map[string][]string{"authorization": {"token abc"}}); out["authorization"][0] != "token [REDACTED]" {
		t.Fatalf("HeaderMap: %v", out)
	}
}

type profile struct {
	Name     string            `json:"name"`
	Password string            `json:"password"`
	APIKey   string            `json:"api_key,omitempty"`
	Hidden   string            `json:"-"`
	Tokens   int               `json:"max_tokens"`
	Notes    []string          `json:"notes"`
	Meta     map[string]string `json:"meta,omitempty"`
	Next     *profile          `json:"next,omitempty"`
	private  string
	Embedded
}

type Embedded struct {
	SessionID string `json:"session_id"`
}

type node struct {
	Name string `json:"name"`
	Next *node  `json:"next"`
}

func TestValue(t *testing.T) {
	r := New(Options{})
	p := &profile{
		Name: "ada", Password: "hunter2", Hidden: "h", Tokens: 100,
		Notes:    []string{"fine", "Bearer " + sBearer},
		Meta:     map[string]string{"cookie": "c=1", "k": "v"},
		Next:     &profile{Name: "bob", Password: "pw2"},
		private:  "p",
		Embedded: Embedded{SessionID: "s-1"},
	}
	out, paths := r.Value(p)
	if p.Password != "hunter2" || p.Notes[1] != "Bearer "+sBearer || p.Meta["cookie"] != "c=1" {
		t.Fatal("Value mutated its input")
	}
	enc, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"hunter2", sBearer, "c=1", "pw2", "s-1"} {
		if strings.Contains(string(enc), s) {
			t.Errorf("secret %s survived Value", fp(s))
		}
	}
	for _, s := range []string{`"name":"ada"`, `"max_tokens":100`, `"k":"v"`, `"name":"bob"`} {
		if !strings.Contains(string(enc), s) {
			t.Errorf("lost %s: %s", s, enc)
		}
	}
	if strings.Contains(string(enc), `"api_key"`) || strings.Contains(string(enc), "Hidden") {
		t.Errorf("omitempty or '-' not honoured: %s", enc)
	}
	slices.Sort(paths)
	want := []string{"meta.cookie", "next.password", "notes.1", "password", "session_id"}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths %v, want %v", paths, want)
	}

	// Unchanged values come back as they are.
	plain := map[string]any{"a": 1, "b": []any{"x"}}
	if out, paths := r.Value(plain); reflect.ValueOf(out).Pointer() != reflect.ValueOf(plain).Pointer() || paths != nil {
		t.Fatal("unchanged map was copied")
	}
}

func TestValueCycles(t *testing.T) {
	r := New(Options{})
	m := map[string]any{"password": "x"}
	m["self"] = m
	l := []any{nil, "token=abc"}
	l[0] = l
	n := &node{Name: "a"}
	n.Next = n
	for _, v := range []any{m, l, n} {
		out, _ := r.Value(v) // must return
		if enc, err := json.Marshal(out); err == nil && (strings.Contains(string(enc), `"x"`) || strings.Contains(string(enc), "abc")) {
			t.Errorf("secret survived in cyclic value")
		}
	}
}

func TestValueKinds(t *testing.T) {
	r := New(Options{})
	type named string
	in := map[string]any{
		"raw":    json.RawMessage(`{"token":"t1","n":1}`),
		"err":    errors.New("dial: password=hunter2"),
		"bytes":  []byte("Bearer " + sBearer),
		"named":  named("key " + sGHP),
		"intmap": map[int]string{1: sGHP},
		"arr":    [2]string{"a", sStripe},
		"secret": 12345,
		"pin":    true,
		"token":  nil,
		"nums":   []int{1, 2},
	}
	out, _ := r.Value(in)
	enc, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"t1", "hunter2", sBearer, sGHP, sStripe, "12345"} {
		if strings.Contains(string(enc), s) {
			t.Errorf("secret %s survived", fp(s))
		}
	}
	if !strings.Contains(string(enc), `"n":1`) || !strings.Contains(string(enc), `"nums":[1,2]`) || !strings.Contains(string(enc), `"token":null`) {
		t.Errorf("lost harmless data: %s", enc)
	}
}

func TestHook(t *testing.T) {
	var seen [][]string
	r := New(Options{Hook: func(path []string, v any) (any, bool) {
		seen = append(seen, slices.Clone(path))
		if path[len(path)-1] == "diagnosis" {
			return "[PHI]", true
		}
		return nil, false
	}})
	out, paths := r.JSON([]byte(`{"patient":{"diagnosis":"flu","age":3},"l":[{"diagnosis":"x"}]}`))
	if string(out) != `{"patient":{"diagnosis":"[PHI]","age":3},"l":[{"diagnosis":"[PHI]"}]}` {
		t.Fatalf("JSON with hook: %s", out)
	}
	if !slices.Equal(paths, []string{"patient.diagnosis", "l.0.diagnosis"}) {
		t.Fatalf("paths %v", paths)
	}
	if !slices.ContainsFunc(seen, func(p []string) bool { return slices.Equal(p, []string{"patient", "age"}) }) {
		t.Fatalf("hook not called for every value: %v", seen)
	}
	whole := New(Options{Hook: func(path []string, v any) (any, bool) {
		if path[len(path)-1] == "patient" {
			return map[string]any{"hidden": true}, true
		}
		return nil, false
	}})
	out, paths = whole.JSON([]byte(`{"patient":{"password":"x","d":"flu"},"ok":1}`))
	if string(out) != `{"patient":{"hidden":true},"ok":1}` || !slices.Equal(paths, []string{"patient"}) {
		t.Fatalf("container hook: %s %v", out, paths)
	}
	v, _ := r.Value(map[string]any{"diagnosis": "flu"})
	if v.(map[string]any)["diagnosis"] != "[PHI]" {
		t.Fatalf("Value with hook: %v", v)
	}
}

func TestFingerprint(t *testing.T) {
	r := New(Options{Fingerprint: true})
	a1, _ := r.String("password=alpha1")
	a2, _ := r.String("token: alpha1")
	b, _ := r.String("password=beta22")
	re := regexp.MustCompile(`\[REDACTED:[0-9a-f]{8}\]`)
	fa1, fa2, fb := re.FindString(a1), re.FindString(a2), re.FindString(b)
	if fa1 == "" || fa1 != fa2 || fa1 == fb {
		t.Fatalf("fingerprints %q %q %q", fa1, fa2, fb)
	}
	other, _ := New(Options{Fingerprint: true}).String("password=alpha1")
	if re.FindString(other) == fa1 {
		t.Fatal("two redactors share a fingerprint key")
	}
	out, _ := r.JSON([]byte(`{"password":"alpha1"}`))
	if !json.Valid(out) || !strings.Contains(string(out), fa1) {
		t.Fatalf("JSON fingerprint: %s", out)
	}
	u, _ := r.URL("/x?token=alpha1")
	if !strings.Contains(u, fa1) {
		t.Fatalf("URL fingerprint: %s", u)
	}
}

// TestCookieValues: every cookie value is masked, attributes of a
// Set-Cookie and empty or already masked values are kept, and the text
// around them (separators, spaces) is kept as it was.
func TestCookieValues(t *testing.T) {
	r := New(Options{})
	for _, c := range []struct {
		in   string
		set  bool
		want string
	}{
		{"theme=; sid=abc", false, "theme=; sid=[REDACTED]"},
		{"a=1;b=2", false, "a=[REDACTED];b=[REDACTED]"},
		{"sid=[REDACTED]; x=2", false, "sid=[REDACTED]; x=[REDACTED]"},
		{"flag", false, "[REDACTED]"},
		{"id=abc; Path=/; HttpOnly", true, "id=[REDACTED]; Path=/; HttpOnly"},
		{"id=abc; Path=/; HttpOnly", false, "id=[REDACTED]; Path=[REDACTED];[REDACTED]"},
		{"id=; Path=/", true, "id=; Path=/"},
		{"sid=[REDACTED]", false, "sid=[REDACTED]"},
		{"; ;", false, "; ;"},
	} {
		got, changed := r.cookies(c.in, c.set)
		if got != c.want || changed != (c.in != c.want) {
			t.Errorf("cookies(%q, set=%v) = %q, %v; want %q", c.in, c.set, got, changed, c.want)
		}
	}
}
