package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// Names of the qualification workflow's messages.
const (
	// AcceptanceVerdictUpdate gives a qualification its external verdict, carrying an
	// AcceptanceVerdictRequest; its validator refuses a qualification without an external
	// verdict, and a second verdict.
	AcceptanceVerdictUpdate = "acceptance-verdict"
	// QualificationVerdictSignal tells a stage workflow how its deploy's qualification
	// ended, carrying a QualificationVerdict.
	QualificationVerdictSignal = "qualification-verdict"
)

// QualifyWorkflowID is the id of the qualification workflow of a deploy.
func QualifyWorkflowID(deployID string) string { return "qualify/" + deployID }

// QualifyInput starts a qualification workflow.
type QualifyInput struct {
	DeployID        string
	StageID         string
	EnvName         string
	StageName       string
	BuildID         string
	BuildName       string
	Commit          string
	Type            string
	Operator        string
	StageWorkflowID string
	// Acceptance is the stage's acceptance config as it was when the deploy succeeded.
	Acceptance core.Acceptance
}

// AcceptanceVerdictRequest is the payload of AcceptanceVerdictUpdate.
type AcceptanceVerdictRequest struct {
	// Status is core.AcceptanceAccepted or core.AcceptanceRejected.
	Status   string
	Reason   string `json:",omitempty"`
	Operator string
}

// QualificationVerdict is how a qualification ended: the payload of
// QualificationVerdictSignal and the workflow's result.
type QualificationVerdict struct {
	DeployID string
	// Status is ACCEPTED, REJECTED or SUPERSEDED.
	Status   string
	Reason   string
	Evidence []core.AcceptanceEvidence `json:",omitempty"`
	// By is who decided: the external verdict's operator, else the qualification.
	By string `json:",omitempty"`
}

// QualificationOperator is who decides a verdict that checks reached.
const QualificationOperator = "teletraan (acceptance)"

// qualifyActivityOptions are for the HTTP checks, which last their rounds: heartbeats
// find a lost worker and carry a cancellation.
var qualifyActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 25 * time.Hour,
	HeartbeatTimeout:    time.Minute,
	WaitForCancellation: true,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    5,
	},
}

// commandScheduleTimeout is how long a command acceptance waits for a worker that runs
// commands before the deploy is rejected for want of one.
const commandScheduleTimeout = 2 * time.Minute

// NoCommandWorkerReason is the REJECTED reason when no worker took the command.
func NoCommandWorkerReason() string {
	return fmt.Sprintf("no worker runs acceptance commands: start a worker with teletraan worker %s (or teletraan dev %s)",
		activities.AllowCommandsFlag, activities.AllowCommandsFlag)
}

// QualificationWorkflow runs a deploy's acceptance: the bake, then the HTTP checks and
// the command side by side, then the external verdict until its deadline. Its verdict is
// REJECTED at the first failing check (the reason names it) and ACCEPTED when everything
// passed; it tells the stage workflow, which records it and applies the failure policy. A
// cancelled qualification (a newer deploy on the stage) kills its checks and ends
// SUPERSEDED without telling the stage, which cancelled it.
func QualificationWorkflow(ctx workflow.Context, in QualifyInput) (QualificationVerdict, error) {
	q := &qualifyImpl{in: in}
	if err := q.setup(ctx); err != nil {
		return QualificationVerdict{}, err
	}
	v := q.run(ctx)
	v.DeployID = in.DeployID
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.UpsertTypedSearchAttributes(dctx, AcceptanceKey.ValueSet(v.Status))
	if v.Status != core.AcceptanceSuperseded && in.StageWorkflowID != "" {
		if err := workflow.SignalExternalWorkflow(dctx, in.StageWorkflowID, "", QualificationVerdictSignal, v).Get(dctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not tell the stage workflow the verdict", "deploy", in.DeployID, "error", err)
		}
	}
	return v, nil
}

type qualifyImpl struct {
	in       QualifyInput
	evidence []core.AcceptanceEvidence
	// verdict is the external verdict once given.
	verdict *AcceptanceVerdictRequest
	// decided is set once the qualification has its verdict: later external ones are refused.
	decided bool
}

func (q *qualifyImpl) setup(ctx workflow.Context) error {
	if q.in.DeployID == "" || q.in.StageWorkflowID == "" {
		return temporal.NewNonRetryableApplicationError("qualification workflow needs DeployID and StageWorkflowID", "InvalidInput", nil)
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, AcceptanceVerdictUpdate,
		func(ctx workflow.Context, req AcceptanceVerdictRequest) (QualificationVerdict, error) {
			q.verdict = &req
			return QualificationVerdict{DeployID: q.in.DeployID, Status: req.Status, Reason: req.Reason, By: req.Operator}, nil
		},
		workflow.UpdateHandlerOptions{Validator: q.validateVerdict})
}

// validateVerdict refuses an external verdict the qualification does not wait for.
func (q *qualifyImpl) validateVerdict(_ workflow.Context, req AcceptanceVerdictRequest) error {
	switch {
	case req.Status != core.AcceptanceAccepted && req.Status != core.AcceptanceRejected:
		return rejection(core.EINVALID, fmt.Sprintf("verdict %q is not ACCEPTED or REJECTED", req.Status))
	case q.in.Acceptance.External == nil:
		return rejection(core.ECONFLICT, fmt.Sprintf("deploy %s's stage takes no external verdict: its checks decide (add acceptance.external to the stage's config)", q.in.DeployID))
	case q.decided:
		return rejection(core.ECONFLICT, fmt.Sprintf("deploy %s's qualification has its verdict already", q.in.DeployID))
	case q.verdict != nil:
		return rejection(core.ECONFLICT, fmt.Sprintf("deploy %s was %s by %s already", q.in.DeployID, q.verdict.Status, q.verdict.Operator))
	}
	return nil
}

func (q *qualifyImpl) note(ctx workflow.Context, ev core.AcceptanceEvidence) {
	if ev.At.IsZero() {
		ev.At = workflow.Now(ctx)
	}
	q.evidence = append(q.evidence, ev)
}

// verdictOf ends the qualification with status and reason.
func (q *qualifyImpl) verdictOf(status, reason, by string) QualificationVerdict {
	q.decided = true
	return QualificationVerdict{Status: status, Reason: reason, Evidence: q.evidence, By: by}
}

func (q *qualifyImpl) superseded() QualificationVerdict {
	return q.verdictOf(core.AcceptanceSuperseded, "a newer deploy on the stage cancelled the qualification", QualificationOperator)
}

func (q *qualifyImpl) run(ctx workflow.Context) QualificationVerdict {
	a := q.in.Acceptance
	if a.BakeSeconds > 0 {
		d := time.Duration(a.BakeSeconds) * time.Second
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("baking for %s before the checks", d))
		if err := workflow.NewTimer(ctx, d).Get(ctx, nil); err != nil {
			return q.superseded()
		}
		q.note(ctx, core.AcceptanceEvidence{Kind: core.EvidenceBake, Name: "bake", Passed: true, Detail: fmt.Sprintf("baked %s after SUCCEEDING", d)})
	}
	if v, done := q.runChecks(ctx); done {
		return v
	}
	if e := a.External; e != nil {
		deadline := time.Duration(e.DeadlineSeconds) * time.Second
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("waiting up to %s for an external verdict", deadline))
		ok, err := workflow.AwaitWithTimeout(ctx, deadline, func() bool { return q.verdict != nil })
		if err != nil {
			return q.superseded()
		}
		if !ok {
			reason := fmt.Sprintf("no external verdict within its deadline of %s", deadline)
			q.note(ctx, core.AcceptanceEvidence{Kind: core.EvidenceExternal, Name: "external", Detail: reason})
			return q.verdictOf(core.AcceptanceRejected, reason, QualificationOperator)
		}
		v := q.verdict
		detail := v.Status + " by " + v.Operator
		if v.Reason != "" {
			detail += ": " + v.Reason
		}
		q.note(ctx, core.AcceptanceEvidence{Kind: core.EvidenceExternal, Name: "external", Passed: v.Status == core.AcceptanceAccepted, Detail: detail})
		return q.verdictOf(v.Status, detail, v.Operator)
	}
	return q.verdictOf(core.AcceptanceAccepted, "every acceptance check passed: "+q.passedSummary(), QualificationOperator)
}

// passedSummary names what passed, for the ACCEPTED reason.
func (q *qualifyImpl) passedSummary() string {
	names := make([]string, 0, len(q.evidence))
	for _, ev := range q.evidence {
		names = append(names, ev.Name)
	}
	if len(names) == 0 {
		return "nothing to check"
	}
	return strings.Join(names, ", ")
}

// runChecks runs the HTTP checks and the command at once and waits for all of them; done
// reports a verdict reached (a failing check, or a cancellation).
func (q *qualifyImpl) runChecks(ctx workflow.Context) (QualificationVerdict, bool) {
	a := q.in.Acceptance
	var futures []workflow.Future
	vars := core.AcceptanceVars{DeployID: q.in.DeployID, BuildID: q.in.BuildID, Commit: q.in.Commit, Env: q.in.EnvName, Stage: q.in.StageName}
	hctx := workflow.WithActivityOptions(ctx, qualifyActivityOptions)
	for i, h := range a.HTTP {
		futures = append(futures, workflow.ExecuteActivity(hctx, acts.RunHTTPCheck, activities.HTTPCheckInput{
			DeployID: q.in.DeployID, EnvName: q.in.EnvName, StageName: q.in.StageName, Index: i, Check: h, Vars: vars}))
	}
	if c := a.Command; c != nil {
		timeout := time.Duration(c.TimeoutSeconds) * time.Second
		if timeout <= 0 {
			timeout = 600 * time.Second
		}
		opts := qualifyActivityOptions
		opts.TaskQueue = activities.CommandTaskQueue
		opts.ScheduleToStartTimeout = commandScheduleTimeout
		opts.StartToCloseTimeout = timeout + time.Minute
		opts.HeartbeatTimeout = 30 * time.Second
		opts.RetryPolicy = &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3}
		futures = append(futures, workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), runner.RunAcceptanceCommand,
			activities.CommandInput{Check: *c, Env: q.commandEnv()}))
	}
	if len(futures) == 0 {
		return QualificationVerdict{}, false
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("running %d acceptance checks", len(futures)))
	var failed *core.AcceptanceEvidence
	for i, f := range futures {
		var ev core.AcceptanceEvidence
		if err := f.Get(ctx, &ev); err != nil {
			if ctx.Err() != nil {
				return q.superseded(), true
			}
			ev = core.AcceptanceEvidence{Kind: core.EvidenceHTTP, Name: "check", Detail: checkFailure(err)}
			if a.Command != nil && i == len(futures)-1 {
				ev.Kind, ev.Name = core.EvidenceCommand, "command"
			} else if i < len(a.HTTP) {
				ev.Name = a.HTTP[i].CheckName(i)
			}
		}
		q.note(ctx, ev)
		if !ev.Passed && failed == nil {
			failed = &q.evidence[len(q.evidence)-1]
		}
	}
	if ctx.Err() != nil {
		return q.superseded(), true
	}
	if failed != nil {
		return q.verdictOf(core.AcceptanceRejected, fmt.Sprintf("%s check %s failed: %s", failed.Kind, failed.Name, failed.Detail), QualificationOperator), true
	}
	return QualificationVerdict{}, false
}

// checkFailure says why a check's activity failed, naming the flag when no worker may
// run commands.
func checkFailure(err error) string {
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) && timeout.TimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START {
		return NoCommandWorkerReason()
	}
	return fmt.Sprintf("the check could not run: %v", err)
}

// commandEnv describes the deploy to an acceptance command.
func (q *qualifyImpl) commandEnv() map[string]string {
	return map[string]string{
		"TELETRAAN_DEPLOY_ID":   q.in.DeployID,
		"TELETRAAN_BUILD_ID":    q.in.BuildID,
		"TELETRAAN_BUILD_NAME":  q.in.BuildName,
		"TELETRAAN_COMMIT":      q.in.Commit,
		"TELETRAAN_ENV":         q.in.EnvName,
		"TELETRAAN_STAGE":       q.in.StageName,
		"TELETRAAN_DEPLOY_TYPE": q.in.Type,
		"TELETRAAN_OPERATOR":    q.in.Operator,
	}
}
