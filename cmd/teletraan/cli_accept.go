package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// newVerdictCommand is teletraan accept DEPLOY and teletraan reject DEPLOY: the external
// verdict of a deploy whose stage's acceptance waits for one.
func newVerdictCommand(verb, status, short string) *cobra.Command {
	var (
		cf     clientFlags
		of     outputFlag
		reason string
	)
	cmd := &cobra.Command{
		Use:   verb + " DEPLOY [--reason TEXT]",
		Short: short,
		Long: "Gives the deploy's qualification its external verdict (acceptance.external in the stage's config), " +
			"which it waits for until its deadline; needs an OPERATOR or ADMIN token of the deploy's environment. " +
			"A REJECTED deploy counts as failed for the stage's onFailure: WAIT leaves it to a person, ROLLBACK rolls the stage back.",
		Example: "  teletraan " + verb + " d-1a2b3c --reason \"smoke tests on staging\"",
		Args:    cobra.ExactArgs(1),
		RunE: writeRun(&cf, &of, http.MethodPut, func(args []string) string { return "/v1/deploys/" + url.PathEscape(args[0]) + "/acceptance" },
			func(*cobra.Command, []string) (any, error) {
				return map[string]string{"status": status, "reason": reason}, nil
			},
			func(raw []byte, w io.Writer) error {
				v, err := decodeAnswer[deployView](raw)
				if err != nil {
					return err
				}
				id := ""
				if v.Deploy != nil {
					id = v.Deploy.ID
				}
				fmt.Fprintf(w, "deploy %s: verdict %s handed to its qualification; the stage records it in a moment (teletraan deploys get %s)\n", id, status, id)
				return nil
			}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why; kept with the verdict")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// printAcceptance prints a deploy's acceptance and its evidence, one line each.
func printAcceptance(out io.Writer, a api.DeployAcceptance) {
	fmt.Fprintf(out, "  acceptance: %s\n", a.Summary)
	if a.DecidedBy != "" && a.Status != core.AcceptancePendingAccept {
		at := ""
		if a.DecidedAt != nil {
			at = " at " + timeText(*a.DecidedAt)
		}
		fmt.Fprintf(out, "    decided by %s%s\n", a.DecidedBy, at)
	}
	for _, ev := range a.Evidence {
		mark := "FAIL"
		if ev.Passed {
			mark = "ok"
		}
		fmt.Fprintf(out, "    %-4s %s %s: %s\n", mark, ev.Kind, ev.Name, ev.Detail)
		if ev.Output != "" {
			lines := strings.Split(strings.TrimRight(ev.Output, "\n"), "\n")
			if len(lines) > 10 {
				lines = lines[len(lines)-10:]
			}
			for _, l := range lines {
				fmt.Fprintf(out, "         | %s\n", l)
			}
		}
	}
}
