package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/event"
	"github.com/beignet/devtools/stream"
)

// versionString describes this build: module version (or "devel"), VCS
// revision when known, Go version, wire protocol and event schema.
func versionString() string {
	v, rev := "devel", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = s.Value[:12]
			}
		}
	}
	if rev != "" {
		v += " (" + rev + ")"
	}
	return fmt.Sprintf("beignet-devtools %s, %s, protocol %s v%d, event schema v%d",
		v, runtime.Version(), stream.Subprotocol, stream.ProtocolVersion, event.SchemaVersion)
}

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version, Go version, wire protocol and event schema",
		Example: "  beignet-devtools version",
		Args:    noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(env.Stdout, versionString())
			return err
		},
	}
}
