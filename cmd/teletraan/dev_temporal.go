package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/temporal"
)

// newDevTemporalCommand runs only the dev stack's embedded Temporal server and UI, for a
// production-shaped topology on one machine: this, a MySQL database, `teletraan migrate`,
// and any number of `teletraan server` and `teletraan worker` processes pointed at both.
func newDevTemporalCommand(g *globalFlags) *cobra.Command {
	var dataDir, ip, namespace string
	var port, uiPort int
	cmd := &cobra.Command{
		Use:   "temporal",
		Short: "Run only the embedded Temporal dev server and its UI, for separate server and worker processes",
		Example: `  teletraan dev temporal --data-dir /tmp/tt-temporal --port 7233
  TEMPORAL_ADDRESS=127.0.0.1:7233 TELETRAAN_DB_DSN=... teletraan worker`,
		Long: `Run the same in-process Temporal server (SQLite under --data-dir) and UI that teletraan dev
starts, and nothing else, so that teletraan server and teletraan worker processes can share it as
they would share a Temporal cluster. For development and tests on one machine; production runs a
real Temporal cluster. Stop with Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := g.logger()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			srv, err := temporal.StartDevServer(ctx, temporal.DevServerConfig{
				DataDir: filepath.Join(dataDir, "temporal"), IP: ip, Port: port, UIPort: uiPort,
				Namespace: namespace, Logger: logger,
			})
			if err != nil {
				return fmt.Errorf("start the embedded Temporal server: %w", err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Temporal dev server %s (namespace %s)\n", srv.FrontendAddress(), srv.Namespace())
			if ui := srv.UIAddress(); ui != "" {
				fmt.Fprintf(out, "Temporal UI        %s\n", ui)
			}
			<-ctx.Done()
			logger.Info("stopping the embedded Temporal server")
			return srv.Stop()
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", defaultDevDataDir, "where the server keeps its SQLite database (under temporal/)")
	cmd.Flags().StringVar(&ip, "ip", "127.0.0.1", "address to listen on")
	cmd.Flags().IntVar(&port, "port", 7233, "port of the Temporal frontend (gRPC)")
	cmd.Flags().IntVar(&uiPort, "ui-port", 8233, "port of the Temporal UI (-1 to disable it)")
	cmd.Flags().StringVar(&namespace, "namespace", "default", "namespace to create at start, with Teletraan's search attributes")
	return cmd
}
