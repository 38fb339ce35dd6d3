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

// newTagCommand is teletraan tag BUILD bad|good|certified --reason TEXT.
func newTagCommand() *cobra.Command {
	var (
		cf     clientFlags
		of     outputFlag
		reason string
	)
	cmd := &cobra.Command{
		Use:   "tag BUILD bad|good|certified [--reason TEXT]",
		Short: "Tag a build BAD, GOOD or CERTIFIED (needs an OPERATOR or ADMIN token)",
		Long: "A BAD tag stops the build, and every later build of its branch until one tagged GOOD or CERTIFIED, " +
			"from being promoted or chosen as an automatic rollback target; deploying it by hand then needs --force. " +
			"A newer tag on the same build replaces an older one's effect: tag it GOOD to take a BAD tag back.",
		Example: `  teletraan tag b-1a2b3c4 bad --reason "crashes on start"
  teletraan tag b-1a2b3c4 good --reason "the crash was the config, fixed"
  teletraan builds tags b-1a2b3c4`,
		Args: cobra.ExactArgs(2),
		RunE: writeRun(&cf, &of, http.MethodPost, func(args []string) string { return "/v1/builds/" + url.PathEscape(args[0]) + "/tags" },
			func(_ *cobra.Command, args []string) (any, error) {
				value := strings.ToUpper(args[1])
				if !core.ValidTagValue(value) {
					return nil, fmt.Errorf("the tag must be bad, good or certified, not %q", args[1])
				}
				return map[string]string{"value": value, "comment": reason}, nil
			},
			func(raw []byte, w io.Writer) error {
				t, err := decodeAnswer[api.BuildTag](raw)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "build %s tagged %s by %s\n", t.BuildID, t.Value, t.Operator)
				return nil
			}),
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why; shown wherever the build is listed and in refusals")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// newListBuildTagsCommand is teletraan builds tags BUILD.
func newListBuildTagsCommand() *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
	)
	cmd := &cobra.Command{
		Use:     "tags BUILD",
		Short:   "List a build's tags and the one that speaks for it",
		Example: `  teletraan builds tags b-1a2b3c4`,
		Args:    cobra.ExactArgs(1),
		RunE: listRun(&cf, &of, func(args []string) (string, error) { return "/v1/builds/" + url.PathEscape(args[0]) + "/tags", nil },
			func(raw []byte, w io.Writer) error {
				v, err := decodeAnswer[struct {
					Effective *api.EffectiveBuildTag
					Tags      []api.BuildTag
				}](raw)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "effective: %s\n", tagText(v.Effective))
				row(w, "TAG", "BY", "AT", "COMMENT")
				for _, t := range v.Tags {
					row(w, t.Value, t.Operator, timeText(t.CreatedAt), firstLine(t.Comment))
				}
				return nil
			}),
	}
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// tagText is how the CLI shows the tag that speaks for a build: "-" for none.
func tagText(t *api.EffectiveBuildTag) string {
	if t == nil {
		return "-"
	}
	s := t.Value + " by " + t.Operator
	if t.Inherited {
		s += " (from build " + t.BuildID + ")"
	}
	if t.Comment != "" {
		s += ": " + firstLine(t.Comment)
	}
	return s
}
