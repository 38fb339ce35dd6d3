package main

import (
	"github.com/spf13/cobra"
)

// newPromoteCommand builds `teletraan promote ENV STAGE --to STAGE`: the build STAGE runs
// now is deployed to the other stage of the same environment.
func newPromoteCommand() *cobra.Command {
	var (
		cf               clientFlags
		wf               watchFlags
		to, desc         string
		allowUnsucceeded bool
		force, queue     bool
	)
	cmd := &cobra.Command{
		Use:     "promote ENV STAGE --to STAGE",
		Short:   "Deploy the build a stage runs to another stage of its environment (a REGULAR deploy there)",
		Example: `  teletraan promote hello staging --to prod --watch`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			body := actionBody(desc)
			body["toStage"] = to
			for name, on := range map[string]bool{"allowUnsucceeded": allowUnsucceeded, "force": force, "queue": queue} {
				if on {
					body[name] = true
				}
			}
			return postStart(cmd, c, stagePath(args[0], args[1], "actions", "promote"), body, args[0], to, wf)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the stage of the same environment to deploy to (required)")
	_ = cmd.MarkFlagRequired("to")
	cmd.Flags().BoolVar(&allowUnsucceeded, "allow-unsucceeded", false, "promote even though the deploy on STAGE has not succeeded or was rejected by acceptance")
	cmd.Flags().BoolVar(&force, "force", false, "replace a running HOTFIX or ROLLBACK deploy on the target stage")
	cmd.Flags().BoolVar(&queue, "queue", false, "wait for a running HOTFIX or ROLLBACK deploy on the target stage instead of being refused")
	cmd.Flags().StringVar(&desc, "description", "", "why; recorded on the new deploy (default: promoted from ENV/STAGE)")
	cf.add(cmd)
	wf.add(cmd)
	return cmd
}
