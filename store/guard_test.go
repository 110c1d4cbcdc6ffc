package store

import (
	"testing"
)

// TestClassify is the guard's decision over Unix- and Windows-shaped paths,
// on any platform: what is served is refused, what is merely named like a
// build folder higher up is not.
func TestClassify(t *testing.T) {
	unix := pathStyle{}
	mac := pathStyle{fold: true}
	win := pathStyle{windows: true, fold: true}
	cases := []struct {
		name  string
		st    pathStyle
		path  string
		bases []string
		dirs  []string
		want  string // the served folder; "" means accepted
		why   int
	}{
		// Unix: names anywhere, build output below the working directory.
		{"default store of an app under /srv/build", unix, "/srv/build/myapp/.beignet/devtools.db", []string{"/srv/build/myapp"}, nil, "", 0},
		{"app's own dist", unix, "/srv/build/myapp/dist/devtools.db", []string{"/srv/build/myapp"}, nil, "/srv/build/myapp/dist", whyBuild},
		{"app's own assets, nested", unix, "/home/u/app/web/Assets/x/devtools.db", []string{"/home/u/app"}, nil, "/home/u/app/web/Assets", whyBuild},
		{"build name outside the working directory", unix, "/opt/build/data/devtools.db", []string{"/home/u/app"}, nil, "", 0},
		{"public anywhere", unix, "/srv/public/app/.beignet/devtools.db", []string{"/srv/public/app"}, nil, "/srv/public", whyName},
		{"each strong name: public_html", unix, "/home/u/public_html/d.db", nil, nil, "/home/u/public_html", whyName},
		{"each strong name: _site", unix, "/home/u/blog/_site/d.db", nil, nil, "/home/u/blog/_site", whyName},
		{"strong names ignore case", unix, "/a/STATIC/b/d.db", nil, nil, "/a/STATIC", whyName},
		{"var/www", unix, "/var/www/app/.beignet/devtools.db", nil, nil, "/var/www", whyName},
		{"nginx document root", unix, "/usr/share/nginx/html/d.db", nil, nil, "/usr/share/nginx/html", whyRoot},
		{"the file's own name does not count", unix, "/home/u/app/public", []string{"/home/u/app"}, nil, "", 0},
		{"similar names are fine", unix, "/home/u/publication/builder/d.db", []string{"/home/u"}, nil, "", 0},
		{"dot-dot applied before the check", unix, "/home/u/app/ok/../static/d.db", nil, nil, "/home/u/app/static", whyName},
		{"dot-dot out of a public folder", unix, "/home/u/app/public/../data/d.db", nil, nil, "", 0},
		{"configured dir", unix, "/home/u/app/site/files/d.db", nil, []string{"/home/u/app/site"}, "/home/u/app/site", whyConfigured},
		{"configured dir is case-sensitive on Linux", unix, "/home/u/app/Site/d.db", nil, []string{"/home/u/app/site"}, "", 0},
		{"configured dir ignores case on macOS", mac, "/Users/u/app/Site/d.db", nil, []string{"/Users/u/app/site"}, "/Users/u/app/Site", whyConfigured},
		{"build output below a base that differs in case, macOS", mac, "/users/u/app/dist/d.db", []string{"/Users/u/app"}, nil, "/users/u/app/dist", whyBuild},
		{"macOS Apache document root", mac, "/library/webserver/documents/d.db", nil, nil, "/library/webserver/documents", whyRoot},

		// Windows: drive letters, UNC, verbatim prefixes, case, slashes.
		{"IIS root", win, `C:\inetpub\wwwroot\app\devtools.db`, nil, nil, `C:\inetpub\wwwroot`, whyName},
		{"IIS root, lower case, forward slashes", win, `c:/INETPUB/WWWROOT/app/devtools.db`, nil, nil, `C:\INETPUB\WWWROOT`, whyName},
		{"XAMPP", win, `D:\xampp\htdocs\d.db`, nil, nil, `D:\xampp\htdocs`, whyName},
		{"default store of an app under D:\\build", win, `D:\build\myapp\.beignet\devtools.db`, []string{`d:\Build\MyApp`}, nil, "", 0},
		{"app's own dist, base in other case", win, `D:\build\myapp\DIST\devtools.db`, []string{`d:\Build\MyApp`}, nil, `D:\build\myapp\DIST`, whyBuild},
		{"another drive is not below the base", win, `E:\app\dist\d.db`, []string{`D:\app`}, nil, "", 0},
		{"UNC share", win, `\\fileserver\sites\public\d.db`, nil, nil, `\\fileserver\sites\public`, whyName},
		{"UNC share name is a volume, not a folder", win, `\\fileserver\public\d.db`, nil, nil, "", 0},
		{"verbatim UNC", win, `\\?\UNC\fileserver\sites\www\d.db`, nil, nil, `\\fileserver\sites\www`, whyName},
		{"verbatim drive", win, `\\?\C:\app\Static\d.db`, nil, nil, `C:\app\Static`, whyName},
		{"configured dir on another case", win, `C:\App\Site\x\d.db`, nil, []string{`c:\app\site`}, `C:\App\Site`, whyConfigured},
		{"configured UNC dir", win, `\\Srv\Share\web\d.db`, nil, []string{`\\srv\share\WEB`}, `\\Srv\Share\web`, whyConfigured},
		{"trailing dot is dropped by Windows", win, `C:\app\public.\d.db`, nil, nil, `C:\app\public`, whyName},
		{"dot-dot on Windows", win, `C:\app\x\..\wwwroot\d.db`, nil, nil, `C:\app\wwwroot`, whyName},
		{"Unix document roots mean nothing on Windows", win, `C:\srv\http\d.db`, nil, nil, "", 0},
		{"user profile", win, `C:\Users\me\AppData\Local\beignet-devtools\devtools.db`, []string{`C:\Users\me\src\app`}, nil, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := classify(c.path, c.bases, c.dirs, c.st)
			if got.dir != c.want || got.served != (c.want != "") || got.why != c.why {
				t.Fatalf("classify(%q) = %+v, want dir %q why %d", c.path, got, c.want, c.why)
			}
		})
	}
}

func TestSplitWindows(t *testing.T) {
	win := pathStyle{windows: true, fold: true}
	for in, want := range map[string]string{
		`C:\`:                     `C:\`,
		`c:\a\b`:                  `C:\a\b`,
		`C:/a//b/./c/`:            `C:\a\b\c`,
		`\\server\share`:          `\\server\share\`,
		`\\server\share\a\..\..`:  `\\server\share\`,
		`\\?\UNC\server\share\a`:  `\\server\share\a`,
		`\\.\C:\a`:                `C:\a`,
		`//server/share/a`:        `\\server\share\a`,
		`C:\a\..\..\..\b`:         `C:\b`,
		`C:\Program Files \x. \y`: `C:\Program Files\x\y`,
	} {
		sp := win.split(in)
		if got := win.join(sp, len(sp.names)); got != want {
			t.Errorf("split(%q) joins to %q, want %q", in, got, want)
		}
	}
	unix := pathStyle{}
	sp := unix.split("/a/../../b/./c/")
	if got := unix.join(sp, len(sp.names)); got != "/b/c" {
		t.Errorf("unix split = %q", got)
	}
}
