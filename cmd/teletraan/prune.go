package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
)

// defaultPruneHostsAfter is how long a host may stay silent before its rows are removed:
// long enough for a host down over a long weekend, short enough that made-up host ids do
// not pile up.
const defaultPruneHostsAfter = 7 * 24 * time.Hour

// hostPruner is the store calls the pruner makes.
type hostPruner interface {
	PruneSilentHosts(ctx context.Context, cutoff time.Time) (int, error)
	// PruneSessions deletes the board sessions that expired.
	PruneSessions(ctx context.Context) (int, error)
}

// addPruneFlag adds --prune-hosts-after to a command that runs the pruner.
func addPruneFlag(cmd *cobra.Command, after *time.Duration) {
	cmd.Flags().DurationVar(after, "prune-hosts-after", envDuration("TELETRAAN_PRUNE_HOSTS_AFTER", defaultPruneHostsAfter),
		"remove hosts that have not pinged for this long (0: never; $TELETRAAN_PRUNE_HOSTS_AFTER); a host named in a capacity stays there, never seen")
}

// checkPruneAfter refuses a period so short that a host between two pings would be pruned.
func checkPruneAfter(after time.Duration) error {
	if after != 0 && after < time.Hour {
		return fmt.Errorf("--prune-hosts-after must be 0 (never) or at least 1h, not %s: a host restarting or briefly cut off must not lose its record", after)
	}
	return nil
}

// runHostPruner removes silent hosts (and expired board sessions) every so often until ctx ends. Several workers may run
// it at once: each pass deletes only what is silent, so they cannot disagree.
func runHostPruner(ctx context.Context, st hostPruner, after time.Duration, logger *slog.Logger) {
	if after <= 0 {
		return
	}
	every := min(after/24, time.Hour)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := st.PruneSessions(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("could not delete expired sessions; will try again", "error", err, "every", every)
		}
		n, err := st.PruneSilentHosts(ctx, time.Now().UTC().Add(-after))
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("could not prune silent hosts; will try again", "error", err, "every", every)
		case n > 0:
			logger.Info("pruned silent hosts", "hosts", n, "silentFor", after)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
