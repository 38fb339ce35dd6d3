package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newSessionsCommand builds `teletraan sessions end EMAIL`: sign a person out of every board
// session at once (talks to the database directly, like teletraan token).
func newSessionsCommand() *cobra.Command {
	var dsnFlag, dataDir string
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "End people's board sessions (talks to the database directly)",
	}
	cmd.PersistentFlags().StringVar(&dsnFlag, "db-dsn", "", "app database DSN (default $TELETRAAN_DB_DSN, else the dev stack's database under --data-dir)")
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", defaultDevDataDir, "where teletraan dev keeps its data, for when no DSN is given")
	end := &cobra.Command{
		Use:   "end EMAIL",
		Short: "Sign a person out of every board session now (their groups are otherwise read again only at their next sign-in)",
		Example: `  teletraan sessions end olga@example.com
  # the CLI's ID tokens last until they expire (an hour at most providers): remove the person at the provider too`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := tokenStore(cmd, dsnFlag, dataDir)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.EndSessionsOf(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ended %d session(s) of %s\n", n, args[0])
			return nil
		},
	}
	cmd.AddCommand(end)
	return cmd
}
