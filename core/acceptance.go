package core

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Acceptance is a stage's acceptance config: what a deploy that reached SUCCEEDING must
// pass before it counts as qualified. Its kinds combine: the bake comes first, then the
// HTTP checks and the command run side by side, then the external verdict. A stage
// without one (nil, or nothing set) has no acceptance: its SUCCEEDING deploys qualify.
type Acceptance struct {
	// BakeSeconds waits this long after SUCCEEDING before any check starts.
	BakeSeconds int `json:"bakeSeconds,omitempty"`
	// HTTP are checks the worker runs against a URL, or each serving host.
	HTTP []HTTPCheck `json:"http,omitempty"`
	// Command is a command the worker runs, such as a test suite; it needs workers started
	// with --allow-acceptance-commands.
	Command *CommandCheck `json:"command,omitempty"`
	// External waits for a verdict given through PUT /v1/deploys/{id}/acceptance.
	External *ExternalVerdict `json:"external,omitempty"`
}

// HTTPCheck is an HTTP acceptance check, asked Rounds times EverySeconds apart.
type HTTPCheck struct {
	// Name names the check in the evidence; default "http-<n>".
	Name string `json:"name,omitempty"`
	// URL may hold the placeholders {deploy}, {build}, {commit}, {env}, {stage} and, with
	// EachHost, {host}.
	URL string `json:"url"`
	// Method is GET (default), HEAD, POST or PUT.
	Method string `json:"method,omitempty"`
	// ExpectStatus is the status that passes; default 200.
	ExpectStatus int `json:"expectStatus,omitempty"`
	// BodyContains, when set, must appear in the answer's body.
	BodyContains string `json:"bodyContains,omitempty"`
	// BodyRegexp, when set, must match the answer's body.
	BodyRegexp string `json:"bodyRegexp,omitempty"`
	// EverySeconds and ForSeconds repeat the check: every EverySeconds for ForSeconds
	// (both 0: once). Every round must pass.
	EverySeconds int `json:"everySeconds,omitempty"`
	ForSeconds   int `json:"forSeconds,omitempty"`
	// EachHost asks every host serving the deploy's build, {host} being its name.
	EachHost bool `json:"eachHost,omitempty"`
	// TimeoutSeconds bounds one attempt; default 5.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// Retries is how many more attempts a failed attempt gets within a round.
	Retries int `json:"retries,omitempty"`
}

// CommandCheck is a command the worker runs with sh -c; exit 0 passes.
type CommandCheck struct {
	// Run is the command line.
	Run string `json:"run"`
	// TimeoutSeconds bounds the run; default 600.
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// ExternalVerdict waits for a person or a test system to accept or reject the deploy.
type ExternalVerdict struct {
	// DeadlineSeconds is how long to wait; no verdict by then rejects the deploy.
	DeadlineSeconds int `json:"deadlineSeconds"`
}

// Limits of an acceptance config.
const (
	maxAcceptanceSeconds = 7 * 24 * 3600
	maxHTTPChecks        = 10
	maxHTTPRounds        = 1000
)

// HasChecks reports whether a stage with acceptance a runs anything: nil or an empty
// config means no acceptance.
func (a *Acceptance) HasChecks() bool {
	return a != nil && (a.BakeSeconds != 0 || len(a.HTTP) > 0 || a.Command != nil || a.External != nil)
}

// Rounds is how many times the check is asked: once, or every EverySeconds from the start
// up to ForSeconds.
func (h HTTPCheck) Rounds() int {
	if h.EverySeconds <= 0 {
		return 1
	}
	return h.ForSeconds/h.EverySeconds + 1
}

// CheckName is the check's name in evidence: its Name, or "http-<i+1>".
func (h HTTPCheck) CheckName(i int) string {
	if h.Name != "" {
		return h.Name
	}
	return fmt.Sprintf("http-%d", i+1)
}

// WithDefaults fills the defaults of an HTTP check.
func (h HTTPCheck) WithDefaults() HTTPCheck {
	if h.Method == "" {
		h.Method = "GET"
	}
	if h.ExpectStatus == 0 {
		h.ExpectStatus = 200
	}
	if h.TimeoutSeconds == 0 {
		h.TimeoutSeconds = 5
	}
	return h
}

// AcceptanceVars are the values the placeholders of an HTTP check's URL stand for.
type AcceptanceVars struct {
	DeployID, BuildID, Commit, Env, Stage, Host string
}

// ExpandURL replaces the placeholders of an HTTP check's URL, each value escaped as a
// path segment so that a value cannot change the URL's shape.
func ExpandURL(tmpl string, v AcceptanceVars) string {
	return strings.NewReplacer(
		"{deploy}", url.PathEscape(v.DeployID), "{build}", url.PathEscape(v.BuildID), "{commit}", url.PathEscape(v.Commit),
		"{env}", url.PathEscape(v.Env), "{stage}", url.PathEscape(v.Stage), "{host}", url.PathEscape(v.Host),
	).Replace(tmpl)
}

// Validate checks an acceptance config and returns the first problem as an error naming
// the field, such as "acceptance.http[0].url".
func (a *Acceptance) Validate() error {
	if a == nil {
		return nil
	}
	if a.BakeSeconds < 0 || a.BakeSeconds > maxAcceptanceSeconds {
		return FieldErrorf("acceptance.bakeSeconds", "must be between 0 and 7 days, got %d", a.BakeSeconds)
	}
	if len(a.HTTP) > maxHTTPChecks {
		return FieldErrorf("acceptance.http", "has %d checks; the limit is %d", len(a.HTTP), maxHTTPChecks)
	}
	names := map[string]bool{}
	for i, h := range a.HTTP {
		if err := h.validate(fmt.Sprintf("acceptance.http[%d]", i)); err != nil {
			return err
		}
		if names[h.CheckName(i)] {
			return FieldErrorf(fmt.Sprintf("acceptance.http[%d].name", i), "%q names two checks; names must be unique", h.CheckName(i))
		}
		names[h.CheckName(i)] = true
	}
	if c := a.Command; c != nil {
		if strings.TrimSpace(c.Run) == "" {
			return FieldErrorf("acceptance.command.run", "is required: the command line the worker runs with sh -c")
		}
		if len(c.Run) > 4096 {
			return FieldErrorf("acceptance.command.run", "is %d characters long; the limit is 4096", len(c.Run))
		}
		if c.TimeoutSeconds < 0 || c.TimeoutSeconds > 24*3600 {
			return FieldErrorf("acceptance.command.timeoutSeconds", "must be between 1 second and 24 hours (0: 600), got %d", c.TimeoutSeconds)
		}
	}
	if e := a.External; e != nil && (e.DeadlineSeconds < 1 || e.DeadlineSeconds > maxAcceptanceSeconds) {
		return FieldErrorf("acceptance.external.deadlineSeconds", "must be between 1 second and 7 days, got %d: how long to wait for the verdict", e.DeadlineSeconds)
	}
	return nil
}

func (h HTTPCheck) validate(field string) error {
	if len(h.Name) > 64 {
		return FieldErrorf(field+".name", "is longer than 64 characters")
	}
	if h.URL == "" {
		return FieldErrorf(field+".url", "is required: the URL to ask, with {deploy}, {build}, {commit}, {env}, {stage} or {host} placeholders")
	}
	if len(h.URL) > 2048 {
		return FieldErrorf(field+".url", "is longer than 2048 characters")
	}
	hasHost := strings.Contains(h.URL, "{host}")
	if hasHost && !h.EachHost {
		return FieldErrorf(field+".url", "uses {host}, which only a check with eachHost has")
	}
	sample := ExpandURL(h.URL, AcceptanceVars{DeployID: "d", BuildID: "b", Commit: "c", Env: "e", Stage: "s", Host: "host"})
	if strings.ContainsAny(sample, "{}") {
		return FieldErrorf(field+".url", "%q has an unknown placeholder: use {deploy}, {build}, {commit}, {env}, {stage} or {host}", h.URL)
	}
	u, err := url.Parse(sample)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return FieldErrorf(field+".url", "%q is not an absolute http or https URL", h.URL)
	}
	switch h.Method {
	case "", "GET", "HEAD", "POST", "PUT":
	default:
		return FieldErrorf(field+".method", "%q is not GET, HEAD, POST or PUT", h.Method)
	}
	if h.ExpectStatus != 0 && (h.ExpectStatus < 100 || h.ExpectStatus > 599) {
		return FieldErrorf(field+".expectStatus", "must be an HTTP status between 100 and 599, got %d", h.ExpectStatus)
	}
	if len(h.BodyContains) > 1024 {
		return FieldErrorf(field+".bodyContains", "is longer than 1024 characters")
	}
	if h.BodyRegexp != "" {
		if len(h.BodyRegexp) > 1024 {
			return FieldErrorf(field+".bodyRegexp", "is longer than 1024 characters")
		}
		if _, err := regexp.Compile(h.BodyRegexp); err != nil {
			return FieldErrorf(field+".bodyRegexp", "is not a regular expression: %v", err)
		}
	}
	if h.EverySeconds < 0 || h.ForSeconds < 0 || h.ForSeconds > 24*3600 {
		return FieldErrorf(field+".forSeconds", "everySeconds and forSeconds must be 0 or more, forSeconds at most 24 hours")
	}
	if (h.EverySeconds == 0) != (h.ForSeconds == 0) || (h.EverySeconds > 0 && h.ForSeconds < h.EverySeconds) {
		return FieldErrorf(field+".everySeconds", "give both everySeconds and forSeconds (every 10 for 120: 13 rounds), forSeconds at least everySeconds, or neither (once)")
	}
	if h.Rounds() > maxHTTPRounds {
		return FieldErrorf(field+".everySeconds", "asks %d rounds; the limit is %d", h.Rounds(), maxHTTPRounds)
	}
	if h.TimeoutSeconds < 0 || h.TimeoutSeconds > 300 {
		return FieldErrorf(field+".timeoutSeconds", "must be between 1 and 300 seconds (0: 5), got %d", h.TimeoutSeconds)
	}
	if h.Retries < 0 || h.Retries > 10 {
		return FieldErrorf(field+".retries", "must be between 0 and 10, got %d", h.Retries)
	}
	return nil
}

// Evidence kinds of an acceptance verdict.
const (
	EvidenceBake     = "bake"
	EvidenceHTTP     = "http"
	EvidenceCommand  = "command"
	EvidenceExternal = "external"
)

// AcceptanceEvidence is one thing a qualification saw: a check's outcome and its detail.
type AcceptanceEvidence struct {
	Kind   string    `json:"kind"`
	Name   string    `json:"name"`
	Passed bool      `json:"passed"`
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
	// ExitCode and Output are a command's exit code and the tail of its output.
	ExitCode *int   `json:"exitCode,omitempty"`
	Output   string `json:"output,omitempty"`
}

// AcceptanceSummary says in words where a deploy's acceptance stands, for the API, the
// board and the CLI: the reason once decided, "no acceptance configured" for a deploy
// whose stage has none (Teletraan's stored PENDING_DEPLOY, which nothing sets), and what
// it waits for otherwise.
func AcceptanceSummary(status, reason string, stageHasAcceptance bool) string {
	switch status {
	case AcceptancePendingDeploy, "":
		if stageHasAcceptance {
			return "acceptance runs once the deploy reaches SUCCEEDING"
		}
		return "no acceptance configured"
	case AcceptancePendingAccept:
		if reason != "" {
			return reason
		}
		return "acceptance running"
	}
	if reason != "" {
		return status + ": " + reason
	}
	return status
}
