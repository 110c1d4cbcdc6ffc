package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// RunOptions are extra knobs for Run, mostly for tests.
type RunOptions struct {
	Input  io.Reader // nil: the terminal
	Output io.Writer // nil: stdout
}

// Run runs the console until the user quits or ctx ends, then closes the
// source. It returns nil on a normal quit; when the source was refused (bad
// token, refused origin) it returns that error so the CLI can exit non-zero.
func Run(ctx context.Context, opts Options, ro ...RunOptions) error {
	if opts.Source == nil && len(opts.Sources) == 0 {
		return ErrNoSource
	}
	if os.Getenv("NO_COLOR") != "" {
		opts.NoColor = true
	}
	m := NewModel(opts)
	defer m.Close()
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	for _, r := range ro {
		if r.Input != nil {
			popts = append(popts, tea.WithInput(r.Input))
		}
		if r.Output != nil {
			popts = append(popts, tea.WithOutput(r.Output))
		}
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
	for i, c := range m.conns {
		switch c.State {
		case StateAuthRefused, StateOriginRefused, StateNotFound:
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
