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
	if opts.Source == nil {
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
	switch m.conn.State {
	case StateAuthRefused, StateOriginRefused, StateNotFound:
		if m.conn.Err != nil {
			return fmt.Errorf("tui: %s: %w", m.conn.State, m.conn.Err)
		}
		return fmt.Errorf("tui: %s", m.conn.State)
	}
	return nil
}
