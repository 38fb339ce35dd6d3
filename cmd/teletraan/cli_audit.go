package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/api"
)

func newAuditCommand() *cobra.Command {
	var (
		cf                      clientFlags
		of                      outputFlag
		env, stage, actor       string
		since, until            string
		limit                   int
		sinceParsed, untilValue time.Time
	)
	cmd := &cobra.Command{
		Use:   "audit [--env E] [--stage S] [--actor NAME] [--since T] [--until T]",
		Short: "Read the audit trail: who asked to change what, from where, and the answer (needs an OPERATOR or ADMIN token)",
		Example: `  teletraan audit --env hello --since 24h
  teletraan audit --actor ci --since 2026-12-01T00:00:00Z -o json`,
		Args: cobra.NoArgs,
		RunE: listRun(&cf, &of, func([]string) (string, error) {
			var err error
			if sinceParsed, err = timeOrAgo("since", since); err != nil {
				return "", err
			}
			if untilValue, err = timeOrAgo("until", until); err != nil {
				return "", err
			}
			if stage != "" && env == "" {
				return "", fmt.Errorf("--stage needs --env: a stage name is unique only within its environment")
			}
			if limit < 0 {
				return "", fmt.Errorf("--limit must be 0 (the server's default) or more, not %d", limit)
			}
			return withQuery("/v1/audit", "env", env, "stage", stage, "actor", actor, "since", rfc3339(sinceParsed),
				"until", rfc3339(untilValue), "limit", positive(limit)), nil
		}, func(raw []byte, w io.Writer) error {
			v, err := decodeAnswer[struct{ Entries []api.AuditEntry }](raw)
			if err != nil {
				return err
			}
			row(w, "AT", "ACTOR", "CALL", "STAGE", "ANSWER", "FROM")
			for _, e := range v.Entries {
				stageName := ""
				if e.EnvName != "" {
					stageName = e.EnvName + "/" + e.StageName
				}
				answer := strconv.Itoa(e.Status)
				if e.ErrorCode != "" {
					answer += " " + e.ErrorCode
				}
				call := e.Method + " " + e.Path
				from := e.RemoteAddr
				if e.Method == "WORKFLOW" {
					// A workflow's own change: what it did instead of a request, and no address.
					call, from = e.Route+": "+e.Detail, "-"
				}
				row(w, timeText(e.At), e.Actor, call, stageName, answer, from)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&env, "env", "", "only calls on this environment (a scoped token must give its own)")
	f.StringVar(&stage, "stage", "", "only calls on this stage (with --env)")
	f.StringVar(&actor, "actor", "", "only calls by this person (email) or token; system for the changes workflows made")
	f.StringVar(&since, "since", "", "only calls since this time: RFC 3339, or a duration ago such as 24h")
	f.StringVar(&until, "until", "", "only calls before this time: RFC 3339, or a duration ago")
	f.IntVar(&limit, "limit", 0, "at most this many entries (0: the server's default)")
	cf.add(cmd)
	of.add(cmd)
	return cmd
}

// timeOrAgo parses a flag given as an RFC 3339 time or as a duration before now.
func timeOrAgo(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--%s must be an RFC 3339 time such as 2026-12-01T10:00:00Z or a duration ago such as 24h, not %q", flag, v)
}

// rfc3339 writes t for a query parameter, "" for none.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
