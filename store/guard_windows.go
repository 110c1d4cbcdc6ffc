//go:build windows

package store

import (
	"io/fs"
	"strings"

	"golang.org/x/sys/windows"
)

// evalLinks resolves the existing path p through symbolic links and
// junctions (mount points), which filepath.EvalSymlinks leaves alone since
// Go 1.23: it opens p and asks Windows for the final path of the handle.
func evalLinks(p string) (string, error) {
	name, err := windows.UTF16PtrFromString(p)
	if err != nil {
		return "", &fs.PathError{Op: "resolve", Path: p, Err: err}
	}
	h, err := windows.CreateFile(name, 0,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return "", &fs.PathError{Op: "resolve", Path: p, Err: err}
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, 512)
	for {
		// Flags 0: the normalized name, with a drive letter (VOLUME_NAME_DOS).
		n, err := windows.GetFinalPathNameByHandle(h, &buf[0], uint32(len(buf)), 0)
		if err != nil {
			return "", &fs.PathError{Op: "resolve", Path: p, Err: err}
		}
		if int(n) < len(buf) {
			return stripVerbatim(windows.UTF16ToString(buf[:n])), nil
		}
		buf = make([]uint16, n+1)
	}
}

// stripVerbatim turns \\?\C:\x into C:\x and \\?\UNC\server\share\x into
// \\server\share\x.
func stripVerbatim(p string) string {
	switch {
	case strings.HasPrefix(p, `\\?\UNC\`):
		return `\\` + p[len(`\\?\UNC\`):]
	case strings.HasPrefix(p, `\\?\`):
		return p[len(`\\?\`):]
	}
	return p
}
