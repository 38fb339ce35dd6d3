package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// watchFlags are the flags of verbs that start a deploy and can follow it.
type watchFlags struct {
	watch    bool
	interval time.Duration
}

func (w *watchFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&w.watch, "watch", false, "follow the deploy until it succeeds, fails or is aborted; exit 0 only if it succeeds")
	cmd.Flags().DurationVar(&w.interval, "interval", 2*time.Second, "how often --watch polls the deploy")
}

// newCLICommands returns the REST client verbs.
func newCLICommands() []*cobra.Command {
	return []*cobra.Command{
		newStartCommand("deploy", "Deploy a build to a stage (a REGULAR deploy)", true),
		newRollbackCommand(),
		newStartCommand("hotfix", "Deploy a build at once, replacing the running deploy (a HOTFIX deploy)", true),
		newStartCommand("restart", "Restart the stage's current build on every host (a RESTART deploy)", false),
		newPromoteCommand(),
		newDeployActionCommand("pause", "Pause the stage's current deploy: no new hosts start until it is resumed"),
		newDeployActionCommand("resume", "Resume the stage's paused deploy"),
		newDeployActionCommand("abort", "Abort the stage's current deploy; it ends ABORTED"),
		newVerdictCommand("accept", core.AcceptanceAccepted, "Accept a deploy whose stage's acceptance waits for an external verdict"),
		newVerdictCommand("reject", core.AcceptanceRejected, "Reject a deploy whose stage's acceptance waits for an external verdict"),
		newStatusCommand(),
		newWhoAmICommand(),
		newLoginCommand(),
		newLogoutCommand(),
	}
}

// examplesFor is the --help example of deploy, hotfix or restart.
func examplesFor(verb string) string {
	switch verb {
	case "restart":
		return `  teletraan restart hello prod --description "pick up the new TLS certificate" --watch`
	case "hotfix":
		return `  teletraan hotfix hello prod --build b-1a2b3c4 --description "CVE-2026-1234" --watch`
	}
	return `  teletraan deploy hello prod --build b-1a2b3c4 --watch
  teletraan deploy hello prod --build "$BUILD" --queue --watch   # wait behind a running hotfix`
}

// newStartCommand builds deploy, hotfix and restart, which differ only in their endpoint
// and in whether they name a build.
func newStartCommand(verb, short string, needsBuild bool) *cobra.Command {
	var (
		cf          clientFlags
		wf          watchFlags
		build, desc string
		force       bool
		queue       bool
	)
	use := verb + " ENV STAGE"
	if needsBuild {
		use += " --build ID"
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: examplesFor(verb),
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			body := actionBody(desc)
			path := stagePath(args[0], args[1], "actions", verb)
			switch verb {
			case "deploy":
				path = stagePath(args[0], args[1], "deploys")
				body["buildId"] = build
				if force {
					body["force"] = true
				}
				if queue {
					body["queue"] = true
				}
			case "hotfix":
				body["buildId"] = build
				if force {
					body["force"] = true
				}
			}
			return postStart(cmd, c, path, body, args[0], args[1], wf)
		},
	}
	if needsBuild {
		cmd.Flags().StringVar(&build, "build", "", "id of the build to deploy (required)")
		_ = cmd.MarkFlagRequired("build")
	}
	switch verb {
	case "hotfix":
		cmd.Flags().BoolVar(&force, "force", false, "deploy a build tagged BAD, which is refused otherwise")
	case "deploy":
		cmd.Flags().BoolVar(&force, "force", false, "replace a running HOTFIX or ROLLBACK deploy, and deploy a build tagged BAD; both are refused otherwise")
		cmd.Flags().BoolVar(&queue, "queue", false, "wait for a running HOTFIX or ROLLBACK deploy instead of being refused; the deploy starts once it reaches a verdict")
	}
	cmd.Flags().StringVar(&desc, "description", "", "why; recorded on the deploy")
	cf.add(cmd)
	wf.add(cmd)
	return cmd
}

func newRollbackCommand() *cobra.Command {
	var (
		cf       clientFlags
		wf       watchFlags
		to, desc string
		dryRun   bool
		force    bool
	)
	cmd := &cobra.Command{
		Use:   "rollback ENV STAGE [--to DEPLOY]",
		Short: "Roll a stage back to an earlier build (default: the newest succeeded deploy of another build)",
		Example: `  teletraan rollback hello prod --description "p99 doubled" --watch
  teletraan rollback hello prod --to d-1a2b3c   # to that deploy's build`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			body := actionBody(desc)
			if to == "" {
				// Name the target before acting, and then return to exactly it.
				var t rollbackTarget
				if err := c.do(cmd.Context(), http.MethodGet, stagePath(args[0], args[1], "rollback-target"), nil, &t); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rolling %s/%s back to build %s (%s %s@%s) of deploy %s; it runs build %s now\n",
					args[0], args[1], t.BuildID, t.BuildName, t.Branch, shortCommit(t.Commit), t.DeployID, t.CurrentBuildID)
				if dryRun {
					return nil
				}
				to = t.DeployID
			}
			body["toDeployId"] = to
			if force {
				body["force"] = true
			}
			var v deployView
			if err := c.do(cmd.Context(), http.MethodPost, stagePath(args[0], args[1], "actions", "rollback"), body, &v); err != nil {
				return err
			}
			return started(cmd, c, v, wf)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "id of the deploy whose build to return to (default: the one GET .../rollback-target names, printed first)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only say which build and deploy the rollback would return to")
	cmd.Flags().BoolVar(&force, "force", false, "return to a build tagged BAD (--to may name one), which is refused otherwise")
	cmd.Flags().StringVar(&desc, "description", "", "why; recorded on the deploy")
	cf.add(cmd)
	wf.add(cmd)
	return cmd
}

// postStart sends a request that starts a deploy on env/stage and reports the answer: the
// started deploy, followed when asked, or the queued one.
func postStart(cmd *cobra.Command, c *apiClient, path string, body map[string]any, env, stage string, wf watchFlags) error {
	var v startAnswer
	if err := c.do(cmd.Context(), http.MethodPost, path, body, &v); err != nil {
		return err
	}
	if v.Queued {
		return queued(cmd, c, env, stage, v, wf)
	}
	return started(cmd, c, v.deployView, wf)
}

// startAnswer is the API's answer to POST .../deploys: a started deploy (201) or, with
// --queue, a queued one (202).
type startAnswer struct {
	deployView
	Queued     bool   `json:"queued"`
	DeployID   string `json:"deployId"`
	WaitingFor string `json:"waitingFor"`
	Replaced   string `json:"replaced"`
}

// queued reports a queued deploy and, when asked, waits for it to start and follows it.
func queued(cmd *cobra.Command, c *apiClient, env, stage string, v startAnswer, wf watchFlags) error {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "queued: waiting for %s\n", v.WaitingFor)
	fmt.Fprintf(out, "deploy %s starts once that deploy reaches SUCCEEDING or FAILING, ends, or is aborted\n", v.DeployID)
	if v.Replaced != "" {
		fmt.Fprintf(out, "  it replaced queued deploy %s\n", v.Replaced)
	}
	if !wf.watch {
		return nil
	}
	d, err := awaitStart(cmd.Context(), c, env, stage, v.DeployID, wf.interval)
	if err != nil {
		return err
	}
	printDeploy(out, d)
	return watch(cmd.Context(), c, v.DeployID, wf.interval, out)
}

// awaitStart polls until the queued deploy id has a deploy row; it fails when the deploy
// left the stage's queue without starting (a newer request replaced or cleared it).
func awaitStart(ctx context.Context, c *apiClient, env, stage, id string, every time.Duration) (deployView, error) {
	get := func() (deployView, bool, error) {
		var v deployView
		err := c.do(ctx, http.MethodGet, "/v1/deploys/"+url.PathEscape(id), nil, &v)
		if codeOf(err) == core.ENOTFOUND {
			return v, false, nil
		}
		return v, err == nil, err
	}
	for {
		v, ok, err := get()
		if ok || err != nil {
			return v, err
		}
		var q struct {
			DeployID string `json:"deployId"`
		}
		err = c.do(ctx, http.MethodGet, stagePath(env, stage, "queue"), nil, &q)
		if codeOf(err) == core.ENOTFOUND || (err == nil && q.DeployID != id) {
			// It left the queue: it started meanwhile, or was dropped.
			if v, ok, err := get(); ok || err != nil {
				return v, err
			}
			return deployView{}, &exitError{code: exitDeployFailed, err: fmt.Errorf("deploy %s left the queue of %s/%s without starting: a newer request replaced or cleared it", id, env, stage)}
		} else if err != nil {
			return deployView{}, err
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return deployView{}, fmt.Errorf("stopped waiting for queued deploy %s: %w", id, ctx.Err())
		case <-t.C:
		}
	}
}

// started reports a new deploy and follows it when asked.
func started(cmd *cobra.Command, c *apiClient, v deployView, wf watchFlags) error {
	out := cmd.OutOrStdout()
	printDeploy(out, v)
	if v.ClearedQueue != "" {
		fmt.Fprintf(out, "  queued deploy %s was dropped from the queue\n", v.ClearedQueue)
	}
	if !wf.watch {
		return nil
	}
	if v.Deploy == nil {
		return errors.New("the server answered without a deploy to watch")
	}
	return watch(cmd.Context(), c, v.Deploy.ID, wf.interval, out)
}

// actionBody is the JSON body every action sends: the operator's description, if any.
func actionBody(desc string) map[string]any {
	body := map[string]any{}
	if desc != "" {
		body["description"] = desc
	}
	return body
}

func newDeployActionCommand(action, short string) *cobra.Command {
	var (
		cf   clientFlags
		desc string
	)
	cmd := &cobra.Command{
		Use:     action + " ENV STAGE",
		Short:   short,
		Example: "  teletraan " + action + " hello prod --description \"waiting for the DB migration\"",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			body := actionBody(desc)
			var v deployView
			if err := c.do(cmd.Context(), http.MethodPost, stagePath(args[0], args[1], "actions", action), body, &v); err != nil {
				return err
			}
			printDeploy(cmd.OutOrStdout(), v)
			return nil
		},
	}
	cmd.Flags().StringVar(&desc, "description", "", "why; recorded with the action")
	cf.add(cmd)
	return cmd
}

func newStatusCommand() *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
		wf watchFlags
	)
	cmd := &cobra.Command{
		Use:   "status ENV STAGE",
		Short: "Show the stage's current deploy and its progress; exit 2 when it is FAILING",
		Example: `  teletraan status hello prod
  teletraan status hello prod -o json | jq -r .deploy.state
  teletraan status hello prod || page-the-owner   # exits 2 while the deploy is FAILING
  teletraan status hello prod --watch             # follow the running deploy to its verdict`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := of.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			raw, err := c.send(cmd.Context(), http.MethodGet, stagePath(args[0], args[1], "deploys", "current"), nil)
			if err != nil {
				return err
			}
			v, err := decodeAnswer[deployView](raw)
			if err != nil {
				return err
			}
			err = of.print(cmd.OutOrStdout(), raw, func(out io.Writer) error {
				printDeploy(out, v)
				if v.Deploy != nil {
					fmt.Fprintln(out, progressLine(v.Deploy, barWidth))
				}
				return nil
			})
			if err != nil {
				return err
			}
			if wf.watch && v.Deploy != nil && of.format == outputTable {
				return watch(cmd.Context(), c, v.Deploy.ID, wf.interval, cmd.OutOrStdout())
			}
			if v.Deploy != nil && v.Deploy.State == core.StateFailing {
				return &exitError{code: 2, err: fmt.Errorf("deploy %s of %s/%s is FAILING: %s", v.Deploy.ID, args[0], args[1], v.Deploy.StateReason)}
			}
			return nil
		},
	}
	cf.add(cmd)
	of.add(cmd)
	wf.add(cmd)
	return cmd
}

// printDeploy prints what a person needs to find the deploy again.
func printDeploy(out io.Writer, v deployView) {
	d := v.Deploy
	if d == nil {
		fmt.Fprintln(out, "the server answered without a deploy")
		return
	}
	paused := ""
	if d.Paused {
		paused = ", paused"
	}
	fmt.Fprintf(out, "deploy %s: %s of build %s to %s/%s by %s, %s%s\n", d.ID, d.Type, d.BuildID, d.EnvName, d.StageName, d.Operator, d.State, paused)
	if d.StateReason != "" {
		fmt.Fprintf(out, "  %s\n", d.StateReason)
	}
	if v.WorkflowURL != "" {
		fmt.Fprintf(out, "  workflow: %s\n", v.WorkflowURL)
	}
	if v.Build != nil && v.Build.Bad {
		fmt.Fprintf(out, "  build tagged BAD: %s\n", tagText(v.Build.Tag))
	}
	for _, w := range v.Warnings {
		fmt.Fprintf(out, "  warning: %s\n", w)
	}
}

// rollbackTarget is the answer of GET .../rollback-target.
type rollbackTarget struct {
	DeployID       string `json:"deployId"`
	BuildID        string `json:"buildId"`
	BuildName      string `json:"buildName"`
	Commit         string `json:"commit"`
	Branch         string `json:"branch"`
	CurrentBuildID string `json:"currentBuildId"`
}

// shortCommit is a commit's first seven characters, as people quote them.
func shortCommit(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}
