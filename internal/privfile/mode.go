package privfile

import (
	"fmt"
	"io/fs"
	"strings"
)

// modeProblem is the Unix rule: a file or folder is private when neither
// group nor others have any permission bit. The fix is chmod 600 (file) or
// 700 (folder).
func modeProblem(path string, perm fs.FileMode, dir bool) *Problem {
	if perm&0o077 == 0 {
		return nil
	}
	fix := "chmod 600 " + shellQuote(path)
	if dir {
		fix = "chmod 700 " + shellQuote(path)
	}
	return &Problem{Path: path, Dir: dir, Detail: fmt.Sprintf("has mode %04o", perm.Perm()), Fix: fix}
}

// shellQuote quotes p for a POSIX shell when it needs it.
func shellQuote(p string) string {
	if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,@") == "" {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
