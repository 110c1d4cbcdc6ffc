package doctor

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Severity orders findings: Info < Warning < Error.
type Severity int

// Severities.
const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "info"
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one problem found.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Where is file:line, a URL, or a file path.
	Where   string `json:"where"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// The finding IDs.
const (
	IDRouteNoAuthorize  = "DT101" // devtools route without Authorize
	IDStorePublic       = "DT102" // store path in a public directory
	IDRetentionLong     = "DT103" // retention longer than 7 days, or disabled
	IDHardcodedToken    = "DT104" // token in source
	IDOriginWildcard    = "DT105" // wildcard in the websocket origin allow-list
	IDEmptySecret       = "DT106" // Authorize compares with a value that may be empty
	IDUnauthenticated   = "DT201" // event data without credentials
	IDQueryToken        = "DT202" // token accepted in the query string
	IDWebsocketOpen     = "DT203" // websocket upgrade without a token
	IDWebsocketOrigin   = "DT204" // websocket upgrade from a foreign origin
	IDCleartext         = "DT205" // token over plain http to a remote host
	IDUnreachable       = "DT206" // route not reachable
	IDTokenRefused      = "DT207" // the given token was refused
	IDRouteDisabled     = "DT208" // the route answers 404
	IDNotRun            = "DT209" // checks not run: the route rate-limited the probes
	IDDBPermissions     = "DT301" // store file readable by others
	IDDBDirPermissions  = "DT302" // store folder open to others
	IDDBPublic          = "DT303" // store file in a public directory
	IDDBStale           = "DT304" // events older than 7 days in the file
	IDDBUnreadable      = "DT305" // not a store, corrupt, newer schema, missing
	IDDBLocked          = "DT306" // file locked by a running app; content not checked
	IDDBCompactLeftover = "DT307" // an interrupted compaction left a copy of the events
	MaxRetentionDays    = 7
	maxRetentionSeconds = MaxRetentionDays * 24 * 3600
)

// Failed reports whether findings should fail the run: any error, or with
// strict any warning too.
func Failed(findings []Finding, strict bool) bool {
	for _, f := range findings {
		if f.Severity == Error || strict && f.Severity == Warning {
			return true
		}
	}
	return false
}

// Sort orders findings by where, then ID.
func Sort(findings []Finding) {
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.Where != b.Where {
			return lessWhere(a.Where, b.Where)
		}
		return a.ID < b.ID
	})
}

// lessWhere sorts file:line naturally (line numbers as numbers).
func lessWhere(a, b string) bool {
	fa, la := splitLine(a)
	fb, lb := splitLine(b)
	if fa != fb {
		return fa < fb
	}
	return la < lb
}

func splitLine(s string) (string, int) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n := 0
	for _, c := range s[i+1:] {
		if c < '0' || c > '9' {
			return s, 0
		}
		n = n*10 + int(c-'0')
	}
	return s[:i], n
}

// Write prints findings one per line (severity, ID, where, message) with the
// fix on the next line, then a summary line.
func Write(w io.Writer, findings []Finding) error {
	counts := map[Severity]int{}
	for _, f := range findings {
		counts[f.Severity]++
		if _, err := fmt.Fprintf(w, "%-7s %s  %s  %s\n        fix: %s\n", f.Severity, f.ID, f.Where, f.Message, f.Fix); err != nil {
			return err
		}
	}
	var err error
	if len(findings) == 0 {
		_, err = fmt.Fprintln(w, "doctor: no problems found")
	} else {
		_, err = fmt.Fprintf(w, "doctor: %d error(s), %d warning(s), %d note(s)\n", counts[Error], counts[Warning], counts[Info])
	}
	return err
}
