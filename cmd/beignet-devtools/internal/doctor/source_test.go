package doctor

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckSourceFixtures(t *testing.T) {
	type want struct {
		id    string
		sev   Severity
		where string
	}
	cases := []struct {
		dir  string
		want []want
	}{
		{"clean", nil},
		{"no-authorize", []want{{IDRouteNoAuthorize, Warning, "main.go:10"}}},
		{"enabled-no-authorize", []want{{IDRouteNoAuthorize, Error, "main.go:11"}}},
		{"public-store", []want{{IDStorePublic, Error, "main.go:12"}}},
		{"file-server-store", []want{{IDStorePublic, Error, "cmd/server/main.go:11"}}},
		{"long-retention", []want{{IDRetentionLong, Warning, "main.go:15"}}},
		{"retention-disabled", []want{{IDRetentionLong, Warning, "main.go:6"}}},
		{"hardcoded-token", []want{{IDHardcodedToken, Error, "main.go:9"}, {IDHardcodedToken, Error, "main.go:12"}}},
		{"origin-wildcard", []want{{IDOriginWildcard, Warning, "main.go:14"}}},
		{"empty-env-authorize", []want{{IDEmptySecret, Error, "main.go:15"}, {IDEmptySecret, Error, "main.go:18"}, {IDEmptySecret, Error, "main.go:24"}}},
		{"ignored", []want{{IDRetentionLong, Warning, "main.go:14"}}},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			got, err := CheckSource(filepath.Join("testdata", "src", c.dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(got), len(c.want), got)
			}
			for i, w := range c.want {
				g := got[i]
				if g.ID != w.id || g.Severity != w.sev || g.Where != w.where {
					t.Errorf("finding %d = %s %s %s, want %s %s %s", i, g.ID, g.Severity, g.Where, w.id, w.sev, w.where)
				}
				if g.Message == "" || g.Fix == "" || strings.Contains(g.Fix, "\n") {
					t.Errorf("finding %d needs a message and a one-line fix: %+v", i, g)
				}
			}
		})
	}
}

func TestHardcodedTokenIsNotPrinted(t *testing.T) {
	got, err := CheckSource(filepath.Join("testdata", "src", "hardcoded-token"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, got); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "3f9a0c1be27d4e55") {
		t.Fatalf("report quotes the token:\n%s", buf.String())
	}
}

func TestCheckSourceWholeTreeAndFailed(t *testing.T) {
	got, err := CheckSource(filepath.Join("testdata", "src"))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range got {
		ids[f.ID] = true
		if strings.HasPrefix(f.Where, "clean/") {
			t.Errorf("finding in the clean tree: %+v", f)
		}
	}
	for _, id := range []string{IDRouteNoAuthorize, IDStorePublic, IDRetentionLong, IDHardcodedToken, IDOriginWildcard, IDEmptySecret} {
		if !ids[id] {
			t.Errorf("missing %s over the whole tree", id)
		}
	}
	if !Failed(got, false) {
		t.Error("errors present but Failed(strict=false) is false")
	}
	warnOnly := []Finding{{ID: IDRetentionLong, Severity: Warning}}
	if Failed(warnOnly, false) || !Failed(warnOnly, true) {
		t.Error("warnings must fail only with strict")
	}
	if Failed([]Finding{{Severity: Info}}, true) {
		t.Error("info must never fail")
	}
}

func TestCheckSourceMissingDir(t *testing.T) {
	if _, err := CheckSource(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("missing dir accepted")
	}
}
