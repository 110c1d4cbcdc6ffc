package privfile

import (
	"fmt"
	"strings"
)

// ACE is one entry of a Windows access list (DACL) as plain data, so the
// decision can be made and tested on any platform.
type ACE struct {
	// SID is the trustee's security identifier, e.g. "S-1-1-0".
	SID string
	// Name is the trustee's account name for messages ("Everyone",
	// `BUILTIN\Users`); empty when it could not be looked up.
	Name string
	// Allow is true for an access-allowed entry. Other entries (deny,
	// audit, object-specific) grant nothing and are ignored.
	Allow bool
	// InheritOnly entries apply to children, not to the object itself.
	InheritOnly bool
	// Inherited entries come from the parent folder (icacls /inheritance:r
	// removes them).
	Inherited bool
	// Mask is the access mask.
	Mask uint32
}

// Well-known SIDs the rule admits besides the owner.
const (
	sidSystem         = "S-1-5-18"     // NT AUTHORITY\SYSTEM
	sidAdministrators = "S-1-5-32-544" // BUILTIN\Administrators
	sidOwnerRights    = "S-1-3-4"      // OWNER RIGHTS: whoever owns the object
	sidEveryone       = "S-1-1-0"
)

// Access-mask bits that let a trustee read or change the data, or give
// itself that right.
const (
	fileReadData    = 0x1 // FILE_READ_DATA, FILE_LIST_DIRECTORY on a folder
	fileWriteData   = 0x2 // FILE_WRITE_DATA, FILE_ADD_FILE
	fileAppendData  = 0x4 // FILE_APPEND_DATA, FILE_ADD_SUBDIRECTORY
	fileDeleteChild = 0x40
	writeDAC        = 0x40000
	writeOwner      = 0x80000
	genericAll      = 0x10000000
	genericWrite    = 0x40000000
	genericRead     = 0x80000000

	readMask  = fileReadData | genericRead | genericAll
	writeMask = fileWriteData | fileAppendData | fileDeleteChild | writeDAC | writeOwner | genericWrite | genericAll
)

// aclOffenders applies the Windows rule: an object is private when its
// access list grants read or write only to its owner, SYSTEM and
// Administrators (and self, the account running the check, which is the
// owner unless an elevated process made Administrators the owner). A
// missing or NULL access list grants everyone everything. It returns the
// entries that break the rule.
func aclOffenders(owner, self string, daclPresent bool, aces []ACE) []ACE {
	if !daclPresent {
		return []ACE{{SID: sidEveryone, Name: "Everyone (the file has no access list)", Allow: true, Mask: genericAll}}
	}
	var out []ACE
	for _, a := range aces {
		if !a.Allow || a.InheritOnly || a.Mask&(readMask|writeMask) == 0 {
			continue
		}
		switch a.SID {
		case owner, self, sidSystem, sidAdministrators, sidOwnerRights:
			continue
		}
		out = append(out, a)
	}
	return out
}

// aclProblem turns the offending entries into a Problem: who gets what,
// and the icacls command that leaves the owner, SYSTEM and Administrators.
func aclProblem(path string, dir bool, owner string, offenders []ACE) *Problem {
	if len(offenders) == 0 {
		return nil
	}
	var who []string
	var explicit []string
	seen := map[string]bool{}
	for _, a := range offenders {
		name := a.Name
		if name == "" {
			name = a.SID
		}
		who = append(who, name+" "+accessWords(a.Mask))
		if !a.Inherited && !seen[a.SID] {
			seen[a.SID] = true
			explicit = append(explicit, `*`+a.SID)
		}
	}
	perm := "F"
	if dir {
		perm = "(OI)(CI)F"
	}
	grant := func(sid string) string { return `"*` + sid + ":" + perm + `"` }
	fix := fmt.Sprintf(`icacls "%s" /inheritance:r /grant:r %s %s %s`, path, grant(owner), grant(sidSystem), grant(sidAdministrators))
	if len(explicit) > 0 {
		fix += fmt.Sprintf(` /remove:g %s`, strings.Join(explicit, " "))
	}
	return &Problem{Path: path, Dir: dir, Detail: "grants " + strings.Join(who, ", "), Fix: fix}
}

// accessWords names what a mask grants: "read", "write", "read and write".
func accessWords(mask uint32) string {
	r, w := mask&readMask != 0, mask&writeMask != 0
	switch {
	case r && w:
		return "read and write"
	case r:
		return "read"
	default:
		return "write"
	}
}
