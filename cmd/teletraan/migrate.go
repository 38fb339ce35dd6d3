package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

func newMigrateCommand(g *globalFlags) *cobra.Command {
	var dsnFlag string
	cmd := &cobra.Command{
		Use:     "migrate",
		Short:   "Apply the app database's schema migrations (idempotent)",
		Example: `  TELETRAAN_DB_DSN='teletraan:secret@tcp(mysql:3306)/teletraan' teletraan migrate`,
		Long: `Apply every pending migration of the app database (MySQL in production, or sqlite:<file>).
Running it again does nothing. It refuses to touch a database that a newer teletraan migrated.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := dbDSN(dsnFlag)
			if err != nil {
				return err
			}
			st, err := schema.Open(cmd.Context(), dsn)
			if err != nil {
				return fmt.Errorf("open the database: %w", err)
			}
			defer st.Close()
			applied, err := st.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "schema is up to date")
				return nil
			}
			for _, name := range applied {
				fmt.Fprintln(cmd.OutOrStdout(), "applied", name)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dsnFlag, "db-dsn", "", "app database DSN (default $TELETRAAN_DB_DSN)")
	return cmd
}
