package tui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/beignet/devtools/stream"
)

// Run runs the console until the user quits or ctx ends, then closes the
// source. It returns nil on a normal quit; when the source was refused (bad
// token, refused origin) it returns that error so the CLI can exit non-zero.
func Run(ctx context.Context, opts Options) error {
	if len(opts.sources()) == 0 {
		return errNoSource
	}
	m := newModel(opts)
	defer m.Close()
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		popts = append(popts, tea.WithOutput(opts.Output))
	}
	p := tea.NewProgram(m, popts...)
	_, err := p.Run()
	if err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil || errors.Is(err, tea.ErrInterrupted) {
			return nil // cancelled or interrupted: a normal way out
		}
		return fmt.Errorf("tui: %w", err)
	}
	// A refused source ends with an error (the CLI exits non-zero), naming
	// the instance when there are several; the others kept running.
	var errs []error
	for i, c := range m.bar.conns {
		switch c.State {
		case stream.StateAuthRefused, stream.StateOriginRefused, stream.StateNotFound:
			who := ""
			if m.fl.multi() {
				who = m.fl.labels[i] + ": "
			}
			if c.Err != nil {
				errs = append(errs, fmt.Errorf("tui: %s%s: %w", who, c.State, c.Err))
			} else {
				errs = append(errs, fmt.Errorf("tui: %s%s", who, c.State))
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}
