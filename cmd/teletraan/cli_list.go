package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// newListCommands returns the noun commands: stages, builds, deploys, hosts and capacity,
// whose verbs read (with filters) or change them, each with -o table|json|yaml.
func newListCommands() []*cobra.Command {
	return []*cobra.Command{
		listGroup("stages", "List, show, create and change stages", newListStagesCommand(), newGetStageCommand(),
			newCreateStageCommand(), newUpdateStageCommand(), newDeleteStageCommand(), newStopStageCommand(), newStageAlarmsCommand()),
		listGroup("builds", "List, publish and tag builds", newListBuildsCommand(), newPublishBuildCommand(), newListBuildTagsCommand()),
		newTagCommand(),
		listGroup("deploys", "List a stage's deploys, or show one", newListDeploysCommand(), newGetDeployCommand()),
		listGroup("hosts", "List a stage's hosts, act on one, or reset a host's identity",
			append([]*cobra.Command{newListHostsCommand(), newResetIdentityCommand()}, newHostActionCommands()...)...),
		newCapacityCommand(),
		newContextCommand(),
		newAuditCommand(),
		newSignCommand(),
	}
}

// listGroup is a noun command (stages, builds, ...) holding its verbs.
func listGroup(noun, short string, verbs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: noun, Short: short, Args: cobra.NoArgs}
	cmd.AddCommand(verbs...)
	return cmd
}

// listRun is the shape of every read verb: check the flags, GET path, print the answer.
func listRun(cf *clientFlags, of *outputFlag, path func(args []string) (string, error), table func(raw []byte, w io.Writer) error) func(*cobra.Command, []string) error {
	return apiRun(cf, of, http.MethodGet, path, nil, table)
}

// withQuery appends the non-empty query parameters to path.
func withQuery(path string, params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] != "" {
			q.Set(params[i], params[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// decodeAnswer decodes the API's answer for a table.
func decodeAnswer[T any](raw []byte) (T, error) {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("decode the server's answer: %w", err)
	}
	return v, nil
}

func newListStagesCommand() *cobra.Command {
	var (
		cf  clientFlags
		of  outputFlag
		env string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List stages, with each one's build stream, window and current deploy",
		Example: `  teletraan stages list
  teletraan stages list --env hello -o json | jq '.stages[].stageName'`,
		Args: cobra.NoArgs,
		RunE: listRun(&cf, &of, func([]string) (string, error) { return withQuery("/v1/envs", "env", env), nil },
			func(raw []byte, w io.Writer) error {
				v, err := decodeAnswer[struct{ Stages []api.Stage }](raw)
				if err != nil {
					return err
				}
				row(w, "STAGE", "BUILD NAME", "BRANCH", "WINDOW", "CURRENT DEPLOY")
				for _, s := range v.Stages {
					row(w, s.EnvName+"/"+s.StageName, s.BuildName, s.Branch, windowText(s.MaxParallel, s.MaxParallelPct), s.CurrentDeployID)
				}
				return nil
			}),
	}
	cmd.Flags().StringVar(&env, "env", "", "only the stages of this environment")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// windowText says how many hosts a stage deploys at once.
func windowText(count, pct int) string {
	switch {
	case count > 0 && pct > 0:
		return fmt.Sprintf("%d hosts or %d%%", count, pct)
	case pct > 0:
		return fmt.Sprintf("%d%%", pct)
	case count > 0:
		return strconv.Itoa(count) + " hosts"
	}
	return "all hosts"
}

func newListBuildsCommand() *cobra.Command {
	var (
		cf                   clientFlags
		of                   outputFlag
		name, branch, commit string
		limit                int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List published builds, newest first",
		Example: `  teletraan builds list --name hello --branch main
  teletraan builds list --commit 1a2b3c4 -o yaml`,
		Args: cobra.NoArgs,
		RunE: listRun(&cf, &of, func([]string) (string, error) {
			if limit < 0 {
				return "", fmt.Errorf("--limit must be 0 (the server's default) or more, not %d", limit)
			}
			return withQuery("/v1/builds", "name", name, "branch", branch, "commit", commit, "limit", positive(limit)), nil
		}, func(raw []byte, w io.Writer) error {
			v, err := decodeAnswer[struct{ Builds []api.Build }](raw)
			if err != nil {
				return err
			}
			row(w, "BUILD", "NAME", "BRANCH@COMMIT", "PUBLISHED", "BY", "TAG")
			for _, b := range v.Builds {
				tag := "-"
				if b.Tag != nil {
					tag = b.Tag.Value
					if b.Tag.Inherited {
						tag += " (branch)"
					}
				}
				row(w, b.ID, b.Name, b.Branch+"@"+b.CommitShort, timeText(b.PublishedAt), b.Publisher, tag)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&name, "name", "", "only builds of this build stream")
	cmd.Flags().StringVar(&branch, "branch", "", "only builds of this branch")
	cmd.Flags().StringVar(&commit, "commit", "", "only builds of this commit (a prefix of at least 4 hex digits)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many builds (0: the server's default)")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

func newListDeploysCommand() *cobra.Command {
	var (
		cf                clientFlags
		of                outputFlag
		deployType, state string
		limit             int
	)
	cmd := &cobra.Command{
		Use:   "list ENV STAGE",
		Short: "List a stage's deploys, newest first",
		Example: `  teletraan deploys list hello prod
  teletraan deploys list hello prod --state FAILING --type HOTFIX -o json`,
		Args: cobra.ExactArgs(2),
		RunE: listRun(&cf, &of, func(args []string) (string, error) {
			if deployType != "" && !core.ValidDeployType(strings.ToUpper(deployType)) {
				return "", fmt.Errorf("--type must be REGULAR, HOTFIX, ROLLBACK or RESTART, not %q", deployType)
			}
			if state != "" && !core.ValidDeployState(strings.ToUpper(state)) {
				return "", fmt.Errorf("--state must be RUNNING, FAILING, SUCCEEDING, SUCCEEDED or ABORTED, not %q", state)
			}
			if limit < 0 {
				return "", fmt.Errorf("--limit must be 0 (the server's default) or more, not %d", limit)
			}
			return withQuery(stagePath(args[0], args[1], "deploys"), "type", strings.ToUpper(deployType),
				"state", strings.ToUpper(state), "limit", positive(limit)), nil
		}, func(raw []byte, w io.Writer) error {
			v, err := decodeAnswer[struct{ Deploys []api.Deploy }](raw)
			if err != nil {
				return err
			}
			row(w, "DEPLOY", "TYPE", "STATE", "BUILD", "HOSTS", "BY", "STARTED")
			for _, d := range v.Deploys {
				row(w, d.ID, d.Type, d.State, d.BuildID, fmt.Sprintf("%d/%d", d.Succeeded, d.Total), d.Operator, timeText(d.CreatedAt))
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&deployType, "type", "", "only deploys of this type (REGULAR, HOTFIX, ROLLBACK, RESTART)")
	cmd.Flags().StringVar(&state, "state", "", "only deploys in this state (RUNNING, FAILING, SUCCEEDING, SUCCEEDED, ABORTED)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many deploys (0: the server's default)")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

func newGetDeployCommand() *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
	)
	cmd := &cobra.Command{
		Use:   "get DEPLOY",
		Short: "Show one deploy: its build, state, reason and progress",
		Example: `  teletraan deploys get d-1a2b3c
  teletraan deploys get d-1a2b3c -o json | jq -r .deploy.stateReason`,
		Args: cobra.ExactArgs(1),
		RunE: listRun(&cf, &of, func(args []string) (string, error) { return "/v1/deploys/" + url.PathEscape(args[0]), nil },
			func(raw []byte, w io.Writer) error {
				v, err := decodeAnswer[deployView](raw)
				if err != nil {
					return err
				}
				printDeploy(w, v)
				if v.Deploy != nil {
					fmt.Fprintln(w, progressLine(v.Deploy, barWidth))
					printAcceptance(w, v.Deploy.Acceptance)
				}
				printGuards(w, v)
				return nil
			}),
	}
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

func newResetIdentityCommand() *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
	)
	cmd := &cobra.Command{
		Use:     "reset-identity HOST",
		Short:   "Unbind a host (by name or id) from its credential and token, so that a re-imaged machine can enroll again (needs an ADMIN token)",
		Example: `  teletraan hosts reset-identity web-7`,
		Args:    cobra.ExactArgs(1),
		RunE: writeRun(&cf, &of, http.MethodPost, func(args []string) string {
			return "/v1/hosts/" + url.PathEscape(args[0]) + "/actions/reset-identity"
		}, func(*cobra.Command, []string) (any, error) { return nil, nil }, func(raw []byte, w io.Writer) error {
			v, err := decodeAnswer[struct {
				Host  string
				Reset int
			}](raw)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "reset %d host id(s) of %s: the next ping enrolls it again\n", v.Reset, v.Host)
			return nil
		}),
	}
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

func newListHostsCommand() *cobra.Command {
	var (
		cf    clientFlags
		of    outputFlag
		phase string
	)
	cmd := &cobra.Command{
		Use:   "list ENV STAGE",
		Short: "List a stage's hosts with their phase, deploy stage and last error",
		Example: `  teletraan hosts list hello prod
  teletraan hosts list hello prod --phase failed -o json | jq -r '.hosts[].hostName'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if phase != "" && !validPhase(phase) {
				return fmt.Errorf("--phase must be one of %s, not %q", phaseNames(), phase)
			}
			if err := of.check(); err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			var v struct{ Hosts []api.StageHost }
			if err := c.do(cmd.Context(), http.MethodGet, stagePath(args[0], args[1], "hosts"), nil, &v); err != nil {
				return err
			}
			if phase != "" {
				kept := v.Hosts[:0]
				for _, h := range v.Hosts {
					if h.Phase == phase {
						kept = append(kept, h)
					}
				}
				v.Hosts = kept
			}
			if v.Hosts == nil {
				v.Hosts = []api.StageHost{}
			}
			raw, err := json.Marshal(map[string]any{"hosts": v.Hosts})
			if err != nil {
				return fmt.Errorf("encode the hosts: %w", err)
			}
			return of.print(cmd.OutOrStdout(), raw, func(w io.Writer) error {
				row(w, "HOST", "PHASE", "DEPLOY STAGE", "STATUS", "LAST ERROR")
				for _, h := range v.Hosts {
					stage, status := "", ""
					if h.Agent != nil {
						stage, status = h.Agent.DeployStage, h.Agent.Status
					}
					lastError := ""
					if h.LastError != nil {
						lastError = firstLine(h.LastError.ErrorMessage)
					}
					row(w, h.HostName, h.Phase, stage, status, lastError)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&phase, "phase", "", "only hosts in this phase ("+phaseNames()+")")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// validPhase reports whether p names a host phase.
func validPhase(p string) bool {
	for _, known := range core.HostPhases() {
		if string(known) == p {
			return true
		}
	}
	return false
}

// phaseNames lists the host phases for help texts and errors.
func phaseNames() string {
	names := make([]string, 0, len(core.HostPhases()))
	for _, p := range core.HostPhases() {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// positive is n as a query value, "" for 0 (the server's default).
func positive(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// timeText writes a time the way the board does.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// firstLine is the first non-empty line of a script's output, which is what fits a table.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
