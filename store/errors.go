package store

import (
	"errors"
	"fmt"
)

// Errors returned by the store, wrapped with the path or ID they concern.
// Match them with errors.Is.
var (
	// ErrNotFound: Get found no event with that ID.
	ErrNotFound = errors.New("store: event not found")
	// ErrLocked: another process (usually the running app's recorder) holds
	// the file's lock. Purge through that app's devtools route instead.
	ErrLocked = errors.New("store: file is locked by another process")
	// ErrNewerSchema: the file was written by a newer version of the store.
	// It is refused and never rewritten.
	ErrNewerSchema = errors.New("store: file was written by a newer schema")
	// ErrNotDatabase: the file is not a bbolt database, or a bbolt database
	// that is not a devtools store.
	ErrNotDatabase = errors.New("store: not a devtools store file")
	// ErrCorrupt: the file is a bbolt database but damaged (truncated,
	// bad checksums, unreadable pages), or one record does not decode.
	ErrCorrupt = errors.New("store: file is corrupt")
	// ErrPublicPath: the path lies inside a public or static directory. The
	// error is also a *PublicPathError.
	ErrPublicPath = errors.New("store: path is inside a public directory")
	// ErrPermissions: the existing file is readable or writable by group or
	// others (on Windows: by anyone but its owner, SYSTEM and
	// Administrators).
	ErrPermissions = errors.New("store: file permissions too open")
	// ErrReadOnly: a write on a store opened with Options.ReadOnly.
	ErrReadOnly = errors.New("store: opened read-only")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrFull: the size cap (Options.MaxSize) was reached and purging the
	// oldest events did not make enough room.
	ErrFull = errors.New("store: size cap reached")
	// ErrInvalid: an argument or an event is unfit to store.
	ErrInvalid = errors.New("store: invalid argument")
)

// PublicPathError is the error Open returns for a path inside a public or
// static directory. errors.Is(err, ErrPublicPath) holds for it.
type PublicPathError struct {
	// Path is the store path as resolved (absolute, symlinks of its nearest
	// existing ancestor resolved).
	Path string
	// PublicDir is the public directory that contains it.
	PublicDir string
	// Configured is true when PublicDir came from Options.PublicDirs, false
	// when it was matched by its name (public, static, www, ...) or as a
	// web server's document root.
	Configured bool
	// Suggest is a store path the guard accepts (the default under the
	// working directory, else one under the user's cache folder), for the
	// message; empty when neither is accepted. The message never
	// recommends a path the guard refuses.
	Suggest string

	why int // whyName, whyBuild, ...
}

func (e *PublicPathError) Error() string {
	why := "a directory with that name is usually served to the web"
	switch {
	case e.Configured:
		why = "the app serves that directory (Options.PublicDirs)"
	case e.why == whyBuild:
		why = "a build-output folder below the app's working directory is usually served"
	case e.why == whyRoot:
		why = "it is a web server's document root"
	}
	where := "choose a path outside any served folder (the app's StorePath, or --db)"
	if e.Suggest != "" {
		where += ", for example " + e.Suggest
	}
	return fmt.Sprintf("store: refusing to keep devtools data at %s: it is inside the public/static directory %s (%s); %s",
		e.Path, e.PublicDir, why, where)
}

// Is makes errors.Is(err, ErrPublicPath) true.
func (e *PublicPathError) Is(target error) bool { return target == ErrPublicPath }
