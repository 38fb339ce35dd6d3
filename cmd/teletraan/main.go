// Command teletraan is the deploy service: the dev stack, the API server, the Temporal
// worker, schema migrations and admin commands, in one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	// Promote configs name IANA time zones; a host or image without a zone database must
	// still know them.
	_ "time/tzdata"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "teletraan:", err)
		os.Exit(exitCode(err))
	}
}

type globalFlags struct {
	logLevel  string
	logFormat string
}

func newRootCommand() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "teletraan",
		Short:         "Deploy code to fleets of hosts, every deploy a durable Temporal workflow",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text (for people) or json (for a log pipeline; use it in production)")
	root.AddCommand(
		newDevCommand(g),
		newServerCommand(g),
		newWorkerCommand(g),
		newMigrateCommand(g),
		newTokenCommand(g),
		newSessionsCommand(),
		newHealthcheckCommand(),
		newDocsCommand(),
	)
	root.AddCommand(newCLICommands()...)
	root.AddCommand(newListCommands()...)
	root.AddCommand(newSimulateCommand(), newSimulateShardCommand())
	root.AddCommand(newPipelineCommands()...)
	return root
}

// logger builds the process logger from the global flags.
func (g *globalFlags) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", g.logLevel)
	}
	return newLogger(os.Stderr, g.logFormat, level)
}

// newLogger builds a logger writing format (text or json) to w. Records carry the trace
// and span ids and the fields of their context (telemetry.ContextHandler), and the
// Temporal SDK's WorkflowID and RunID keys are renamed to the snake_case the rest of the
// service logs, so that one query finds a workflow's lines from the API and the worker.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 {
			if k, ok := sdkLogKeys[a.Key]; ok {
				a.Key = k
			}
		}
		return a
	}}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("--log-format %q: use text or json", format)
	}
	return slog.New(telemetry.NewContextHandler(h)), nil
}

// sdkLogKeys maps the Temporal SDK's log keys to ours.
var sdkLogKeys = map[string]string{"WorkflowID": "workflow_id", "RunID": "run_id", "ActivityID": "activity_id"}

// dbDSN returns the DSN from the flag or TELETRAAN_DB_DSN, or says how to give one.
func dbDSN(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if v := os.Getenv("TELETRAAN_DB_DSN"); v != "" {
		return v, nil
	}
	return "", errors.New("no database given: set TELETRAAN_DB_DSN (e.g. user:pass@tcp(mysql:3306)/teletraan) or pass --db-dsn")
}
