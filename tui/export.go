package tui

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/textsafe"
)

// createFile creates path for writing with mode 0600 and refuses to replace
// an existing file.
func createFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tui: export: %w", err)
	}
	return f, nil
}

// writeJSONLines writes events, one JSON object per line, to a new file.
func writeJSONLines(path string, evs []event.Event) error {
	f, err := createFile(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := range evs {
		b, err := event.Marshal(&evs[i])
		if err != nil {
			f.Close()
			return fmt.Errorf("tui: export: %w", err)
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("tui: export: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("tui: export: %w", err)
	}
	return nil
}

func exportCmd(path string, evs []event.Event) tea.Cmd {
	return func() tea.Msg {
		if err := writeJSONLines(path, evs); err != nil {
			return noticeMsg{text: err.Error(), err: true}
		}
		return noticeMsg{text: fmt.Sprintf("exported %d events to %s", len(evs), textsafe.Line(path))}
	}
}

func harCmd(path string, sel *event.Event, evs []event.Event) tea.Cmd {
	har := buildHAR(evs)
	return func() tea.Msg {
		b, err := json.MarshalIndent(har, "", "  ")
		if err != nil {
			return noticeMsg{text: "tui: har: " + err.Error(), err: true}
		}
		f, err := createFile(path)
		if err != nil {
			return noticeMsg{text: err.Error(), err: true}
		}
		_, werr := f.Write(b)
		cerr := f.Close()
		if werr != nil || cerr != nil {
			return noticeMsg{text: fmt.Sprintf("tui: har: write %s failed", textsafe.Line(path)), err: true}
		}
		return noticeMsg{text: fmt.Sprintf("wrote HAR (%d entries) to %s; curl command copied (OSC 52)", len(har.Log.Entries), textsafe.Line(path))}
	}
}

// harDoc 1.2 (only the parts we can fill).
type (
	harDoc struct {
		Log harLog `json:"log"`
	}
	harLog struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Entries []harEntry `json:"entries"`
		Comment string     `json:"comment,omitempty"`
	}
	harCreator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	harEntry struct {
		StartedDateTime string      `json:"startedDateTime"`
		Time            float64     `json:"time"`
		Request         harRequest  `json:"request"`
		Response        harResponse `json:"response"`
		Cache           struct{}    `json:"cache"`
		Timings         harTimings  `json:"timings"`
		Comment         string      `json:"comment,omitempty"`
	}
	harRequest struct {
		Method      string      `json:"method"`
		URL         string      `json:"url"`
		HTTPVersion string      `json:"httpVersion"`
		Cookies     []harNV     `json:"cookies"`
		Headers     []harNV     `json:"headers"`
		QueryString []harNV     `json:"queryString"`
		PostData    *harContent `json:"postData,omitempty"`
		HeadersSize int         `json:"headersSize"`
		BodySize    int64       `json:"bodySize"`
	}
	harResponse struct {
		Status      int        `json:"status"`
		StatusText  string     `json:"statusText"`
		HTTPVersion string     `json:"httpVersion"`
		Cookies     []harNV    `json:"cookies"`
		Headers     []harNV    `json:"headers"`
		Content     harContent `json:"content"`
		RedirectURL string     `json:"redirectURL"`
		HeadersSize int        `json:"headersSize"`
		BodySize    int64      `json:"bodySize"`
	}
	harNV struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	harContent struct {
		Size     int64  `json:"size"`
		MimeType string `json:"mimeType"`
		Text     string `json:"text,omitempty"`
		Comment  string `json:"comment,omitempty"`
	}
	harTimings struct {
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
	}
)

// buildHAR turns the request and provider events of evs into harDoc entries.
// Values stay as recorded: redacted values stay redacted.
func buildHAR(evs []event.Event) harDoc {
	h := harDoc{Log: harLog{Version: "1.2", Creator: harCreator{Name: "beignet-devtools", Version: "1"}, Entries: []harEntry{}}}
	var others []string
	for i := range evs {
		e := &evs[i]
		if e.HTTP == nil && e.Provider == nil {
			// harDoc has no place for audit records and logs: list them in
			// the log comment so the export still tells the whole story.
			desc := e.Name
			if e.Message != "" {
				desc = strings.TrimSpace(e.Level + " " + e.Message)
			}
			others = append(others, fmt.Sprintf("%s %s %s", e.Time.UTC().Format(time.RFC3339Nano), e.Kind, desc))
			continue
		}
		ent := harEntry{StartedDateTime: e.Time.UTC().Format(time.RFC3339Nano), Time: ms(e.Duration())}
		ent.Timings = harTimings{Wait: ms(e.Duration())}
		ent.Comment = string(e.Kind) + " " + e.Name
		ent.Request = harRequest{Method: e.Method(), URL: absURL(e), HTTPVersion: "HTTP/1.1", Cookies: []harNV{}, Headers: []harNV{}, QueryString: []harNV{}, HeadersSize: -1, BodySize: -1}
		ent.Response = harResponse{Status: e.StatusCode(), HTTPVersion: "HTTP/1.1", Cookies: []harNV{}, Headers: []harNV{}, HeadersSize: -1, BodySize: -1}
		if u, err := url.Parse(ent.Request.URL); err == nil {
			for k, vs := range u.Query() {
				for _, v := range vs {
					ent.Request.QueryString = append(ent.Request.QueryString, harNV{k, v})
				}
			}
			sort.Slice(ent.Request.QueryString, func(a, b int) bool { return ent.Request.QueryString[a].Name < ent.Request.QueryString[b].Name })
		}
		if x := e.HTTP; x != nil {
			ent.Request.Headers = nvs(x.RequestHeaders)
			ent.Response.Headers = nvs(x.ResponseHeaders)
			if b := x.RequestBody; b != nil {
				ent.Request.PostData = &harContent{Size: b.Size, MimeType: b.ContentType, Text: b.Text}
				ent.Request.BodySize = b.Size
			}
			if b := x.ResponseBody; b != nil {
				ent.Response.Content = harContent{Size: b.Size, MimeType: b.ContentType, Text: b.Text}
				if b.Truncated {
					ent.Response.Content.Comment = "truncated at capture"
				}
				ent.Response.BodySize = b.Size
			}
		}
		h.Log.Entries = append(h.Log.Entries, ent)
	}
	if len(others) > 0 {
		h.Log.Comment = "correlated events without an HTTP exchange:\n" + strings.Join(others, "\n")
	}
	return h
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func nvs(h map[string][]string) []harNV {
	out := []harNV{}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			out = append(out, harNV{k, v})
		}
	}
	return out
}

// absURL returns an absolute URL for e: inbound requests often record only a
// path, so the Host header (or 127.0.0.1) fills in.
func absURL(e *event.Event) string {
	u := e.URL()
	if strings.Contains(u, "://") {
		return u
	}
	host := "127.0.0.1"
	if e.HTTP != nil {
		for k, v := range e.HTTP.RequestHeaders {
			if strings.EqualFold(k, "host") && len(v) > 0 && v[0] != "" {
				host = v[0]
			}
		}
	}
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	return "http://" + host + u
}

// shellQuote quotes s for a shell. Plain text gets POSIX single quotes;
// text with control characters (a recorded value could carry a newline or an
// escape sequence aimed at the terminal it is pasted into) gets ANSI-C
// quoting ($'...', bash and zsh) with every such byte escaped.
func shellQuote(s string) string {
	if textsafe.Line(s) == s {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// curlCommand returns a curl command replaying the request of the selected
// event (the request event of its correlation group), with redacted values
// left redacted, or "".
func curlCommand(sel *event.Event, evs []event.Event) string {
	req := sel
	if sel.Kind != event.KindRequest || sel.HTTP == nil {
		req = nil
		for i := range evs {
			if evs[i].Kind == event.KindRequest && evs[i].HTTP != nil {
				req = &evs[i]
				break
			}
		}
		if req == nil && sel.HTTP != nil {
			req = sel
		}
	}
	if req == nil || req.HTTP == nil {
		return ""
	}
	h := req.HTTP
	var b strings.Builder
	b.WriteString("curl")
	if h.Method != "" && h.Method != "GET" {
		b.WriteString(" -X " + shellQuote(h.Method))
	}
	b.WriteString(" " + shellQuote(absURL(req)))
	keys := make([]string, 0, len(h.RequestHeaders))
	for k := range h.RequestHeaders {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := strings.ToLower(k)
		if lk == "host" || lk == "content-length" || lk == "accept-encoding" || lk == "connection" {
			continue
		}
		for _, v := range h.RequestHeaders[k] {
			b.WriteString(" -H " + shellQuote(k+": "+v))
		}
	}
	if rb := h.RequestBody; rb != nil && rb.Text != "" && !rb.Binary {
		b.WriteString(" --data-raw " + shellQuote(rb.Text))
	}
	return b.String()
}
