package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// writeRun is the shape of the verbs that change something: check the flags, build the
// body, send it, print the answer (-o json|yaml: the API's; a table: what table says).
func writeRun(cf *clientFlags, of *outputFlag, method string, path func(args []string) string, body func(cmd *cobra.Command, args []string) (any, error), table func(raw []byte, w io.Writer) error) func(*cobra.Command, []string) error {
	return apiRun(cf, of, method, func(args []string) (string, error) { return path(args), nil }, body, table)
}

// apiRun is every API verb: check the output flag, work out the path and the body (either
// may refuse a flag before anything is sent; a nil body func sends none), send, print.
func apiRun(cf *clientFlags, of *outputFlag, method string, path func(args []string) (string, error), body func(cmd *cobra.Command, args []string) (any, error), table func(raw []byte, w io.Writer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := of.check(); err != nil {
			return err
		}
		p, err := path(args)
		if err != nil {
			return err
		}
		var b any
		if body != nil {
			if b, err = body(cmd, args); err != nil {
				return err
			}
		}
		c, err := cf.client()
		if err != nil {
			return err
		}
		raw, err := c.send(cmd.Context(), method, p, b)
		if err != nil {
			return err
		}
		return of.print(cmd.OutOrStdout(), raw, func(w io.Writer) error { return table(raw, w) })
	}
}

func newPublishBuildCommand() *cobra.Command {
	var (
		cf                                                                      clientFlags
		of                                                                      outputFlag
		name, artifact, checksum, repo, branch, commit, info, date, publishInfo string
	)
	cmd := &cobra.Command{
		Use:   "publish --name NAME --artifact-url URL --commit SHA",
		Short: "Publish a build (needs a PUBLISHER, OPERATOR or ADMIN token)",
		Example: `  teletraan builds publish --name hello --artifact-url https://ci.example.com/hello-1a2b3c4.tar.gz \
      --checksum "$(sha256sum hello.tar.gz | cut -d' ' -f1)" --commit 1a2b3c4 --branch main \
      --repo https://github.com/acme/hello --commit-date 2026-12-01T10:00:00Z`,
		Args: cobra.NoArgs,
		RunE: writeRun(&cf, &of, http.MethodPost, func([]string) string { return "/v1/builds" },
			func(*cobra.Command, []string) (any, error) {
				if name == "" || artifact == "" {
					return nil, fmt.Errorf("--name and --artifact-url are required: the build stream and where agents download the build")
				}
				if date != "" {
					if _, err := time.Parse(time.RFC3339, date); err != nil {
						return nil, fmt.Errorf("--commit-date must be an RFC 3339 time such as 2026-12-01T10:00:00Z, not %q", date)
					}
				}
				body := map[string]any{"name": name, "artifactUrl": artifact, "checksum": checksum, "repo": repo,
					"branch": branch, "commit": commit, "commitInfo": info, "publishInfo": publishInfo}
				if date != "" {
					body["commitDate"] = date
				}
				return body, nil
			},
			func(raw []byte, w io.Writer) error {
				b, err := decodeAnswer[api.Build](raw)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "published build %s (%s %s@%s)\n", b.ID, b.Name, b.Branch, b.CommitShort)
				return nil
			}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "the build stream (a stage deploys builds of its buildName)")
	f.StringVar(&artifact, "artifact-url", "", "where agents download the build's tarball (http, https or file)")
	f.StringVar(&checksum, "checksum", "", "hex SHA-256 of the tarball, verified by every agent")
	f.StringVar(&repo, "repo", "", "source repository URL (links commits on the board)")
	f.StringVar(&branch, "branch", "", "branch the build was made from")
	f.StringVar(&commit, "commit", "", "commit the build was made from (4 to 64 hex digits)")
	f.StringVar(&info, "commit-info", "", "the commit's title")
	f.StringVar(&date, "commit-date", "", "when the commit was made (RFC 3339)")
	f.StringVar(&publishInfo, "publish-info", "", "where the build came from, such as a CI job URL")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// stageFlags are the config flags of stages create and stages update; only the flags given
// are sent, so an update changes nothing else.
type stageFlags struct {
	description, buildName, branch, onFailure string
	maxParallel, maxParallelPct, threshold    int
	stuckTimeout, bakeTime                    time.Duration
	vars                                      []string
	// acceptance is the stage's acceptance as JSON, or @FILE holding it; "" or {} removes it.
	acceptance string
}

func (sf *stageFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&sf.description, "description", "", "what the stage is for")
	f.StringVar(&sf.buildName, "build-name", "", "the build stream the stage deploys (default: the environment's name)")
	f.StringVar(&sf.branch, "branch", "", "the branch the stage's builds come from")
	f.IntVar(&sf.maxParallel, "max-parallel", 0, "hosts deploying at once (0: no count cap)")
	f.IntVar(&sf.maxParallelPct, "max-parallel-pct", 0, "hosts deploying at once, in percent of the stage (0: no percent cap)")
	f.IntVar(&sf.threshold, "success-threshold", 0, "percent of hosts that must succeed")
	f.DurationVar(&sf.stuckTimeout, "stuck-timeout", 0, "how long a host may make no progress before it counts as failed, such as 10m")
	f.DurationVar(&sf.bakeTime, "bake-time", 0, "pause between waves, such as 5m")
	f.StringVar(&sf.onFailure, "on-failure", "", "what a FAILING deploy does: WAIT or ROLLBACK")
	f.StringArrayVar(&sf.vars, "var", nil, "a script variable KEY=VALUE (repeat; replaces all of the stage's variables)")
	f.StringVar(&sf.acceptance, "acceptance", "", `what a SUCCEEDING deploy must pass, as JSON or @FILE, such as '{"bakeSeconds":60,"http":[{"url":"https://{host}/health","eachHost":true}]}'; '{}' removes it (see the README's Acceptance section)`)
}

// body is the stage JSON of the flags the command line gave.
func (sf *stageFlags) body(cmd *cobra.Command) (map[string]any, error) {
	body := map[string]any{}
	set := func(flag, field string, v any) {
		if cmd.Flags().Changed(flag) {
			body[field] = v
		}
	}
	seconds := func(flag string, d time.Duration) (int, error) {
		if d < 0 || d%time.Second != 0 {
			return 0, fmt.Errorf("--%s must be a whole number of seconds such as 10m or 90s, not %s", flag, d)
		}
		return int(d / time.Second), nil
	}
	set("description", "description", sf.description)
	set("build-name", "buildName", sf.buildName)
	set("branch", "branch", sf.branch)
	set("max-parallel", "maxParallel", sf.maxParallel)
	set("max-parallel-pct", "maxParallelPct", sf.maxParallelPct)
	set("success-threshold", "successThreshold", sf.threshold)
	set("on-failure", "onFailure", strings.ToUpper(sf.onFailure))
	for flag, d := range map[string]time.Duration{"stuck-timeout": sf.stuckTimeout, "bake-time": sf.bakeTime} {
		if !cmd.Flags().Changed(flag) {
			continue
		}
		n, err := seconds(flag, d)
		if err != nil {
			return nil, err
		}
		body[map[string]string{"stuck-timeout": "stuckTimeoutSeconds", "bake-time": "bakeTimeSeconds"}[flag]] = n
	}
	if cmd.Flags().Changed("acceptance") {
		raw := sf.acceptance
		if name, ok := strings.CutPrefix(raw, "@"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("--acceptance @%s: %w", name, err)
			}
			raw = string(b)
		}
		if strings.TrimSpace(raw) == "" {
			raw = "{}"
		}
		var acc map[string]any
		if err := json.Unmarshal([]byte(raw), &acc); err != nil {
			return nil, fmt.Errorf("--acceptance must be a JSON object such as '{\"bakeSeconds\":60}': %v", err)
		}
		body["acceptance"] = acc
	}
	if cmd.Flags().Changed("var") {
		vars := map[string]string{}
		for _, kv := range sf.vars {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("--var must be KEY=VALUE, not %q", kv)
			}
			vars[k] = v
		}
		body["scriptVariables"] = vars
	}
	return body, nil
}

// stageTable prints a stage's config as the API answered it.
func stageTable(raw []byte, w io.Writer) error {
	s, err := decodeAnswer[api.Stage](raw)
	if err != nil {
		return err
	}
	row(w, "STAGE", s.EnvName+"/"+s.StageName)
	row(w, "BUILD NAME", s.BuildName)
	row(w, "BRANCH", s.Branch)
	row(w, "WINDOW", windowText(s.MaxParallel, s.MaxParallelPct))
	row(w, "SUCCESS THRESHOLD", fmt.Sprintf("%d%%", s.SuccessThreshold))
	row(w, "STUCK TIMEOUT", (time.Duration(s.StuckTimeoutSeconds) * time.Second).String())
	row(w, "BAKE TIME", (time.Duration(s.BakeTimeSeconds) * time.Second).String())
	row(w, "ON FAILURE", s.OnFailure)
	acceptance := "none"
	if s.Acceptance != nil {
		acceptance = core.AcceptancePlan(*s.Acceptance)
	}
	row(w, "ACCEPTANCE", acceptance)
	row(w, "CURRENT DEPLOY", s.CurrentDeployID)
	return nil
}

// stageConfigCommand is stages create and stages update: the config flags sent as a body
// to method path; finish completes or refuses the body the flags made.
func stageConfigCommand(use, short, example, method string, path func(args []string) string, finish func(body map[string]any, args []string) error) *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
		sf stageFlags
	)
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(2),
		RunE: writeRun(&cf, &of, method, path, func(cmd *cobra.Command, args []string) (any, error) {
			body, err := sf.body(cmd)
			if err != nil {
				return nil, err
			}
			return body, finish(body, args)
		}, stageTable),
	}
	sf.add(cmd)
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

func newCreateStageCommand() *cobra.Command {
	return stageConfigCommand("create ENV STAGE", "Create a stage (needs an OPERATOR or ADMIN token)",
		`  teletraan stages create hello prod --max-parallel-pct 10 --success-threshold 90 --stuck-timeout 15m
  teletraan stages create hello canary --max-parallel 1 --var PORT=8080 --on-failure ROLLBACK`,
		http.MethodPost, func([]string) string { return "/v1/envs" },
		func(body map[string]any, args []string) error {
			body["envName"], body["stageName"] = args[0], args[1]
			return nil
		})
}

func newUpdateStageCommand() *cobra.Command {
	return stageConfigCommand("update ENV STAGE", "Change a stage's config: only the flags given change (needs an OPERATOR or ADMIN token)",
		`  teletraan stages update hello prod --max-parallel 0 --max-parallel-pct 25
  teletraan stages update hello prod --bake-time 5m --on-failure WAIT`,
		http.MethodPut, func(args []string) string { return stagePath(args[0], args[1]) },
		func(body map[string]any, _ []string) error {
			if len(body) == 0 {
				return fmt.Errorf("nothing to change: give at least one flag, such as --max-parallel-pct 25 (see --help)")
			}
			return nil
		})
}

func newGetStageCommand() *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
	)
	cmd := &cobra.Command{
		Use:     "get ENV STAGE",
		Short:   "Show a stage's config",
		Example: `  teletraan stages get hello prod -o yaml`,
		Args:    cobra.ExactArgs(2),
		RunE: listRun(&cf, &of, func(args []string) (string, error) { return stagePath(args[0], args[1]), nil },
			stageTable),
	}
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// capacityTable prints a stage's capacity as the API answered it.
func capacityTable(raw []byte, w io.Writer) error {
	c, err := decodeAnswer[api.Capacity](raw)
	if err != nil {
		return err
	}
	row(w, "HOSTS", strings.Join(c.Hosts, ", "))
	row(w, "GROUPS", strings.Join(c.Groups, ", "))
	return nil
}

func newCapacityCommand() *cobra.Command {
	var (
		cf, gcf        clientFlags
		of, gof        outputFlag
		hosts, groups  []string
		setCmd, getCmd *cobra.Command
	)
	setCmd = &cobra.Command{
		Use:   "set ENV STAGE --hosts H1,H2 --groups G1",
		Short: "Replace the hosts and groups a stage deploys to (needs an OPERATOR or ADMIN token)",
		Example: `  teletraan capacity set hello prod --hosts web-1,web-2 --groups web-asg
  teletraan capacity set hello prod --groups web-asg   # no hosts by name`,
		Args: cobra.ExactArgs(2),
		RunE: writeRun(&cf, &of, http.MethodPut, func(args []string) string { return stagePath(args[0], args[1], "capacity") },
			func(cmd *cobra.Command, _ []string) (any, error) {
				if !cmd.Flags().Changed("hosts") && !cmd.Flags().Changed("groups") {
					return nil, fmt.Errorf("give --hosts, --groups or both: the capacity is replaced whole, so what is not listed leaves the stage")
				}
				return map[string][]string{"hosts": nonNil(hosts), "groups": nonNil(groups)}, nil
			}, capacityTable),
	}
	setCmd.Flags().StringSliceVar(&hosts, "hosts", nil, "host names, comma-separated")
	setCmd.Flags().StringSliceVar(&groups, "groups", nil, "host groups, comma-separated")
	cf.add(setCmd)
	of.add(setCmd)
	getCmd = &cobra.Command{
		Use:     "get ENV STAGE",
		Short:   "Show the hosts and groups a stage deploys to",
		Example: `  teletraan capacity get hello prod -o json`,
		Args:    cobra.ExactArgs(2),
		RunE: listRun(&gcf, &gof, func(args []string) (string, error) { return stagePath(args[0], args[1], "capacity"), nil },
			capacityTable),
	}
	gcf.add(getCmd)
	gof.add(getCmd)
	return listGroup("capacity", "Show or replace the hosts and groups of a stage", setCmd, getCmd)
}

// nonNil is s, or an empty list: the API reads a missing list as "unchanged".
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func newDeleteStageCommand() *cobra.Command {
	var (
		cf  clientFlags
		yes string
	)
	cmd := &cobra.Command{
		Use:   "delete ENV STAGE --yes ENV/STAGE",
		Short: "Delete a stage (needs an ADMIN token); refused while one of its deploys runs or waits",
		Long: `Delete a stage: its config, capacity and admissions go; its deploys stay in the history.
Refused while the stage's current deploy has not ended or a deploy is queued. --yes must repeat
ENV/STAGE, so that a script or a slip of history cannot delete the wrong stage.`,
		Example: `  teletraan stages delete hello canary --yes hello/canary`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if want := args[0] + "/" + args[1]; yes != want {
				return fmt.Errorf("--yes %s is required to delete stage %s (it must repeat the stage, not %q)", want, want, yes)
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			if _, err := c.send(cmd.Context(), http.MethodDelete, stagePath(args[0], args[1]), nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted stage %s/%s\n", args[0], args[1])
			return nil
		},
	}
	cmd.Flags().StringVar(&yes, "yes", "", "ENV/STAGE again, to confirm")
	cf.add(cmd)
	return cmd
}

// hostVerbs are the per-host actions and what each does, as the CLI's help says it.
var hostVerbs = []struct{ action, short string }{
	{"retry", "Start the stage's current deploy over on a host (a failed or stuck one)"},
	{"exclude", "Take a host out of the stage's deploys (Teletraan's \"pause host\"): it keeps its build, deploys count it only in their total"},
	{"pause", "Hold a host at its current step: the deploy keeps waiting for it (and counts it stuck after the stuck timeout)"},
	{"resume", "Let an excluded, paused or stopped host take part in deploys again"},
	{"stop", "Stop a host's service before the machine is terminated: its agent runs the build's STOPPING script and rests at STOPPED"},
}

// newHostActionCommands builds teletraan hosts retry|exclude|pause|resume|stop.
func newHostActionCommands() []*cobra.Command {
	var out []*cobra.Command
	for _, v := range hostVerbs {
		var (
			cf   clientFlags
			of   outputFlag
			desc string
		)
		action := v.action
		cmd := &cobra.Command{
			Use:     action + " ENV STAGE HOST",
			Short:   v.short + " (needs an OPERATOR or ADMIN token)",
			Example: "  teletraan hosts " + action + " hello prod web-7 --description \"disk full\"",
			Args:    cobra.ExactArgs(3),
			RunE: writeRun(&cf, &of, http.MethodPost, func(args []string) string {
				return stagePath(args[0], args[1], "hosts", args[2], "actions", action)
			}, func(*cobra.Command, []string) (any, error) {
				if desc == "" {
					return nil, nil
				}
				return map[string]string{"description": desc}, nil
			}, func(raw []byte, w io.Writer) error {
				h, err := decodeAnswer[api.StageHost](raw)
				if err != nil {
					return err
				}
				state := "-"
				if h.Agent != nil {
					state = h.Agent.State
				}
				fmt.Fprintf(w, "%s: %s, agent state %s; now offers %s\n", h.HostName, h.Phase, state, strings.Join(h.Actions, ", "))
				return nil
			}),
		}
		cmd.Flags().StringVar(&desc, "description", "", "why; recorded with the action")
		cf.add(cmd)
		of.add(cmd)
		out = append(out, cmd)
	}
	return out
}

func newStopStageCommand() *cobra.Command {
	var (
		cf        clientFlags
		of        outputFlag
		yes, desc string
	)
	cmd := &cobra.Command{
		Use:   "stop ENV STAGE --yes ENV/STAGE",
		Short: "Stop the service on every host of a stage that deployed there, as before its machines are terminated (needs an OPERATOR or ADMIN token)",
		Example: `  teletraan stages stop hello canary --yes hello/canary --description "retiring the canary fleet"
  teletraan hosts resume hello canary web-7   # brings one host back`,
		Args: cobra.ExactArgs(2),
		RunE: writeRun(&cf, &of, http.MethodPost, func(args []string) string { return stagePath(args[0], args[1], "stop") },
			func(_ *cobra.Command, args []string) (any, error) {
				if want := args[0] + "/" + args[1]; yes != want {
					return nil, fmt.Errorf("--yes %s is required to stop every host of %s (it must repeat the stage, not %q)", want, want, yes)
				}
				return map[string]string{"description": desc}, nil
			}, func(raw []byte, w io.Writer) error {
				v, err := decodeAnswer[struct {
					Stopped []string
					Skipped map[string]string
				}](raw)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "stopping %d host(s): %s\n", len(v.Stopped), strings.Join(v.Stopped, ", "))
				names := make([]string, 0, len(v.Skipped))
				for n := range v.Skipped {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					fmt.Fprintf(w, "  skipped %s: %s\n", n, v.Skipped[n])
				}
				return nil
			}),
	}
	cmd.Flags().StringVar(&yes, "yes", "", "ENV/STAGE again, to confirm")
	cmd.Flags().StringVar(&desc, "description", "", "why; recorded with the action")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}
