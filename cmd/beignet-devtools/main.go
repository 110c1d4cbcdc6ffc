// Command beignet-devtools is the command line of beignet-devtools: a demo
// with a live console, the console itself, tail, purge, doctor, scan.
//
//	go run ./cmd/beignet-devtools demo
//	go run ./cmd/beignet-devtools --help
//
// See package internal/cli for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/charmbracelet/x/term"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{
		Stdin:          os.Stdin,
		Stdout:         os.Stdout,
		Stderr:         os.Stderr,
		Getenv:         os.Getenv,
		StdinTerminal:  term.IsTerminal(os.Stdin.Fd()),
		StdoutTerminal: term.IsTerminal(os.Stdout.Fd()),
		ReadPassword:   func() ([]byte, error) { return term.ReadPassword(os.Stdin.Fd()) },
	})
	stop()
	os.Exit(code)
}
