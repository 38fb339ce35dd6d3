package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/teletraan-on-temporal/teletraan/api"
)

// simulationSummary is what teletraan simulate prints at its end (-o json gives this shape).
type simulationSummary struct {
	Env         string  `json:"env"`
	Stage       string  `json:"stage"`
	Hosts       int     `json:"hosts"`
	Processes   int     `json:"processes"`
	Mode        string  `json:"mode"`
	FailureRate float64 `json:"failureRate"`
	// SettleSeconds is how long the fleet took to enroll and finish any work it found.
	SettleSeconds float64     `json:"settleSeconds"`
	Deploys       []deployRun `json:"deploys"`
	Pings         int64       `json:"pings"`
	PingErrors    int64       `json:"pingErrors"`
	LastPingError string      `json:"lastPingError,omitempty"`
}

// deployRun is one measured deploy.
type deployRun struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	BuildID      string `json:"buildId"`
	FromDeployID string `json:"fromDeployId,omitempty"`
	State        string `json:"state"`
	StateReason  string `json:"stateReason"`
	// ThresholdSeconds is the time from start to the success threshold (absent if never
	// reached); Seconds the time until the deploy had its verdict and no host in flight.
	ThresholdSeconds *float64 `json:"thresholdSeconds,omitempty"`
	Seconds          float64  `json:"seconds"`
	Total            int      `json:"total"`
	Succeeded        int      `json:"succeeded"`
	Failed           int      `json:"failed"`
	// Remaining counts the hosts the deploy never admitted: it reached its verdict first.
	Remaining    int         `json:"remaining"`
	Delivery     deliveryLag `json:"delivery"`
	PingsPerHost float64     `json:"pingsPerHost"`
}

// deliveryLag sums up goal delivery: from a host's admission to its first goal.
type deliveryLag struct {
	Hosts int `json:"hosts"`
	// Missing counts the hosts admitted that never took a goal of the deploy.
	Missing int     `json:"missing"`
	P50Ms   float64 `json:"p50Ms"`
	P99Ms   float64 `json:"p99Ms"`
	MaxMs   float64 `json:"maxMs"`
}

func newDeployRun(d *api.Deploy, settled time.Time) deployRun {
	r := deployRun{ID: d.ID, Type: d.Type, BuildID: d.BuildID, FromDeployID: d.FromDeployID, State: d.State, StateReason: d.StateReason,
		Seconds: settled.Sub(d.CreatedAt).Seconds(), Total: d.Total, Succeeded: d.Succeeded, Failed: d.Failed, Remaining: d.Remaining}
	if d.SucceededAt != nil {
		s := d.SucceededAt.Sub(d.CreatedAt).Seconds()
		r.ThresholdSeconds = &s
	}
	return r
}

// deployHostsAnswer is the part of GET /v1/deploys/{id}/hosts the simulation reads.
type deployHostsAnswer struct {
	Waves []struct {
		Wave       int       `json:"wave"`
		AdmittedAt time.Time `json:"admittedAt"`
		Hosts      []struct {
			HostName string `json:"hostName"`
		} `json:"hosts"`
	} `json:"waves"`
}

// admissions maps each admitted host to when its wave was admitted; hosts of wave 0
// installed without an admission and have no delivery to measure.
func (a deployHostsAnswer) admissions() map[string]time.Time {
	out := map[string]time.Time{}
	for _, w := range a.Waves {
		if w.Wave == 0 {
			continue
		}
		for _, h := range w.Hosts {
			out[h.HostName] = w.AdmittedAt
		}
	}
	return out
}

// deliveryOf measures goal delivery for the hosts that were admitted and got a goal.
func deliveryOf(admitted, firstGoal map[string]time.Time) deliveryLag {
	var lags []time.Duration
	missing := 0
	for h, at := range admitted {
		if got, ok := firstGoal[h]; ok {
			lags = append(lags, max(got.Sub(at), 0))
		} else {
			missing++
		}
	}
	if len(lags) == 0 {
		return deliveryLag{Missing: missing}
	}
	slices.Sort(lags)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return deliveryLag{Hosts: len(lags), Missing: missing, P50Ms: ms(percentile(lags, 50)), P99Ms: ms(percentile(lags, 99)), MaxMs: ms(lags[len(lags)-1])}
}

// percentile is the p-th percentile of sorted by the nearest-rank method.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	return sorted[max(rank, 1)-1]
}

func (s simulationSummary) table(w io.Writer) error {
	fmt.Fprintf(w, "%d simulated hosts on %s/%s over %d processes, %s, failure rate %g\n", s.Hosts, s.Env, s.Stage, s.Processes, s.Mode, s.FailureRate)
	fmt.Fprintf(w, "fleet settled in %.1f s; %d pings, %d failed\n", s.SettleSeconds, s.Pings, s.PingErrors)
	if s.LastPingError != "" && s.PingErrors > 0 {
		fmt.Fprintf(w, "last ping error: %s\n", s.LastPingError)
	}
	if len(s.Deploys) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nDEPLOY\tTYPE\tBUILD\tSTATE\tTO THRESHOLD\tDONE\tSUCCEEDED\tFAILED\tDELIVERY P50/P99\tPINGS/HOST")
	for _, d := range s.Deploys {
		threshold := "never"
		if d.ThresholdSeconds != nil {
			threshold = fmt.Sprintf("%.1f s", *d.ThresholdSeconds)
		}
		delivery := "none admitted" // every host installed as a new member, at once
		if d.Delivery.Hosts > 0 {
			delivery = fmt.Sprintf("%.0f / %.0f ms", d.Delivery.P50Ms, d.Delivery.P99Ms)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1f s\t%d/%d\t%d\t%s\t%.1f\n", d.ID, d.Type, d.BuildID, d.State, threshold,
			d.Seconds, d.Succeeded, d.Total, d.Failed, delivery, d.PingsPerHost)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, d := range s.Deploys {
		if d.State != "SUCCEEDING" && d.State != "SUCCEEDED" && d.StateReason != "" {
			fmt.Fprintf(w, "%s: %s\n", d.ID, d.StateReason)
		}
		if d.Remaining > 0 {
			fmt.Fprintf(w, "%s: %d hosts were never admitted: the deploy reached its verdict (%s) first and admits no more\n", d.ID, d.Remaining, d.State)
		}
	}
	return nil
}
