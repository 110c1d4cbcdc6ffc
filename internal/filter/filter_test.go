package filter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

func sample() map[string]event.Event {
	return map[string]event.Event{
		"get200": {Kind: event.KindRequest, Name: "GET /api/notes", RequestID: "r1", App: "notes", Instance: "web-1", DurationNs: int64(120 * time.Millisecond),
			HTTP: &event.HTTP{Method: "GET", URL: "http://127.0.0.1:8080/api/notes?x=1", Route: "/api/notes", Status: 200}},
		"post500": {Kind: event.KindRequest, Name: "POST /api/charge", RequestID: "r2", App: "notes", Instance: "web-2", DurationNs: int64(450 * time.Millisecond),
			HTTP: &event.HTTP{Method: "POST", URL: "/api/charge", Status: 500}},
		"get404": {Kind: event.KindRequest, Name: "GET /missing", DurationNs: int64(2 * time.Millisecond),
			HTTP: &event.HTTP{Method: "GET", URL: "/missing", Status: 404}},
		"stripe": {Kind: event.KindProvider, Name: "stripe charges.create", RequestID: "r2", DurationNs: int64(300 * time.Millisecond),
			Provider: &event.Provider{Name: "Stripe", Operation: "charges.create", Method: "POST", URL: "https://api.stripe.com/v1/charges", Status: 402}},
		"audit": {Kind: event.KindAudit, Name: "note.delete", RequestID: "r1",
			Audit: &event.Audit{Actor: "alice@example.com", Tenant: "acme", Action: "note.delete", Resource: "note/7", Outcome: "allowed"}},
		"log": {Kind: event.KindLog, Level: "ERROR", Message: "Database timeout on shard 3", RequestID: "r2"},
	}
}

func TestMatchTable(t *testing.T) {
	evs := sample()
	cases := []struct {
		q    string
		want []string
	}{
		{"", []string{"get200", "post500", "get404", "stripe", "audit", "log"}},
		{"kind:request", []string{"get200", "post500", "get404"}},
		{"kind:provider,audit", []string{"stripe", "audit"}},
		{"-kind:request", []string{"stripe", "audit", "log"}},
		{"status:>=500", []string{"post500"}},
		{"status:>=400", []string{"post500", "get404", "stripe"}},
		{"status:4xx", []string{"get404", "stripe"}},
		{"status:200", []string{"get200"}},
		{"status:<300", []string{"get200"}},
		{"method:post", []string{"post500", "stripe"}},
		{"method:GET status:404", []string{"get404"}},
		{"path:/api/*", []string{"get200", "post500"}},
		{"path:/api/notes", []string{"get200"}},
		{"path:/v1/*", []string{"stripe"}},
		{"provider:stripe", []string{"stripe"}},
		{"provider:str*", []string{"stripe"}},
		{"actor:alice*", []string{"audit"}},
		{"tenant:acme", []string{"audit"}},
		{"tenant:other", nil},
		{"dur:>200ms", []string{"post500", "stripe"}},
		{"dur:<=2ms", []string{"get404", "audit", "log"}},
		{"timeout", []string{"log"}},
		{"TIMEOUT shard", []string{"log"}},
		{`"shard 3"`, []string{"log"}},
		{"notes", []string{"get200"}},
		{"note", []string{"get200", "audit"}},
		{"-notes kind:request", []string{"post500", "get404"}},
		{"level:error", []string{"log"}},
		{"instance:web-2", []string{"post500"}},
		{"instance:WEB-*", []string{"get200", "post500"}},
		{"-instance:web-1 kind:request", []string{"post500", "get404"}},
		{"app:notes", []string{"get200", "post500"}},
		{"req:r2", []string{"post500", "stripe", "log"}},
		{"req:r2 -kind:log", []string{"post500", "stripe"}},
		{`"http://"`, []string{"get200"}},
	}
	for _, c := range cases {
		f, err := Parse(c.q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.q, err)
		}
		want := map[string]bool{}
		for _, w := range c.want {
			want[w] = true
		}
		for name, e := range evs {
			if got := f.Match(&e); got != want[name] {
				t.Errorf("%q on %s: got %v, want %v", c.q, name, got, want[name])
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, q := range []string{
		"kind:bogus", "status:abc", "status:>=", "status:", "dur:>200", "dur:fast",
		"colour:red", `"open quote`, "status:6xx", "kind:request,nope",
	} {
		f, err := Parse(q)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want error", q, f)
			continue
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error %v does not wrap ErrSyntax", q, err)
		}
	}
}

func TestNilAndEmptyMatchAll(t *testing.T) {
	var f *Filter
	e := event.Event{Kind: event.KindLog}
	if !f.Match(&e) || !f.Empty() {
		t.Fatal("nil filter must match all")
	}
	if g := MustParse("   "); !g.Empty() || !g.Match(&e) || g.String() != "" {
		t.Fatal("blank filter must match all")
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{
		{"/api/*", "/api/a/b", true}, {"/api/*", "/ap", false}, {"*x", "abx", true},
		{"a?c", "abc", true}, {"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false}, {"abc", "abc", true},
	} {
		if glob(c.p, c.s) != c.ok {
			t.Errorf("glob(%q,%q) != %v", c.p, c.s, c.ok)
		}
	}
}

// TestLiteralsHeldByMatches checks the promise the store's byte prefilter
// relies on: every event a query matches holds each of its literals in its
// encoded form, ignoring case.
func TestLiteralsHeldByMatches(t *testing.T) {
	evs := sample()
	queries := []string{
		"actor:alice@example.com", "actor:ALICE@example.com", "actor:alice*", "actor:*@example.com", "tenant:acme",
		"req:r2", "path:/api/*", "path:/API/notes", "provider:str*", "level:error", "timeout", `"shard 3"`,
		"note -kind:log", "kind:request status:>=500 method:post", "actor:a?ice@*",
	}
	for _, q := range queries {
		f := MustParse(q)
		lits := f.Literals()
		if len(lits) == 0 && q != "kind:request status:>=500 method:post" {
			t.Errorf("%q: no literal", q)
		}
		for name, e := range evs {
			if !f.Match(&e) {
				continue
			}
			raw, err := event.Marshal(&e)
			if err != nil {
				t.Fatal(err)
			}
			low := strings.ToLower(string(raw))
			for _, l := range lits {
				if !strings.Contains(low, l) {
					t.Errorf("%q matches %s but its encoding lacks the literal %q", q, name, l)
				}
			}
		}
	}
}

func TestLiterals(t *testing.T) {
	cases := map[string][]string{
		"actor:Ada@Example.com":         {"ada@example.com"},
		"actor:*@example.com tenant:a":  {"@example.com", "a"},
		"-actor:ada kind:audit":         nil,
		`"Two Words" x`:                 {"two words", "x"},
		"status:500 dur:>1s method:GET": nil,
		"path:/users/*/orders":          {"/users/"},
	}
	for q, want := range cases {
		got := MustParse(q).Literals()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("Literals(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestMasked(t *testing.T) {
	cases := map[string]string{
		"actor:ada@example.com":                "actor:…",
		"tenant:acme kind:audit,request -word": "tenant:… kind:audit,request -…",
		`"ada lovelace" req:01J status:>=500`:  "… req:… status:>=500",
		"provider:stripe method:POST dur:>1s":  "provider:… method:… dur:>1s",
		"path:/users/ada level:error":          "path:… level:…",
	}
	for q, want := range cases {
		got := MustParse(q).Masked()
		if got != want {
			t.Errorf("Masked(%q) = %q, want %q", q, got, want)
		}
		if strings.Contains(got, "ada") || strings.Contains(got, "acme") || strings.Contains(got, "stripe") {
			t.Errorf("Masked(%q) = %q repeats a value", q, got)
		}
	}
}
