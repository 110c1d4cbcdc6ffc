package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/internal/textsafe"
)

// FormatLine renders one event as a single readable line for `tail`:
//
//	2026-11-29T09:00:00.123Z request  POST /checkout 402 41.2ms  req=… id=01J…
//
// time (UTC, milliseconds), kind padded to 8, a kind-specific summary, then
// req= and id= for grep. Control characters are replaced, so a line is
// always one terminal line.
func FormatLine(e *event.Event) string { return formatLine(e, false) }

// formatLine is FormatLine, with the event's instance after the time when
// withInstance is set (tail over several instances).
func formatLine(e *event.Event, withInstance bool) string {
	var b strings.Builder
	b.WriteString(e.Time.UTC().Format("2006-01-02T15:04:05.000Z"))
	b.WriteByte(' ')
	if withInstance {
		inst := e.Instance
		if inst == "" {
			inst = "-"
		}
		fmt.Fprintf(&b, "%-12s ", inst)
	}
	fmt.Fprintf(&b, "%-8s ", e.Kind)
	b.WriteString(summary(e))
	if e.RequestID != "" {
		b.WriteString("  req=")
		b.WriteString(e.RequestID)
	}
	b.WriteString("  id=")
	b.WriteString(e.ID.String())
	return textsafe.Line(b.String())
}

func summary(e *event.Event) string {
	var parts []string
	add := func(s ...string) {
		for _, x := range s {
			if x != "" {
				parts = append(parts, x)
			}
		}
	}
	status := ""
	if e.Status != 0 {
		status = fmt.Sprint(e.Status)
	}
	dur := ""
	if e.DurationNs > 0 {
		dur = fmtDuration(e.Duration())
	}
	switch e.Kind {
	case event.KindRequest:
		m, p := e.Method(), e.Path()
		if e.HTTP != nil && e.HTTP.Status != 0 && status == "" {
			status = fmt.Sprint(e.HTTP.Status)
		}
		if m == "" && p == "" {
			add(e.Name)
		} else {
			add(m, p)
		}
		add(status, dur)
	case event.KindProvider:
		if e.Provider != nil {
			add(e.Provider.Name, e.Provider.Operation)
			if !strings.HasPrefix(e.Provider.Operation, e.Provider.Method+" ") {
				add(e.Provider.Method)
			}
			if status == "" && e.Provider.Status != 0 {
				status = fmt.Sprint(e.Provider.Status)
			}
			add(status, dur)
			if e.Provider.Error != "" {
				add("error=" + e.Provider.Error)
			}
		} else {
			add(e.Name, status, dur)
		}
	case event.KindAudit:
		if a := e.Audit; a != nil {
			add(a.Actor, a.Action, a.Resource, a.Outcome)
			if a.Tenant != "" {
				add("tenant=" + a.Tenant)
			}
		} else {
			add(e.Name)
		}
	case event.KindLog:
		add(strings.ToUpper(e.Level), firstNonEmpty(e.Message, e.Name))
	case event.KindError:
		add(e.Name)
		if e.Message != "" && e.Message != e.Name {
			add(e.Message)
		}
		add(status)
	default:
		add(e.Name, e.Message, status, dur)
	}
	return strings.Join(parts, " ")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func fmtDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%dµs", d/time.Microsecond)
	}
}
