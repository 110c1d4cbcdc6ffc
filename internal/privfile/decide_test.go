package privfile

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

const (
	me    = "S-1-5-21-1004336348-1177238915-682003330-1001"
	other = "S-1-5-21-1004336348-1177238915-682003330-1002"
	users = "S-1-5-32-545"
	auth  = "S-1-5-11"
)

// TestACLDecision is the Windows rule over plain data: which entries make a
// store file or folder not private.
func TestACLDecision(t *testing.T) {
	full := uint32(0x1F01FF) // FILE_ALL_ACCESS
	readExec := uint32(0x1200A9)
	modify := uint32(0x1301BF)
	cases := []struct {
		name    string
		owner   string
		present bool
		aces    []ACE
		want    []string // offending SIDs
	}{
		{"owner, SYSTEM and Administrators only", me, true, []ACE{
			{SID: me, Allow: true, Mask: full},
			{SID: sidSystem, Allow: true, Mask: full},
			{SID: sidAdministrators, Allow: true, Mask: full},
		}, nil},
		{"what the store creates under a user profile", me, true, []ACE{
			{SID: me, Allow: true, Mask: full, Inherited: true},
			{SID: sidSystem, Allow: true, Mask: full, Inherited: true},
			{SID: sidAdministrators, Allow: true, Mask: full, Inherited: true},
		}, nil},
		{"Users read and Authenticated Users modify (a folder at the drive root)", me, true, []ACE{
			{SID: me, Allow: true, Mask: full},
			{SID: users, Name: `BUILTIN\Users`, Allow: true, Mask: readExec, Inherited: true},
			{SID: auth, Name: `NT AUTHORITY\Authenticated Users`, Allow: true, Mask: modify, Inherited: true},
		}, []string{users, auth}},
		{"Everyone read", me, true, []ACE{{SID: sidEveryone, Name: "Everyone", Allow: true, Mask: fileReadData}}, []string{sidEveryone}},
		{"another account", me, true, []ACE{{SID: other, Allow: true, Mask: fileWriteData}}, []string{other}},
		{"another account may change the permissions", me, true, []ACE{{SID: other, Allow: true, Mask: writeDAC}}, []string{other}},
		{"generic read", me, true, []ACE{{SID: users, Allow: true, Mask: genericRead}}, []string{users}},
		{"deny entries grant nothing", me, true, []ACE{{SID: sidEveryone, Allow: false, Mask: full}}, nil},
		{"inherit-only entries do not apply to the object", me, true, []ACE{{SID: "S-1-3-0", Allow: true, InheritOnly: true, Mask: full}}, nil},
		{"attributes and synchronize only", me, true, []ACE{{SID: users, Allow: true, Mask: 0x100080 /* SYNCHRONIZE|FILE_READ_ATTRIBUTES */}}, nil},
		{"OWNER RIGHTS is the owner", me, true, []ACE{{SID: sidOwnerRights, Allow: true, Mask: full}}, nil},
		{"no access list grants everyone everything", me, false, nil, []string{sidEveryone}},
		{"owned by Administrators (elevated), entry for the running user", sidAdministrators, true, []ACE{{SID: me, Allow: true, Mask: full}}, nil},
		{"owned by someone else: the owner is admitted, the running user is too", other, true, []ACE{{SID: other, Allow: true, Mask: full}, {SID: me, Allow: true, Mask: full}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := aclOffenders(c.owner, me, c.present, c.aces)
			var sids []string
			for _, a := range got {
				sids = append(sids, a.SID)
			}
			if strings.Join(sids, ",") != strings.Join(c.want, ",") {
				t.Fatalf("offenders = %v, want %v", sids, c.want)
			}
			p := aclProblem(`C:\proj\.beignet\devtools.db`, false, c.owner, got)
			if (p == nil) != (len(c.want) == 0) {
				t.Fatalf("problem = %+v with offenders %v", p, sids)
			}
		})
	}
}

func TestACLProblemWording(t *testing.T) {
	offenders := []ACE{
		{SID: sidEveryone, Name: "Everyone", Allow: true, Mask: fileReadData},
		{SID: users, Name: `BUILTIN\Users`, Allow: true, Mask: 0x1301BF, Inherited: true},
		{SID: other, Allow: true, Mask: fileWriteData},
	}
	p := aclProblem(`C:\srv\app\.beignet\devtools.db`, false, me, offenders)
	wantDetail := `grants Everyone read, BUILTIN\Users read and write, ` + other + ` write`
	if p.Detail != wantDetail {
		t.Errorf("detail = %q\nwant     %q", p.Detail, wantDetail)
	}
	wantFix := `icacls "C:\srv\app\.beignet\devtools.db" /inheritance:r /grant:r "*` + me + `:F" "*S-1-5-18:F" "*S-1-5-32-544:F" /remove:g *S-1-1-0 *` + other
	if p.Fix != wantFix {
		t.Errorf("fix = %s\nwant  %s", p.Fix, wantFix)
	}
	d := aclProblem(`C:\srv\app\.beignet`, true, me, offenders[1:2])
	if !strings.Contains(d.Fix, `"*`+me+`:(OI)(CI)F"`) || strings.Contains(d.Fix, "/remove") {
		t.Errorf("folder fix = %s", d.Fix)
	}
}

func TestModeDecision(t *testing.T) {
	cases := []struct {
		perm fs.FileMode
		dir  bool
		want string // fix, "" when private
	}{
		{0o600, false, ""},
		{0o400, false, ""},
		{0o700, true, ""},
		{0o640, false, "chmod 600 /p/devtools.db"},
		{0o604, false, "chmod 600 /p/devtools.db"},
		{0o666, false, "chmod 600 /p/devtools.db"},
		{0o755, true, "chmod 700 /p/devtools.db"},
		{0o701, true, "chmod 700 /p/devtools.db"},
	}
	for _, c := range cases {
		p := modeProblem("/p/devtools.db", c.perm, c.dir)
		got := ""
		if p != nil {
			got = p.Fix
			if want := fmt.Sprintf("has mode %04o", c.perm); p.Detail != want {
				t.Errorf("detail %q, want %q", p.Detail, want)
			}
		}
		if got != c.want {
			t.Errorf("%04o dir=%v: fix %q, want %q", c.perm, c.dir, got, c.want)
		}
	}
	if got := modeProblem("/tmp/my data/it's.db", 0o644, false); got.Fix != `chmod 600 '/tmp/my data/it'\''s.db'` || got.Detail != "has mode 0644" {
		t.Errorf("quoted: %+v", got)
	}
}
