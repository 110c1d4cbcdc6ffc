package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/beignet/devtools/internal/privfile"
)

// PublicNames are the directory names the path guard treats as public or
// static wherever they appear in a store path (compared case-insensitively):
// folders that web servers and static-site tools serve. Build-output names
// (dist, build, out, assets) count only below the app's working directory,
// see CheckPath.
func PublicNames() []string {
	return []string{"public", "static", "www", "wwwroot", "htdocs", "public_html", "_site"}
}

// buildNames are served when they are the app's own build output (a front
// end's dist/ or build/), but are ordinary words higher up: an app checked
// out under /srv/build/myapp must keep its store in
// /srv/build/myapp/.beignet. They count only below the base folder.
func buildNames() []string { return []string{"dist", "build", "out", "assets"} }

// servedRoots are document roots that web servers serve under names the
// lists above do not cover (nginx's and Arch's defaults, macOS's Apache).
// Windows' C:\inetpub\wwwroot and XAMPP's htdocs are covered by name.
func servedRoots() []string {
	return []string{"/usr/share/nginx/html", "/srv/http", "/Library/WebServer/Documents"}
}

// CheckPath applies Open's path guard without opening anything: it returns
// the absolute, symlink-resolved path, or a *PublicPathError when path lies
// inside a folder a web server would serve. The guard refuses what is
// served, not what is named:
//
//   - a folder named as in PublicNames, anywhere in the path;
//   - a build-output folder (dist, build, out, assets) below the working
//     directory, the app's own front-end output;
//   - a common web-server document root (/usr/share/nginx/html, ...);
//   - one of publicDirs (the app's file-server roots).
//
// Symlinks (and on Windows junctions) of the nearest existing ancestor are
// resolved first, so a ./data symlink to ./public/x is caught; the path is
// checked both as written (made absolute) and as resolved. Names compare
// case-insensitively, and on Windows and macOS, whose file systems usually
// ignore case, whole paths do too; Windows drive letters and UNC paths are
// understood.
func CheckPath(path string, publicDirs []string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("store: working directory: %w", err)
	}
	return CheckPathIn(wd, path, publicDirs)
}

// CheckPathIn is CheckPath for an app that runs in root (doctor uses it for
// the project it analyses): a relative path or public dir is taken from
// root, and build-output names count below root.
func CheckPathIn(root, path string, publicDirs []string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%w: empty store path", ErrInvalid)
	}
	g, err := newGuard(root, publicDirs)
	if err != nil {
		return "", err
	}
	resolved, pe, err := g.check(path)
	if err != nil {
		return "", err
	}
	if pe != nil {
		pe.Suggest = g.suggest(pe.Path)
		return "", pe
	}
	return resolved, nil
}

// guard holds the base folders and public dirs of one check, each as
// written (made absolute) and as resolved.
type guard struct {
	style pathStyle
	root  string
	bases []string
	dirs  []string
}

func newGuard(root string, publicDirs []string) (*guard, error) {
	g := &guard{style: hostStyle()}
	var err error
	if g.root, err = filepath.Abs(root); err != nil {
		return nil, fmt.Errorf("store: resolve %s: %w", root, err)
	}
	rootRes, err := resolveExisting(g.root)
	if err != nil {
		return nil, fmt.Errorf("store: resolve %s: %w", root, err)
	}
	g.bases = []string{g.root, rootRes}
	for _, pd := range publicDirs {
		if pd == "" {
			continue
		}
		if !filepath.IsAbs(pd) {
			pd = filepath.Join(g.root, pd)
		}
		pdAbs := filepath.Clean(pd)
		pdRes, err := resolveExisting(pdAbs)
		if err != nil {
			return nil, fmt.Errorf("store: resolve public dir %s: %w", pd, err)
		}
		g.dirs = append(g.dirs, pdAbs, pdRes)
	}
	return g, nil
}

// check returns the resolved path, or the refusal.
func (g *guard) check(path string) (string, *PublicPathError, error) {
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(g.root, abs)
	}
	abs = filepath.Clean(abs)
	resolved, err := resolveExisting(abs)
	if err != nil {
		return "", nil, fmt.Errorf("store: resolve %s: %w", path, err)
	}
	for _, p := range []string{abs, resolved} {
		if c := classify(p, g.bases, g.dirs, g.style); c.served {
			return "", &PublicPathError{Path: resolved, PublicDir: c.dir, Configured: c.why == whyConfigured, why: c.why}, nil
		}
	}
	return resolved, nil, nil
}

// suggest names a store path that the guard accepts, for the error message:
// the default under the base folder, else one under the user's cache
// folder; "" when neither passes (the message then names none).
func (g *guard) suggest(refused string) string {
	cands := []string{filepath.Join(g.root, DefaultDir, DefaultFile)}
	if dir, err := os.UserCacheDir(); err == nil {
		cands = append(cands, filepath.Join(dir, "beignet-devtools", DefaultFile))
	}
	for _, c := range cands {
		if r, pe, err := g.check(c); err == nil && pe == nil && r != refused {
			return c
		}
	}
	return ""
}

// pathStyle is how paths are spelled and compared on a platform.
type pathStyle struct {
	windows bool // drive letters, UNC, backslashes
	fold    bool // whole paths compare case-insensitively
}

// hostStyle is the style of the platform the program runs on. macOS's
// default file systems ignore case, like Windows'.
func hostStyle() pathStyle {
	return pathStyle{windows: runtime.GOOS == "windows", fold: runtime.GOOS == "windows" || runtime.GOOS == "darwin"}
}

// splitPath is an absolute path as a volume and its names.
type splitPath struct {
	vol   string   // "" on Unix; "C:" or \\server\share on Windows
	names []string // cleaned: no empty, "." or ".." names
}

// split parses an absolute path in the given style: on Windows, drive
// letters (C:\x, c:/x), UNC paths (\\server\share\x) and their
// \\?\ forms; "." and ".." are applied lexically.
func (st pathStyle) split(p string) splitPath {
	var sp splitPath
	rest := p
	if st.windows {
		rest = strings.ReplaceAll(p, "/", `\`)
		switch {
		case hasPrefixFold(rest, `\\?\UNC\`), hasPrefixFold(rest, `\\.\UNC\`):
			rest = `\\` + rest[len(`\\?\UNC\`):]
		case strings.HasPrefix(rest, `\\?\`), strings.HasPrefix(rest, `\\.\`):
			rest = rest[len(`\\?\`):]
		}
		switch {
		case len(rest) >= 2 && rest[1] == ':' && isLetter(rest[0]):
			sp.vol = strings.ToUpper(rest[:2])
			rest = rest[2:]
		case strings.HasPrefix(rest, `\\`):
			parts := strings.SplitN(strings.TrimLeft(rest, `\`), `\`, 3)
			if len(parts) >= 2 {
				sp.vol = `\\` + parts[0] + `\` + parts[1]
				rest = ""
				if len(parts) == 3 {
					rest = parts[2]
				}
			}
		}
	}
	sep := "/"
	if st.windows {
		sep = `\`
	}
	for _, n := range strings.Split(rest, sep) {
		if st.windows && n != "." && n != ".." {
			n = strings.TrimRight(n, ". ") // Windows drops trailing dots and spaces: "public." is public
		}
		switch n {
		case "", ".":
		case "..":
			if len(sp.names) > 0 {
				sp.names = sp.names[:len(sp.names)-1]
			}
		default:
			sp.names = append(sp.names, n)
		}
	}
	return sp
}

// join spells the volume and the first n names as a path of the style.
func (st pathStyle) join(sp splitPath, n int) string {
	if st.windows {
		return sp.vol + `\` + strings.Join(sp.names[:n], `\`)
	}
	return "/" + strings.Join(sp.names[:n], "/")
}

// eq compares two names, or volumes, as the style's file system does.
func (st pathStyle) eq(a, b string) bool {
	if st.fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// under reports whether p is base or below it, and how many names base has.
func (st pathStyle) under(p, base splitPath) (int, bool) {
	if !st.eq(p.vol, base.vol) || len(p.names) < len(base.names) {
		return 0, false
	}
	for i, n := range base.names {
		if !st.eq(p.names[i], n) {
			return 0, false
		}
	}
	return len(base.names), true
}

// Why a folder was judged served.
const (
	whyName       = iota + 1 // a name in PublicNames
	whyBuild                 // a build-output name below the base folder
	whyRoot                  // a web server's document root
	whyConfigured            // Options.PublicDirs
)

// classification is classify's verdict.
type classification struct {
	served bool
	dir    string // the served folder that holds the store
	why    int
}

// classify decides whether the store file at p (absolute, in style st)
// sits in a folder a web server would serve: below one of dirs (the app's
// public dirs), below a web server's document root, in a folder named as
// in PublicNames anywhere, or in a build-output folder (buildNames) below
// one of bases (the app's working directory). Only folders count, not the
// file's own name. It touches no file system: CheckPath resolves links
// first, and tests give it Unix and Windows paths on any platform.
func classify(p string, bases, dirs []string, st pathStyle) classification {
	sp := st.split(p)
	if len(sp.names) == 0 {
		return classification{}
	}
	for _, d := range dirs {
		ds := st.split(d)
		if n, ok := st.under(sp, ds); ok && n < len(sp.names) {
			return classification{served: true, dir: st.join(sp, n), why: whyConfigured}
		}
	}
	if !st.windows {
		for _, r := range servedRoots() {
			if n, ok := st.under(sp, st.split(r)); ok && n < len(sp.names) {
				return classification{served: true, dir: st.join(sp, n), why: whyRoot}
			}
		}
	}
	folders := sp.names[:len(sp.names)-1]
	for i, n := range folders {
		for _, pn := range PublicNames() {
			if strings.EqualFold(n, pn) {
				return classification{served: true, dir: st.join(sp, i+1), why: whyName}
			}
		}
	}
	for _, b := range bases {
		start, ok := st.under(sp, st.split(b))
		if !ok {
			continue
		}
		for i := start; i < len(folders); i++ {
			for _, bn := range buildNames() {
				if strings.EqualFold(folders[i], bn) {
					return classification{served: true, dir: st.join(sp, i+1), why: whyBuild}
				}
			}
		}
	}
	return classification{}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// resolveExisting resolves the links of the nearest existing ancestor of
// the absolute path p (p itself when it exists) and appends the rest. A
// dangling link is followed by hand, so a link to a public folder that
// does not exist yet is caught too.
func resolveExisting(p string) (string, error) {
	return resolveDepth(filepath.Clean(p), 0)
}

func resolveDepth(p string, depth int) (string, error) {
	if depth > 40 {
		return "", fmt.Errorf("too many levels of symbolic links at %s", p)
	}
	rest := ""
	cur := p
	var fi fs.FileInfo
	for {
		var err error
		if fi, err = os.Lstat(cur); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) && !isNotDir(err) {
			return "", err
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
	r, err := evalLinks(cur)
	if err != nil {
		if fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) == 0 {
			return "", err
		}
		target, lerr := os.Readlink(cur)
		if lerr != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(cur), target)
		}
		return resolveDepth(filepath.Join(target, rest), depth+1)
	}
	return filepath.Join(r, rest), nil
}

func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "not a directory")
}

// checkMode refuses an existing file that anyone but its owner may read or
// write: group or other mode bits on Unix; on Windows, an access-list entry
// for anyone but the owner, SYSTEM and Administrators.
//
// Decision: refuse, do not fix. A wider mode means someone (a copy, an
// archive, a umask on a shared host, a folder's inherited access list)
// already widened it, and the store cannot know who has read it since;
// silently narrowing it would hide that and could break a deliberate setup.
// The error says how to fix it, in the platform's terms (chmod or icacls).
func checkMode(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file", ErrNotDatabase, path)
	}
	p, err := privfile.Check(path, fi)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrPermissions, path, err)
	}
	if p != nil {
		return fmt.Errorf("%w: %s %s, readable or writable beyond its owner; devtools data must be private: run `%s` (and check who could read it)",
			ErrPermissions, path, p.Detail, p.Fix)
	}
	return nil
}
