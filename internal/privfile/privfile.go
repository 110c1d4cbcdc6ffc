// Package privfile creates files and folders that only their owner can
// read or write, and says, in the platform's terms, why an existing one is
// not private: a mode and `chmod` on Unix, an access list and `icacls` on
// Windows.
//
// The store uses it for its folder and file, doctor for DT301 and DT302.
// The decisions themselves (which mode bits, which access-list entries)
// are plain functions over plain data, tested on every platform; only the
// system calls that gather that data are per platform.
package privfile

// Problem says why a file or folder is not private. A nil *Problem means it
// is.
type Problem struct {
	// Path is the file or folder checked.
	Path string
	// Dir is true for a folder.
	Dir bool
	// Detail says who can get in, in the platform's terms: "has mode 0644"
	// on Unix, "grants Everyone read, BUILTIN\Users read and write" on
	// Windows.
	Detail string
	// Fix is a command that makes it private: `chmod 600 PATH` on Unix,
	// an `icacls` command on Windows.
	Fix string
}
