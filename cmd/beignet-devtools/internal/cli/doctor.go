package cli

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/beignet/devtools/cmd/beignet-devtools/internal/doctor"
)

func newDoctorCmd(env *Env) *cobra.Command {
	var (
		dir, url, db  string
		strict, jsonl bool
		ts            tokenSource
	)
	cmd := &cobra.Command{
		Use:   "doctor [--strict] [--dir DIR] [--url URL] [--db PATH]",
		Short: "Check an app's devtools setup before launch",
		Long: `doctor runs pre-launch checks and prints each finding with an ID, a severity,
where (file:line, URL or path) and a one-line fix.

  --dir DIR  Go source under DIR, parsed with go/ast: a devtools route without
             Authorize (DT101), a store path inside a public directory (DT102),
             retention longer than 7 days or disabled (DT103), a hard-coded
             token (DT104), a wildcard origin allow-list (DT105).
  --url URL  a running app: no event data without credentials (DT201), a
             query-string token refused (DT202), websocket upgrades without a
             token (DT203) or from a foreign origin (DT204) refused, no token
             over plain http to a remote host (DT205). A token from
             --token-file or $BEIGNET_DEVTOOLS_TOKEN (sent in --auth-header's
             header when set) enables the token checks. Checks cut short by
             a rate limit (HTTP 429) are reported as not run (DT209).
  --db PATH  a store file: permissions (DT301, DT302), location (DT303), stale
             events (DT304), readability (DT305).

With none of them it checks the source under the current directory. It exits
0 when nothing is wrong, 1 on any error finding, and with --strict on any
warning too.`,
		Example: `  beignet-devtools doctor
  beignet-devtools doctor --strict --dir ./cmd/server --db /var/lib/shop/devtools.db
  BEIGNET_DEVTOOLS_TOKEN=... beignet-devtools doctor --url https://staging.example.com`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" && url == "" && db == "" {
				dir = "."
			}
			var all []doctor.Finding
			if dir != "" {
				fs, err := doctor.CheckSource(dir)
				if err != nil {
					return usageErr("%w", err)
				}
				all = append(all, fs...)
			}
			if url != "" {
				tok, err := ts.token(env, url, false)
				if err != nil {
					return err
				}
				fs, err := doctor.CheckURL(cmd.Context(), doctor.URLOptions{URL: url, Token: tok, TokenHeader: ts.authHeader(env)})
				if err != nil {
					return usageErr("%w", err)
				}
				all = append(all, fs...)
			}
			if db != "" {
				fs, err := doctor.CheckDB(db, doctor.DBOptions{Now: env.Now})
				if err != nil {
					return failErr("%w", err)
				}
				all = append(all, fs...)
			}
			if jsonl {
				enc := json.NewEncoder(env.Stdout)
				for _, f := range all {
					if err := enc.Encode(f); err != nil {
						return failErr("doctor: %w", err)
					}
				}
			} else if err := doctor.Write(env.Stdout, all); err != nil {
				return failErr("doctor: %w", err)
			}
			if doctor.Failed(all, strict) {
				return silentFail()
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "check Go source under this directory (default . when no --url/--db)")
	f.StringVar(&url, "url", "", "probe a running app's devtools route")
	f.StringVar(&db, "db", "", "check a store file")
	f.BoolVar(&strict, "strict", false, "fail on warnings too")
	f.BoolVar(&jsonl, "json", false, "print findings as JSON lines")
	ts.flags(cmd)
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.MarkFlagFilename("db", "db")
	return cmd
}
