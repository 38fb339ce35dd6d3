package main

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

func newTokenCommand(g *globalFlags) *cobra.Command {
	var dsnFlag string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (talks to the database directly)",
	}
	var dataDir string
	cmd.PersistentFlags().StringVar(&dsnFlag, "db-dsn", "", "app database DSN (default $TELETRAAN_DB_DSN, else the dev stack's database under --data-dir)")
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", defaultDevDataDir, "where teletraan dev keeps its data, for when no DSN is given")

	var role, scope, createdBy string
	var ttl time.Duration
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a token and print its secret once",
		Example: `  teletraan token create ci --role PUBLISHER
  teletraan token create hello-ops --role OPERATOR --scope hello --ttl 720h
  teletraan token create alertmanager --role ALERTER --scope hello`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := tokenStore(cmd, dsnFlag, dataDir)
			if err != nil {
				return err
			}
			defer st.Close()
			spec := schema.TokenSpec{Name: args[0], Role: role, Scope: scope, CreatedBy: createdBy}
			if ttl < 0 {
				return fmt.Errorf("--ttl %s: must not be negative", ttl)
			}
			if ttl > 0 {
				exp := time.Now().Add(ttl).UTC()
				spec.ExpiresAt = &exp
			}
			secret, _, err := st.CreateToken(cmd.Context(), spec)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			return nil
		},
	}
	create.Flags().StringVar(&role, "role", schema.RoleOperator, "ADMIN, OPERATOR, PUBLISHER, PINGER, ALERTER (may only post alerts) or READER")
	create.Flags().StringVar(&scope, "scope", "*", `"*" or one environment name`)
	create.Flags().StringVar(&createdBy, "created-by", "cli", "who is creating the token, for the record")
	create.Flags().DurationVar(&ttl, "ttl", 0, "expire the token after this long (0 = never)")

	list := &cobra.Command{
		Use:     "list",
		Short:   "List tokens (never their secrets)",
		Example: `  teletraan token list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := tokenStore(cmd, dsnFlag, dataDir)
			if err != nil {
				return err
			}
			defer st.Close()
			tokens, err := st.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tROLE\tSCOPE\tCREATED\tEXPIRES")
			for _, t := range tokens {
				exp := "never"
				if t.ExpiresAt != nil {
					exp = t.ExpiresAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, t.Scope, t.CreatedAt.Format(time.RFC3339), exp)
			}
			return w.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:     "revoke NAME",
		Short:   "Revoke a token",
		Example: `  teletraan token revoke ci`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := tokenStore(cmd, dsnFlag, dataDir)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "revoked", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// tokenStore opens the database the token commands manage tokens in.
// tokenStore opens the database the token commands manage: the DSN given, else the dev
// stack's SQLite database when one is under dataDir, so that `teletraan token create` works
// beside `teletraan dev` with nothing set.
func tokenStore(cmd *cobra.Command, dsnFlag, dataDir string) (*schema.Store, error) {
	dsn, err := dbDSN(dsnFlag)
	if err != nil {
		dev := filepath.Join(dataDir, devDBFile)
		if _, statErr := os.Stat(dev); statErr != nil {
			return nil, fmt.Errorf("%w, or run this where teletraan dev keeps its data (no %s here; see --data-dir)", err, dev)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "using the dev stack's database %s (set TELETRAAN_DB_DSN or --db-dsn for another)\n", dev)
		dsn = "sqlite:" + dev
	}
	return openCheckedStore(cmd.Context(), dsn)
}
