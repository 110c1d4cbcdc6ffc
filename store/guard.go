package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/beignet/devtools/internal/privfile"
)

// PublicNames are the directory names the path guard treats as public or
// static wherever they appear in a store path (compared case-insensitively):
// folders that web servers, static-site tools and front-end builds serve.
func PublicNames() []string {
	return []string{"public", "static", "www", "wwwroot", "htdocs", "dist", "build", "out", "assets"}
}

// CheckPath applies Open's path guard without opening anything: it returns
// the absolute, symlink-resolved path, or a *PublicPathError when path lies
// inside a public or static directory: a segment named as in PublicNames, or
// one of publicDirs. Symlinks of the nearest existing ancestor are resolved
// first, so a ./data symlink to ./public/x is caught; the path is checked
// both as written (made absolute) and as resolved.
func CheckPath(path string, publicDirs []string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%w: empty store path", ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("store: resolve %s: %w", path, err)
	}
	resolved, err := resolveExisting(abs)
	if err != nil {
		return "", fmt.Errorf("store: resolve %s: %w", path, err)
	}
	for _, p := range []string{abs, resolved} {
		if dir, ok := publicSegment(p); ok {
			return "", &PublicPathError{Path: resolved, PublicDir: dir}
		}
	}
	for _, pd := range publicDirs {
		if pd == "" {
			continue
		}
		pdAbs, err := filepath.Abs(pd)
		if err != nil {
			return "", fmt.Errorf("store: resolve public dir %s: %w", pd, err)
		}
		pdRes, err := resolveExisting(pdAbs)
		if err != nil {
			return "", fmt.Errorf("store: resolve public dir %s: %w", pd, err)
		}
		for _, p := range []string{abs, resolved} {
			for _, d := range []string{pdAbs, pdRes} {
				if within(p, d) {
					return "", &PublicPathError{Path: resolved, PublicDir: d, Configured: true}
				}
			}
		}
	}
	return resolved, nil
}

// resolveExisting resolves the symlinks of the nearest existing ancestor of
// the absolute path p (p itself when it exists) and appends the rest. A
// dangling symlink is followed by hand, so a link to a public folder that
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
	r, err := filepath.EvalSymlinks(cur)
	if err != nil {
		if fi.Mode()&fs.ModeSymlink == 0 {
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

// publicSegment reports the first directory of p (excluding the file name
// itself) whose name is in PublicNames, as the path up to it.
func publicSegment(p string) (string, bool) {
	dir := filepath.Dir(p)
	parts := strings.Split(dir, string(filepath.Separator))
	for i, seg := range parts {
		for _, n := range PublicNames() {
			if strings.EqualFold(seg, n) {
				d := strings.Join(parts[:i+1], string(filepath.Separator))
				if d == "" {
					d = string(filepath.Separator)
				}
				return d, true
			}
		}
	}
	return "", false
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
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
