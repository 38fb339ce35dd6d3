package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/api"
)

// stageAlarms is the answer of GET .../alarms as the CLI reads it.
type stageAlarms struct {
	Alarms []struct {
		Name, Kind, Outcome, Threshold, Detail string
		Value                                  *float64
	} `json:"alarms"`
	Policy          string `json:"policy"`
	FailureLimit    int    `json:"failureLimit"`
	IntervalSeconds int    `json:"intervalSeconds"`
}

func newStageAlarmsCommand() *cobra.Command {
	var (
		cf clientFlags
		of outputFlag
	)
	cmd := &cobra.Command{
		Use:     "alarms ENV STAGE",
		Short:   "Ask a stage's alarms now: state, value, threshold and reason of each, and what an acting one does",
		Example: `  teletraan stages alarms hello prod`,
		Args:    cobra.ExactArgs(2),
		RunE: listRun(&cf, &of, func(args []string) (string, error) { return stagePath(args[0], args[1], "alarms"), nil },
			func(raw []byte, w io.Writer) error {
				v, err := decodeAnswer[stageAlarms](raw)
				if err != nil {
					return err
				}
				fmt.Fprintln(w, "NAME\tKIND\tSTATE\tVALUE\tTHRESHOLD\tREASON")
				for _, a := range v.Alarms {
					value := ""
					if a.Value != nil {
						value = strconv.FormatFloat(*a.Value, 'g', 6, 64)
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.Kind, a.Outcome, value, a.Threshold, a.Detail)
				}
				fmt.Fprintf(w, "acting after %d firing check(s), every %d s while hosts are in flight: %s\n", max(v.FailureLimit, 1), v.IntervalSeconds, v.Policy)
				return nil
			}),
	}
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// printGuards prints a deploy's failure reason (once superseded), the alarm checks and
// alerts that acted on it, and its webhook deliveries.
func printGuards(w io.Writer, v deployView) {
	if v.Deploy != nil && v.Deploy.FailureReason != "" && v.Deploy.State != "FAILING" {
		fmt.Fprintf(w, "went FAILING before: %s\n", v.Deploy.FailureReason)
	}
	for _, c := range v.AlarmChecks {
		fmt.Fprintf(w, "%s %s: %s %s (%s check) %s: %s\n", c.CheckedAt.UTC().Format("2006-01-02 15:04:05"), c.Action, c.Kind, c.Alarm, c.Source, c.Threshold, c.Reason)
	}
	for _, d := range v.WebhookDeliveries {
		fmt.Fprintf(w, "webhook %s %s attempt %d: %s\n", d.Hook, d.Event, d.Attempt, deliveryResult(d))
	}
}

func deliveryResult(d api.WebhookDelivery) string {
	if d.Delivered {
		return fmt.Sprintf("delivered (HTTP %d, %d ms)", d.StatusCode, d.LatencyMS)
	}
	return fmt.Sprintf("failed after %d ms: %s", d.LatencyMS, d.Error)
}
