//go:build windows

package privfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Check says whether the file or folder at path (fi is its Stat) is
// private: its access list grants read or write to no one but its owner,
// SYSTEM and Administrators. A nil *Problem means it is.
func Check(path string, fi fs.FileInfo) (*Problem, error) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return nil, fmt.Errorf("read the access list of %s: %w", path, err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return nil, fmt.Errorf("read the owner of %s: %w", path, err)
	}
	self, err := currentUser()
	if err != nil {
		return nil, err
	}
	dacl, _, err := sd.DACL()
	present := err == nil && dacl != nil
	if err != nil && !errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) {
		return nil, fmt.Errorf("read the access list of %s: %w", path, err)
	}
	var aces []ACE
	if present {
		for i := range uint32(dacl.AceCount) {
			var ace *windows.ACCESS_ALLOWED_ACE
			if err := windows.GetAce(dacl, i, &ace); err != nil {
				return nil, fmt.Errorf("read the access list of %s: %w", path, err)
			}
			a := ACE{
				Allow:       ace.Header.AceType == windows.ACCESS_ALLOWED_ACE_TYPE,
				InheritOnly: ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0,
				Inherited:   ace.Header.AceFlags&windows.INHERITED_ACE != 0,
				Mask:        uint32(ace.Mask),
			}
			if a.Allow {
				sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
				a.SID = sid.String()
				if acct, dom, _, err := sid.LookupAccount(""); err == nil {
					a.Name = acct
					if dom != "" {
						a.Name = dom + `\` + acct
					}
				}
			}
			aces = append(aces, a)
		}
	}
	ownerSID := owner.String()
	return aclProblem(path, fi.IsDir(), ownerSID, aclOffenders(ownerSID, self.String(), present, aces)), nil
}

// currentUser is the SID of the account this process runs as.
func currentUser() (*windows.SID, error) {
	tok, err := windows.OpenCurrentProcessToken()
	if err != nil {
		return nil, fmt.Errorf("open process token: %w", err)
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("read process user: %w", err)
	}
	return u.User.Sid.Copy()
}

// privateAttrs is a security descriptor that makes the current user the
// owner and grants full control to the owner, SYSTEM and Administrators
// only, with inheritance from the parent blocked (P); a folder's entries
// are inherited by what is created in it (OICI).
func privateAttrs(dir bool) (*windows.SecurityAttributes, error) {
	u, err := currentUser()
	if err != nil {
		return nil, err
	}
	inherit := ""
	if dir {
		inherit = "OICI"
	}
	sid := u.String()
	sddl := fmt.Sprintf("O:%sD:P(A;%s;FA;;;%s)(A;%s;FA;;;SY)(A;%s;FA;;;BA)", sid, inherit, sid, inherit, inherit)
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return nil, fmt.Errorf("build security descriptor: %w", err)
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	return sa, nil
}

// MkdirAll creates dir and its missing parents, each with an owner-only
// access list (owner, SYSTEM, Administrators).
func MkdirAll(dir string) error {
	dir = filepath.Clean(dir)
	if fi, err := os.Stat(dir); err == nil {
		if fi.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: dir, Err: windows.ERROR_ALREADY_EXISTS}
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := MkdirAll(parent); err != nil {
			return err
		}
	}
	sa, err := privateAttrs(true)
	if err != nil {
		return err
	}
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	if err := windows.CreateDirectory(p, sa); err != nil && !errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return nil
}

// Create creates an empty file at path with an owner-only access list,
// unless something already exists there (then it does nothing: the caller
// checks it).
func Create(path string) error {
	sa, err := privateAttrs(false)
	if err != nil {
		return err
	}
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE, 0, sa,
		windows.CREATE_NEW, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if errors.Is(err, windows.ERROR_FILE_EXISTS) || errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		return nil
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return windows.CloseHandle(h)
}
