package tui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/beignet/devtools/event"
)

// fleet is the console's view of its sources, one per instance: history
// reads go to every source and come back merged in ID order, each event
// labelled with its instance. One failing source does not fail the read:
// the others' events come back with an error naming it.
type fleet struct {
	srcs   []Source
	labels []string // short instance labels, from each source's Describe
}

func newFleet(srcs []Source) *fleet {
	f := &fleet{srcs: srcs, labels: make([]string, len(srcs))}
	for i, s := range srcs {
		f.labels[i] = sourceLabel(s.Describe())
	}
	// Two sources on the same host (or file name) need more than it.
	for i := range f.labels {
		for j := i + 1; j < len(f.labels); j++ {
			if f.labels[i] == f.labels[j] {
				f.labels[j] = fmt.Sprintf("%s#%d", f.labels[j], j+1)
			}
		}
	}
	return f
}

// sourceLabel shortens a source's description to an instance label: the
// host:port of a URL, the file name of a store.
func sourceLabel(desc string) string {
	if u, err := url.Parse(desc); err == nil && u.Host != "" {
		return u.Host
	}
	if desc == "" {
		return "?"
	}
	return filepath.Base(desc)
}

// multi reports whether there is more than one source.
func (f *fleet) multi() bool { return f != nil && len(f.srcs) > 1 }

// tag labels events from source i that carry no instance of their own,
// so every row and the instance: filter can say where an event came from.
// With one source nothing is changed.
func (f *fleet) tag(i int, evs []event.Event) {
	if !f.multi() {
		return
	}
	for j := range evs {
		if evs[j].Instance == "" {
			evs[j].Instance = f.labels[i]
		}
	}
}

// sourceError names the instance a history error came from.
type sourceError struct {
	label string
	err   error
}

func (e *sourceError) Error() string { return e.label + ": " + e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// gather calls get on every source (concurrently) and merges what they
// return. Sources without history are skipped; when none has history the
// result is errNoHistory. Other errors are joined, each naming its
// instance, next to the events the other sources returned.
func (f *fleet) gather(get func(s Source) ([]event.Event, error)) ([][]event.Event, error) {
	res := make([][]event.Event, len(f.srcs))
	errs := make([]error, len(f.srcs))
	done := make(chan struct{}, len(f.srcs))
	for i, s := range f.srcs {
		go func() {
			defer func() { done <- struct{}{} }()
			evs, err := get(s)
			f.tag(i, evs)
			res[i], errs[i] = evs, err
		}()
	}
	for range f.srcs {
		<-done
	}
	noHist := 0
	var failed []error
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, errNoHistory):
			noHist++
		default:
			if f.multi() {
				err = &sourceError{label: f.labels[i], err: err}
			}
			failed = append(failed, err)
		}
	}
	if noHist == len(f.srcs) {
		return nil, errNoHistory
	}
	return res, errors.Join(failed...)
}

// older returns up to limit events older than before from all sources,
// newest first: each source's page, merged, cut at limit.
func (f *fleet) older(ctx context.Context, before event.ID, limit int) ([]event.Event, error) {
	if !f.multi() {
		return f.srcs[0].older(ctx, before, limit)
	}
	pages, err := f.gather(func(s Source) ([]event.Event, error) { return s.older(ctx, before, limit) })
	out := mergePages(pages, func(a, b event.Event) int { return b.ID.Compare(a.ID) })
	return out[:min(len(out), limit)], err
}

// newer returns up to limit events newer than after from all sources,
// oldest first.
func (f *fleet) newer(ctx context.Context, after event.ID, limit int) ([]event.Event, error) {
	if !f.multi() {
		return f.srcs[0].newer(ctx, after, limit)
	}
	pages, err := f.gather(func(s Source) ([]event.Event, error) { return s.newer(ctx, after, limit) })
	out := mergePages(pages, cmpID)
	return out[:min(len(out), limit)], err
}

// correlated returns the events of every request ID in ids from every
// source, oldest first, without duplicates. The recorder's API correlates
// by request ID only; the console finds the request IDs that share a
// trace among the events it holds (see model.timelineCmd).
func (f *fleet) correlated(ctx context.Context, ids []string) ([]event.Event, error) {
	var all [][]event.Event
	var errs []error
	for _, id := range ids {
		if !f.multi() {
			evs, err := f.srcs[0].correlated(ctx, id)
			all = append(all, evs)
			errs = append(errs, err)
			continue
		}
		pages, err := f.gather(func(s Source) ([]event.Event, error) { return s.correlated(ctx, id) })
		all = append(all, pages...)
		errs = append(errs, err)
	}
	out := mergePages(all, cmpID)
	out = slices.CompactFunc(out, func(a, b event.Event) bool { return a.ID == b.ID })
	err := errors.Join(errs...)
	if err != nil && allNoHistory(errs) {
		err = errNoHistory
	}
	return out, err
}

func allNoHistory(errs []error) bool {
	for _, e := range errs {
		if e == nil || !errors.Is(e, errNoHistory) {
			return false
		}
	}
	return true
}

// mergePages merges pages each sorted by cmp into one sorted slice.
func mergePages(pages [][]event.Event, cmp func(a, b event.Event) int) []event.Event {
	n := 0
	for _, p := range pages {
		n += len(p)
	}
	out := make([]event.Event, 0, n)
	for _, p := range pages {
		out = append(out, p...)
	}
	slices.SortStableFunc(out, cmp)
	return out
}

// describe names the sources for the title bar.
func (f *fleet) describe() string {
	if !f.multi() {
		return f.srcs[0].Describe()
	}
	if len(f.srcs) <= 3 {
		return strings.Join(f.labels, ", ")
	}
	return fmt.Sprintf("%d instances", len(f.srcs))
}
