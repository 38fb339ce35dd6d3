package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// barWidth is the width of the progress bar in characters.
const barWidth = 30

// exitDeployFailed is the exit status when a watched deploy fails, is aborted or is
// superseded before it succeeded; 1 stays for errors talking to the API.
const exitDeployFailed = 2

// watch polls the deploy until it reaches a verdict, drawing its progress: in place on a
// terminal, one line per change otherwise (a CI log). It returns nil once the deploy is
// SUCCEEDING or SUCCEEDED and an exitError when it is FAILING or ABORTED.
func watch(ctx context.Context, c *apiClient, id string, every time.Duration, out io.Writer) error {
	tty := isTerminal(out)
	last := ""
	told := map[string]string{} // host → the outcome already reported
	for {
		var v deployView
		if err := c.do(ctx, http.MethodGet, "/v1/deploys/"+url.PathEscape(id), nil, &v); err != nil {
			if tty {
				fmt.Fprintln(out)
			}
			return err
		}
		if v.Deploy == nil {
			return fmt.Errorf("the server answered GET /v1/deploys/%s without a deploy", id)
		}
		if failed := newlyFailedHosts(ctx, c, id, told); len(failed) > 0 {
			if tty && last != "" {
				fmt.Fprint(out, "\r\x1b[K")
			}
			for _, f := range failed {
				fmt.Fprintln(out, f)
			}
			if tty {
				last = "" // the progress line was overwritten: draw it again
			}
		}
		line := progressLine(v.Deploy, barWidth)
		switch {
		case tty:
			// \r returns to the line's start, \x1b[K clears what a longer line left.
			fmt.Fprint(out, "\r"+line+"\x1b[K")
		case line != last:
			fmt.Fprintln(out, line)
		}
		last = line
		if done, err := verdict(v.Deploy); done {
			if tty {
				fmt.Fprintln(out)
			}
			fmt.Fprintf(out, "deploy %s is %s: %s\n", id, v.Deploy.State, v.Deploy.StateReason)
			return err
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			if tty {
				fmt.Fprintln(out)
			}
			return fmt.Errorf("stopped watching deploy %s: %w", id, ctx.Err())
		case <-t.C:
		}
	}
}

// verdict reports whether watching d is over and, if it is, the error to exit with.
func verdict(d *api.Deploy) (bool, error) {
	switch d.State {
	case core.StateSucceeding, core.StateSucceeded:
		return true, nil
	case core.StateFailing, core.StateAborted:
		return true, &exitError{code: exitDeployFailed, err: fmt.Errorf("deploy %s is %s: %s", d.ID, d.State, d.StateReason)}
	}
	return false, nil
}

// progressLine draws a deploy's counts as a bar of width characters ('#' succeeded, 'x'
// failed, '>' in flight, '.' waiting or held) followed by the counts and the state.
func progressLine(d *api.Deploy, width int) string {
	total := max(d.Total, 0)
	var bar strings.Builder
	if total > 0 {
		cells := func(n int) int { return n * width / total }
		s, f, i := cells(d.Succeeded), cells(d.Failed), cells(d.InFlight)
		bar.WriteString(strings.Repeat("#", s))
		bar.WriteString(strings.Repeat("x", f))
		bar.WriteString(strings.Repeat(">", i))
		bar.WriteString(strings.Repeat(".", max(width-s-f-i, 0)))
	} else {
		bar.WriteString(strings.Repeat(".", width))
	}
	state := d.State
	if d.Paused {
		state += " (paused)"
	}
	return fmt.Sprintf("[%s] %d/%d succeeded, %d in flight, %d failed, %d remaining  %s",
		bar.String(), d.Succeeded, total, d.InFlight, d.Failed, d.Remaining, state)
}

// isTerminal reports whether out is a terminal, where the bar can redraw in place.
func isTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newlyFailedHosts lists, one line each, the deploy's hosts that failed or got stuck since
// the last call (told remembers what was said), with the first line of their error, so that
// a person watching sees which host broke and why as it happens. A failed read says nothing:
// the progress line still tells the counts, and the next poll tries again.
func newlyFailedHosts(ctx context.Context, c *apiClient, id string, told map[string]string) []string {
	var v struct {
		Waves []struct {
			Hosts []struct {
				HostName     string `json:"hostName"`
				Outcome      string `json:"outcome"`
				ErrorMessage string `json:"errorMessage"`
			} `json:"hosts"`
		} `json:"waves"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/deploys/"+url.PathEscape(id)+"/hosts", nil, &v); err != nil {
		return nil
	}
	var out []string
	for _, w := range v.Waves {
		for _, h := range w.Hosts {
			if h.Outcome != core.OutcomeFailed && h.Outcome != core.OutcomeStuck {
				continue
			}
			if told[h.HostName] == h.Outcome {
				continue
			}
			told[h.HostName] = h.Outcome
			why := firstLine(h.ErrorMessage)
			if why == "" {
				why = "no error text"
			}
			out = append(out, fmt.Sprintf("  %s %s: %s", h.HostName, h.Outcome, why))
		}
	}
	return out
}
