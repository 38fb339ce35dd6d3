package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// newPipelineCommands returns `teletraan pipeline ENV` and `teletraan promotion
// pause|resume|now|status ENV STAGE`.
func newPipelineCommands() []*cobra.Command {
	promotion := listGroup("promotion", "Show, pause, resume or trigger a stage's auto-promotion",
		newPromotionStatusCommand(), newPromotionActionCommand(api.PromotionPause), newPromotionActionCommand(api.PromotionResume),
		newPromotionActionCommand(api.PromotionNow))
	return []*cobra.Command{newPipelineCommand(), promotion}
}

func newPipelineCommand() *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
	)
	cmd := &cobra.Command{
		Use:   "pipeline ENV",
		Short: "Show an environment's stages in promotion order: each one's build, state and why its promotion waits",
		Long: `Show an environment's pipeline: its stages in promotion order (each after the stage it
promotes from), with the build each one runs, its deploy's state and acceptance, the next
candidate its auto-promotion would deploy and why it waits, and the schedule's next wake.`,
		Example: `  teletraan pipeline hello
  teletraan pipeline hello -o json | jq '.stages[] | {stageName, why: .promotion.why}'`,
		Args: cobra.ExactArgs(1),
		RunE: listRun(&cf, &of, func(args []string) (string, error) { return "/v1/pipelines/" + url.PathEscape(args[0]), nil },
			func(raw []byte, w io.Writer) error {
				p, err := decodeAnswer[api.Pipeline](raw)
				if err != nil {
					return err
				}
				row(w, "STAGE", "FROM", "BUILD", "STATE", "ACCEPTANCE", "NEXT", "WHY", "SCHEDULE")
				for _, s := range p.Stages {
					build, state, acceptance := "-", "-", "-"
					if s.Current != nil {
						build, state, acceptance = s.Current.BuildID, s.Current.State, s.Current.AcceptanceStatus
						if acceptance == core.AcceptancePendingDeploy {
							acceptance = "none" // nothing ran: no acceptance configured then
						}
					}
					from, next, why, sched := "manual", "-", "-", "-"
					if s.Source != "" {
						from = s.Source
					}
					if pr := s.Promotion; pr != nil {
						why = pr.Why
						if pr.Next != nil {
							next = pr.Next.BuildID
						}
						if pr.NextScheduleTime != nil {
							sched = timeText(*pr.NextScheduleTime)
						}
					} else if s.PromotionError != "" {
						why = "unknown: " + s.PromotionError
					}
					row(w, s.StageName, from, build, state, acceptance, next, why, sched)
				}
				return nil
			}),
	}
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// promotionPath is the promotion route of the stage ENV STAGE.
func promotionPath(args []string, more ...string) (string, error) {
	return stagePath(args[0], args[1], append([]string{"promotion"}, more...)...), nil
}

func promotionTable(raw []byte, w io.Writer) error {
	p, err := decodeAnswer[api.PromotionStatus](raw)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s/%s: %s\n", p.EnvName, p.StageName, p.Why)
	if p.DeployID != "" {
		fmt.Fprintf(w, "deploy:   %s\n", p.DeployID)
	}
	if p.Next != nil {
		fmt.Fprintf(w, "next:     build %s\n", p.Next.BuildID)
	}
	if p.PausedBy != "" {
		fmt.Fprintf(w, "paused:   by %s\n", p.PausedBy)
	}
	if p.Disabled != "" {
		fmt.Fprintf(w, "disabled: %s\n", p.Disabled)
	}
	if p.NextScheduleTime != nil {
		fmt.Fprintf(w, "schedule: %s next at %s\n", p.ScheduleID, timeText(*p.NextScheduleTime))
	}
	for _, c := range p.Candidates {
		fmt.Fprintf(w, "queued:   build %s (%s)\n", c.BuildID, timeText(c.At))
	}
	return nil
}

func newPromotionStatusCommand() *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
	)
	cmd := &cobra.Command{
		Use:     "status ENV STAGE",
		Short:   "Show why a stage's auto-promotion is not promoting now, its queue and its schedule",
		Example: `  teletraan promotion status hello prod`,
		Args:    cobra.ExactArgs(2),
		RunE:    listRun(&cf, &of, func(args []string) (string, error) { return promotionPath(args) }, promotionTable),
	}
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

func newPromotionActionCommand(action string) *cobra.Command {
	var (
		cf          clientFlags
		of          outputFlag
		description string
	)
	short := map[string]string{
		api.PromotionPause:  "Pause a stage's auto-promotion: it keeps its queue but promotes nothing until resumed",
		api.PromotionResume: "Resume a stage's auto-promotion, also after a fail or disable policy turned it off",
		api.PromotionNow:    "Promote the newest good candidate now, skipping pause, schedule, delay, queue size and window",
	}[action]
	cmd := &cobra.Command{
		Use:   action + " ENV STAGE",
		Short: short,
		Long: short + `.
Promote-now still refuses a build tagged BAD and never replaces a deploy that has no verdict yet.`,
		Example: fmt.Sprintf("  teletraan promotion %s hello prod", action),
		Args:    cobra.ExactArgs(2),
		RunE: apiRun(&cf, &of, http.MethodPost, func(args []string) (string, error) { return promotionPath(args, "actions", action) },
			func(*cobra.Command, []string) (any, error) { return map[string]string{"description": description}, nil }, promotionTable),
	}
	cmd.Flags().StringVar(&description, "description", "", "why, recorded in the audit trail")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}
