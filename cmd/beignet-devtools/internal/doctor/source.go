package doctor

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beignet/devtools/store"
)

const (
	recorderPath = "github.com/beignet/devtools/recorder"
	storePath    = "github.com/beignet/devtools/store"
)

// CheckSource parses the Go files under dir (skipping _test.go files,
// vendor, testdata, node_modules and hidden directories below dir) and
// returns what it finds. Files that do not parse are skipped with an info
// finding; a missing dir is an error.
func CheckSource(dir string) ([]Finding, error) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs // findings name files relative to it
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("doctor: source dir: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("doctor: source dir %s is not a directory", dir)
	}
	byDir := map[string][]string{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir {
				n := d.Name()
				if n == "vendor" || n == "testdata" || n == "node_modules" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			byDir[filepath.Dir(p)] = append(byDir[filepath.Dir(p)], p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("doctor: walk %s: %w", dir, err)
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)

	fset := token.NewFileSet()
	var pkgs []*pkgInfo
	var findings []Finding
	var fileRoots []string // http.Dir / os.DirFS roots, relative to dir
	for _, d := range dirs {
		pi := &pkgInfo{dir: d, consts: map[string]ast.Expr{}}
		for _, p := range byDir[d] {
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution|parser.ParseComments)
			if err != nil {
				findings = append(findings, Finding{ID: "DT100", Severity: Info, Where: rel(dir, p), Message: "file does not parse; not checked", Fix: "run gofmt or go vet on it"})
				continue
			}
			pi.files = append(pi.files, f)
			collectConsts(f, pi.consts)
		}
		pkgs = append(pkgs, pi)
	}
	for _, pi := range pkgs {
		for _, f := range pi.files {
			fileRoots = append(fileRoots, fileServerRoots(f, pi, dir)...)
		}
	}
	c := &sourceChecker{root: dir, fset: fset, fileRoots: fileRoots}
	for _, pi := range pkgs {
		for _, f := range pi.files {
			findings = append(findings, c.checkFile(f, pi)...)
		}
	}
	Sort(findings)
	return findings, nil
}

type pkgInfo struct {
	dir    string
	files  []*ast.File
	consts map[string]ast.Expr // package-level const/var name -> value expression
}

type sourceChecker struct {
	root      string
	fset      *token.FileSet
	fileRoots []string
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return filepath.ToSlash(r)
	}
	return p
}

func (c *sourceChecker) where(n ast.Node) string {
	pos := c.fset.Position(n.Pos())
	return rel(c.root, pos.Filename) + ":" + strconv.Itoa(pos.Line)
}

// collectConsts records package-level and function-level simple
// declarations name = expr (const, var, :=). Names are not scoped: good
// enough to follow a literal to its use within a package.
func collectConsts(f *ast.File, into map[string]ast.Expr) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch d := n.(type) {
		case *ast.ValueSpec:
			if len(d.Values) == len(d.Names) {
				for i, name := range d.Names {
					into[name.Name] = d.Values[i]
				}
			}
		case *ast.AssignStmt:
			if d.Tok == token.DEFINE && len(d.Lhs) == len(d.Rhs) {
				for i, l := range d.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						if _, seen := into[id.Name]; !seen {
							into[id.Name] = d.Rhs[i]
						}
					}
				}
			}
		}
		return true
	})
}

// imports maps an import path to the file's local name for it.
func imports(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, s := range f.Imports {
		p, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(p)
		if s.Name != nil {
			name = s.Name.Name
		}
		m[p] = name
	}
	return m
}

func isSel(e ast.Expr, pkg, name string) bool {
	if pkg == "" {
		return false
	}
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := s.X.(*ast.Ident)
	return ok && x.Name == pkg && s.Sel.Name == name
}

func fields(cl *ast.CompositeLit) map[string]*ast.KeyValueExpr {
	m := map[string]*ast.KeyValueExpr{}
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok {
				m[k.Name] = kv
			}
		}
	}
	return m
}

func isFalse(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "false"
}

func isNil(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "nil"
}

var tokenName = regexp.MustCompile(`(?i)devtools_?token|devtoolstoken`)

func (c *sourceChecker) checkFile(f *ast.File, pi *pkgInfo) []Finding {
	imp := imports(f)
	rec, st := imp[recorderPath], imp[storePath]
	timePkg := imp["time"]
	fp := imp["path/filepath"]
	pp := imp["path"]
	ev := &evaluator{consts: pi.consts, timePkg: timePkg, filepathPkg: fp, pathPkg: pp}
	var out []Finding

	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CompositeLit:
			switch {
			case isSel(x.Type, rec, "HandlerOptions"):
				out = append(out, c.handlerOptions(x, ev, f)...)
			case isSel(x.Type, rec, "Config"):
				if kv := fields(x)["StorePath"]; kv != nil {
					out = append(out, c.storePath(kv.Value, ev)...)
				}
			case isSel(x.Type, st, "Options"):
				fs := fields(x)
				if ro, ok := fs["ReadOnly"]; ok && !isFalse(ro.Value) {
					break // a reader (console, tail, a tool) does not enforce retention
				}
				if kv := fs["MaxAge"]; kv != nil {
					out = append(out, c.maxAge(kv.Value, ev)...)
				}
			}
		case *ast.CallExpr:
			switch {
			case isSel(x.Fun, st, "Open") && len(x.Args) > 0:
				out = append(out, c.storePath(x.Args[0], ev)...)
			case (isSel(x.Fun, rec, "TokenAuth") && len(x.Args) > 0) || (isSel(x.Fun, rec, "HeaderTokenAuth") && len(x.Args) > 1):
				arg := x.Args[len(x.Args)-1]
				if s, ok := ev.str(arg, 0); ok && s != "" {
					out = append(out, Finding{ID: IDHardcodedToken, Severity: Error, Where: c.where(arg),
						Message: "recorder." + x.Fun.(*ast.SelectorExpr).Sel.Name + " gets a token written in the source",
						Fix:     `read it at run time (HandlerOptions{TokenEnv: "DEVTOOLS_TOKEN"}), and rotate the leaked one`})
				}
			}
		case *ast.ValueSpec:
			for i, name := range x.Names {
				if i < len(x.Values) && tokenName.MatchString(name.Name) {
					if lit, ok := x.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING && len(lit.Value) >= 10 {
						out = append(out, Finding{ID: IDHardcodedToken, Severity: Error, Where: c.where(lit),
							Message: fmt.Sprintf("%s holds a devtools token written in the source", name.Name),
							Fix:     "load the token from the environment or a secret store, and rotate the leaked one"})
					}
				}
			}
		}
		return true
	})
	return c.unsuppressed(f, out)
}

// ignoreDirective marks an intentional case: "//doctor:ignore DT103 why",
// on the line of the finding or the line above it.
var ignoreDirective = regexp.MustCompile(`^//\s*doctor:ignore\s+((?:DT\d+[ ,]*)+)`)

// unsuppressed drops the findings of f that a doctor:ignore comment
// marks as intentional.
func (c *sourceChecker) unsuppressed(f *ast.File, findings []Finding) []Finding {
	ignored := map[string]bool{} // "DT103:12"
	for _, g := range f.Comments {
		for _, cm := range g.List {
			m := ignoreDirective.FindStringSubmatch(cm.Text)
			if m == nil {
				continue
			}
			line := c.fset.Position(cm.Pos()).Line
			for _, id := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ' ' || r == ',' }) {
				ignored[id+":"+strconv.Itoa(line)] = true
				ignored[id+":"+strconv.Itoa(line+1)] = true
			}
		}
	}
	if len(ignored) == 0 {
		return findings
	}
	out := findings[:0]
	for _, fd := range findings {
		i := strings.LastIndexByte(fd.Where, ':')
		if i >= 0 && ignored[fd.ID+fd.Where[i:]] {
			continue
		}
		out = append(out, fd)
	}
	return out
}

// emptySecret flags an Authorize callback that compares a request value
// with one read from the environment that may be empty: when the
// variable is unset, a request without the header compares "" == "" and
// is let in. It follows a func literal, a function of the file, or a
// variable holding a func literal.
func (c *sourceChecker) emptySecret(e ast.Expr, f *ast.File) []Finding {
	var body ast.Node
	switch x := e.(type) {
	case *ast.FuncLit:
		body = x.Body
	case *ast.Ident:
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == x.Name {
				body = fd.Body
			}
		}
		if body == nil {
			ast.Inspect(f, func(n ast.Node) bool {
				if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
					for i, l := range as.Lhs {
						if id, ok := l.(*ast.Ident); ok && id.Name == x.Name {
							if fl, ok := as.Rhs[i].(*ast.FuncLit); ok {
								body = fl.Body
							}
						}
					}
				}
				return body == nil
			})
		}
	}
	if body == nil {
		return nil
	}
	imp := imports(f)
	osPkg := imp["os"]
	// Variables of the file read from the environment, and those checked
	// for emptiness somewhere in it (a guard: if tok == "" { log.Fatal }).
	fromEnv, guarded := map[string]bool{}, map[string]bool{}
	isGetenv := func(e ast.Expr) bool {
		call, ok := e.(*ast.CallExpr)
		return ok && (isSel(call.Fun, osPkg, "Getenv") || isSel(call.Fun, osPkg, "LookupEnv"))
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if len(x.Rhs) == 1 && isGetenv(x.Rhs[0]) && len(x.Lhs) > 0 {
				if id, ok := x.Lhs[0].(*ast.Ident); ok {
					fromEnv[id.Name] = true
				}
			}
		case *ast.ValueSpec:
			if len(x.Values) == 1 && isGetenv(x.Values[0]) && len(x.Names) > 0 {
				fromEnv[x.Names[0].Name] = true
			}
		case *ast.BinaryExpr:
			if x.Op == token.EQL || x.Op == token.NEQ || x.Op == token.LSS || x.Op == token.GTR || x.Op == token.GEQ || x.Op == token.LEQ {
				for _, side := range [2][2]ast.Expr{{x.X, x.Y}, {x.Y, x.X}} {
					if lit, ok := side[1].(*ast.BasicLit); ok && lit.Value == `""` {
						if id, ok := side[0].(*ast.Ident); ok {
							guarded[id.Name] = true
						}
					}
					if call, ok := side[0].(*ast.CallExpr); ok && len(call.Args) == 1 {
						if fn, ok := call.Fun.(*ast.Ident); ok && fn.Name == "len" {
							if id, ok := call.Args[0].(*ast.Ident); ok {
								guarded[id.Name] = true
							}
						}
					}
				}
			}
		}
		return true
	})
	mayBeEmpty := func(e ast.Expr) bool {
		if call, ok := e.(*ast.CallExpr); ok && len(call.Args) == 1 {
			if _, conv := call.Fun.(*ast.ArrayType); conv { // []byte(x)
				e = call.Args[0]
			}
		}
		if isGetenv(e) {
			return true
		}
		id, ok := e.(*ast.Ident)
		return ok && fromEnv[id.Name] && !guarded[id.Name]
	}
	var out []Finding
	flag := func(n ast.Node) {
		out = append(out, Finding{ID: IDEmptySecret, Severity: Error, Where: c.where(n),
			Message: "Authorize compares with an environment value that may be empty: when it is unset, a request without the header is let in",
			Fix:     `use HandlerOptions{TokenEnv: "DEVTOOLS_TOKEN", TokenHeader: "X-Devtools-Token"} or recorder.HeaderTokenAuth, which refuse an empty token`})
	}
	equal := map[string]string{"crypto/subtle": "ConstantTimeCompare", "crypto/hmac": "Equal", "bytes": "Equal", "strings": "EqualFold"}
	ast.Inspect(body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BinaryExpr:
			if (x.Op == token.EQL || x.Op == token.NEQ) && (mayBeEmpty(x.X) || mayBeEmpty(x.Y)) {
				flag(x)
				return false
			}
		case *ast.CallExpr:
			for path, name := range equal {
				if isSel(x.Fun, imp[path], name) {
					for _, a := range x.Args {
						if mayBeEmpty(a) {
							flag(x)
							return false
						}
					}
				}
			}
		}
		return true
	})
	return out
}

func (c *sourceChecker) handlerOptions(cl *ast.CompositeLit, ev *evaluator, f *ast.File) []Finding {
	fs := fields(cl)
	var out []Finding
	auth, has := fs["Authorize"]
	_, hasTokenEnv := fs["TokenEnv"]
	if has && !isNil(auth.Value) {
		out = append(out, c.emptySecret(auth.Value, f)...)
	}
	if (!has || isNil(auth.Value)) && !hasTokenEnv {
		sev, msg := Warning, "devtools route has no Authorize: it serves loopback clients in development only, and fails to start elsewhere"
		if en, ok := fs["Enabled"]; ok && !isNil(en.Value) {
			sev, msg = Error, "devtools route is explicitly enabled without Authorize"
		}
		out = append(out, Finding{ID: IDRouteNoAuthorize, Severity: sev, Where: c.where(cl), Message: msg,
			Fix: `set TokenEnv (e.g. TokenEnv: "DEVTOOLS_TOKEN") or Authorize (e.g. recorder.HeaderTokenAuth)`})
	}
	if ao, ok := fs["AllowedOrigins"]; ok {
		if lit, ok := ao.Value.(*ast.CompositeLit); ok {
			for _, el := range lit.Elts {
				if s, ok := ev.str(el, 0); ok && strings.Contains(s, "*") {
					out = append(out, Finding{ID: IDOriginWildcard, Severity: Warning, Where: c.where(el),
						Message: "websocket origin allow-list contains a wildcard",
						Fix:     "list the exact origins of your own tools (host[:port])"})
				}
			}
		}
	}
	return out
}

func (c *sourceChecker) storePath(e ast.Expr, ev *evaluator) []Finding {
	p, ok := ev.str(e, 0)
	if !ok || p == "" {
		return nil
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(c.root, filepath.FromSlash(p))
	}
	roots := make([]string, 0, len(c.fileRoots))
	for _, r := range c.fileRoots {
		if !filepath.IsAbs(r) {
			r = filepath.Join(c.root, filepath.FromSlash(r))
		}
		roots = append(roots, r)
	}
	_, err := store.CheckPathIn(c.root, abs, roots)
	var pe *store.PublicPathError
	if errors.As(err, &pe) {
		fix := "keep the store outside served folders"
		if pe.Suggest != "" {
			fix += ", e.g. " + rel(c.root, pe.Suggest)
		}
		return []Finding{{ID: IDStorePublic, Severity: Error, Where: c.where(e),
			Message: fmt.Sprintf("store path %q is inside a public directory (%s)", p, rel(c.root, pe.PublicDir)),
			Fix:     fix + "; store.Open refuses it at run time"}}
	}
	return nil
}

func (c *sourceChecker) maxAge(e ast.Expr, ev *evaluator) []Finding {
	v, ok := ev.num(e, 0)
	if !ok {
		return nil
	}
	d := time.Duration(v)
	switch {
	case v < 0:
		return []Finding{{ID: IDRetentionLong, Severity: Warning, Where: c.where(e),
			Message: "store retention by age is disabled (MaxAge < 0)",
			Fix:     fmt.Sprintf("set MaxAge to %d days or less (the default is 24h)", MaxRetentionDays)}}
	case v > maxRetentionSeconds*float64(time.Second):
		return []Finding{{ID: IDRetentionLong, Severity: Warning, Where: c.where(e),
			Message: fmt.Sprintf("store retention is %s, longer than %d days", humanDuration(d), MaxRetentionDays),
			Fix:     "keep devtools data short-lived: MaxAge of 24h (the default) up to 7 days"}}
	}
	return nil
}

func humanDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// fileServerRoots returns the literal directories the file serves with
// http.Dir(...) or os.DirFS(...).
func fileServerRoots(f *ast.File, pi *pkgInfo, root string) []string {
	imp := imports(f)
	ev := &evaluator{consts: pi.consts, timePkg: imp["time"], filepathPkg: imp["path/filepath"], pathPkg: imp["path"]}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return true
		}
		if isSel(call.Fun, imp["net/http"], "Dir") || isSel(call.Fun, imp["os"], "DirFS") {
			if s, ok := ev.str(call.Args[0], 0); ok && s != "" && s != "." && s != "/" {
				// Paths in source are relative to where the app runs,
				// assumed to be the package's directory or the root.
				out = append(out, s)
				if r, err := filepath.Rel(root, pi.dir); err == nil && r != "." {
					out = append(out, filepath.Join(r, s))
				}
			}
		}
		return true
	})
	return out
}

// evaluator folds constant string and numeric expressions of one package.
type evaluator struct {
	consts                        map[string]ast.Expr
	timePkg, filepathPkg, pathPkg string
}

const maxDepth = 16

func (ev *evaluator) str(e ast.Expr, depth int) (string, bool) {
	if depth > maxDepth {
		return "", false
	}
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			s, err := strconv.Unquote(x.Value)
			return s, err == nil
		}
	case *ast.ParenExpr:
		return ev.str(x.X, depth+1)
	case *ast.Ident:
		if v, ok := ev.consts[x.Name]; ok {
			return ev.str(v, depth+1)
		}
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			a, ok1 := ev.str(x.X, depth+1)
			b, ok2 := ev.str(x.Y, depth+1)
			return a + b, ok1 && ok2
		}
	case *ast.CallExpr:
		if isSel(x.Fun, ev.filepathPkg, "Join") || isSel(x.Fun, ev.pathPkg, "Join") {
			parts := make([]string, 0, len(x.Args))
			for _, a := range x.Args {
				s, ok := ev.str(a, depth+1)
				if !ok {
					return "", false
				}
				parts = append(parts, s)
			}
			return path.Join(parts...), true
		}
	}
	return "", false
}

// num evaluates an integer or duration constant expression as float64
// (nanoseconds for durations).
func (ev *evaluator) num(e ast.Expr, depth int) (float64, bool) {
	if depth > maxDepth {
		return 0, false
	}
	switch x := e.(type) {
	case *ast.BasicLit:
		switch x.Kind {
		case token.INT:
			v, err := strconv.ParseInt(x.Value, 0, 64)
			return float64(v), err == nil
		case token.FLOAT:
			v, err := strconv.ParseFloat(strings.ReplaceAll(x.Value, "_", ""), 64)
			return v, err == nil
		}
	case *ast.ParenExpr:
		return ev.num(x.X, depth+1)
	case *ast.Ident:
		if v, ok := ev.consts[x.Name]; ok {
			return ev.num(v, depth+1)
		}
	case *ast.UnaryExpr:
		if v, ok := ev.num(x.X, depth+1); ok {
			switch x.Op {
			case token.SUB:
				return -v, true
			case token.ADD:
				return v, true
			}
		}
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok && ev.timePkg != "" && id.Name == ev.timePkg {
			switch x.Sel.Name {
			case "Nanosecond":
				return float64(time.Nanosecond), true
			case "Microsecond":
				return float64(time.Microsecond), true
			case "Millisecond":
				return float64(time.Millisecond), true
			case "Second":
				return float64(time.Second), true
			case "Minute":
				return float64(time.Minute), true
			case "Hour":
				return float64(time.Hour), true
			}
		}
	case *ast.CallExpr:
		if isSel(x.Fun, ev.timePkg, "Duration") && len(x.Args) == 1 {
			return ev.num(x.Args[0], depth+1)
		}
		if isSel(x.Fun, ev.timePkg, "ParseDuration") && len(x.Args) == 1 {
			// Used as time.ParseDuration("720h") in a two-value
			// assignment; follow the literal when we can.
			if s, ok := ev.str(x.Args[0], depth+1); ok {
				if d, err := time.ParseDuration(s); err == nil {
					return float64(d), true
				}
			}
		}
	case *ast.BinaryExpr:
		a, ok1 := ev.num(x.X, depth+1)
		b, ok2 := ev.num(x.Y, depth+1)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch x.Op {
		case token.MUL:
			return a * b, true
		case token.ADD:
			return a + b, true
		case token.SUB:
			return a - b, true
		case token.QUO:
			if b == 0 {
				return 0, false
			}
			if a == math.Trunc(a) && b == math.Trunc(b) {
				return math.Trunc(a / b), true
			}
			return a / b, true
		}
	}
	return 0, false
}
