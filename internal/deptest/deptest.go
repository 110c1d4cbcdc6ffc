// Package deptest enforces the import rules of DESIGN.md (after tailscale's
// tstest/deptest): its test lists the module's packages with `go list -deps
// -json` and fails, naming the rule, when a package imports what it must
// not. The rules are data (Rules) and the check is a plain function
// (Check), so a table test can show each rule failing on a planted import.
package deptest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Module is the module path; rules speak of packages relative to it.
const Module = "github.com/beignet/devtools"

// Package is what the check needs of one `go list -json` entry.
type Package struct {
	ImportPath string
	Standard   bool
	Imports    []string // direct imports
	Deps       []string // everything linked, transitively
}

// Rule is one import rule of DESIGN.md.
type Rule struct {
	// Name is the rule as a reader would state it; failures quote it.
	Name string
	// Applies reports whether the rule governs the package (module-relative
	// path, e.g. "recorder" or "internal/redact").
	Applies func(rel string) bool
	// Direct checks only direct imports (for rules about what a package
	// itself uses, not what its dependencies bring).
	Direct bool
	// Forbids reports whether the package may not import dep. rel is dep's
	// module-relative path ("" when dep is outside the module); std tells a
	// standard-library package.
	Forbids func(dep, rel string, std bool) bool
}

// Violation is one forbidden import.
type Violation struct {
	Rule, Package, Import string
	// Direct is true when Package imports Import itself, false when it
	// links it through another import.
	Direct bool
}

func (v Violation) String() string {
	verb := "imports"
	if !v.Direct {
		verb = "links (through its imports)"
	}
	return fmt.Sprintf("%s %s %s, breaking the rule %q (DESIGN.md, import rules)", v.Package, verb, v.Import, v.Rule)
}

// Rel is path relative to the module, or "" when path is outside it.
func Rel(path string) string {
	if path == Module {
		return "."
	}
	if r, ok := strings.CutPrefix(path, Module+"/"); ok {
		return r
	}
	return ""
}

// under reports whether rel is dir or a package below it.
func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

func in(dirs ...string) func(string) bool {
	return func(rel string) bool {
		for _, d := range dirs {
			if under(rel, d) {
				return true
			}
		}
		return false
	}
}

// oursOnly forbids the module's packages other than the given folders and
// the machinery under internal/; other modules' packages are allowed.
func oursOnly(allowed ...string) func(dep, rel string, std bool) bool {
	return func(dep, rel string, std bool) bool {
		if rel == "" {
			return false
		}
		return !in(append(allowed, "internal")...)(rel)
	}
}

func prefixed(dep string, prefixes ...string) bool {
	for _, p := range prefixes {
		if dep == p || strings.HasPrefix(dep, p+"/") {
			return true
		}
	}
	return false
}

// libraries are the packages apps and tools import; cmd/ and demo wire
// them together and nothing imports those.
func libraries(rel string) bool {
	return in("event", "redaction", "store", "stream", "recorder", "tui", "otlp", "internal")(rel)
}

// Rules are DESIGN.md's import rules.
func Rules() []Rule {
	return []Rule{
		{
			Name:    "event imports the standard library only",
			Applies: in("event"),
			Forbids: func(dep, rel string, std bool) bool { return !std && !under(rel, "event") },
		},
		{
			Name:    "redaction imports only event (and its engine under internal/)",
			Applies: in("redaction", "internal/redact"),
			Forbids: func(dep, rel string, std bool) bool {
				return !std && (rel == "" || !in("event", "redaction", "internal")(rel))
			},
		},
		{
			Name:    "store imports only event, never stream",
			Applies: in("store"),
			Forbids: oursOnly("event", "store"),
		},
		{
			Name:    "stream imports only event (and internal/), not store",
			Applies: in("stream"),
			Forbids: oursOnly("event", "stream"),
		},
		{
			Name:    "recorder links no charm, cobra or tui package",
			Applies: in("recorder"),
			Forbids: func(dep, rel string, std bool) bool {
				return under(rel, "tui") || prefixed(dep, "charm.land", "github.com/charmbracelet", "github.com/spf13/cobra")
			},
		},
		{
			Name:    "recorder never imports otlp or OpenTelemetry",
			Applies: in("recorder"),
			Forbids: func(dep, rel string, std bool) bool {
				return under(rel, "otlp") || prefixed(dep, "go.opentelemetry.io")
			},
		},
		{
			Name:    "tui never imports recorder",
			Applies: in("tui"),
			Forbids: func(dep, rel string, std bool) bool { return under(rel, "recorder") },
		},
		{
			Name:    "otlp imports event and OpenTelemetry only",
			Applies: in("otlp"),
			Direct:  true,
			Forbids: func(dep, rel string, std bool) bool {
				if std {
					return false
				}
				if rel != "" {
					return !in("event", "otlp", "internal")(rel)
				}
				return !prefixed(dep, "go.opentelemetry.io")
			},
		},
		{
			Name:    "nothing under internal/ or the libraries imports cmd/ or demo",
			Applies: libraries,
			Forbids: func(dep, rel string, std bool) bool { return in("cmd", "demo")(rel) },
		},
	}
}

// Check applies rules to pkgs (the module's packages and their
// dependencies, as `go list -deps -json` lists them) and returns every
// violation, sorted.
func Check(pkgs []Package, rules []Rule) []Violation {
	std := make(map[string]bool, len(pkgs))
	for _, p := range pkgs {
		std[p.ImportPath] = p.Standard
	}
	var out []Violation
	for _, p := range pkgs {
		rel := Rel(p.ImportPath)
		if rel == "" {
			continue
		}
		for _, r := range rules {
			if !r.Applies(rel) {
				continue
			}
			deps := p.Deps
			if r.Direct {
				deps = p.Imports
			}
			for _, d := range deps {
				if r.Forbids(d, Rel(d), std[d] || isStd(d)) {
					out = append(out, Violation{Rule: r.Name, Package: p.ImportPath, Import: d, Direct: slices.Contains(p.Imports, d)})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Import < b.Import
	})
	return out
}

// isStd guesses a standard-library path when go list did not describe it
// (a fake list in a test): no dot in the first element.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
