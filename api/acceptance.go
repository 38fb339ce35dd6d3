package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// acceptanceBody is the JSON of PUT /v1/deploys/:id/acceptance.
type acceptanceBody struct {
	// Status is ACCEPTED or REJECTED.
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// allowCommandsFlag names the worker flag in refusals.
const allowCommandsFlag = "--allow-acceptance-commands"

// checkCommandAcceptance refuses saving a command acceptance while no worker may run it.
func (s *server) checkCommandAcceptance(ctx context.Context, a *core.Acceptance) error {
	if a == nil || a.Command == nil {
		return nil
	}
	if s.deployer == nil {
		return core.FieldErrorf("acceptance.command", "cannot be checked: this server runs without a workflow layer, so no worker can run it")
	}
	n, err := s.deployer.CommandWorkers(ctx)
	if err != nil {
		return fmt.Errorf("count the workers that run acceptance commands: %w", err)
	}
	if n == 0 {
		return core.FieldErrorf("acceptance.command", "no worker runs acceptance commands: start one with teletraan worker %s (or teletraan dev %s), then save this again", allowCommandsFlag, allowCommandsFlag)
	}
	return nil
}

// giveAcceptance answers PUT /v1/deploys/:id/acceptance: an external verdict on a deploy
// whose stage's acceptance waits for one. It needs an OPERATOR (or ADMIN) token of the
// deploy's environment, like any action on its stage.
func (s *server) giveAcceptance(c *gin.Context) {
	ctx := c.Request.Context()
	var body acceptanceBody
	operator, err := authoredBody(c, &body)
	if err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.deploys.GetDeploy(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	noteAuditTarget(c, d.EnvName, d.StageName)
	if err := authorizeIn(CallerFrom(c), d.EnvName, schema.RoleOperator); err != nil {
		s.fail(c, err)
		return
	}
	status := strings.ToUpper(strings.TrimSpace(body.Status))
	if status != core.AcceptanceAccepted && status != core.AcceptanceRejected {
		s.fail(c, core.FieldErrorf("status", "%q is not a verdict: use ACCEPTED or REJECTED", body.Status))
		return
	}
	if len(body.Reason) > 1024 {
		s.fail(c, core.FieldErrorf("reason", "is %d characters long; the limit is 1024", len(body.Reason)))
		return
	}
	if d.AcceptanceStatus != core.AcceptancePendingAccept {
		s.fail(c, core.Errorf(core.ECONFLICT, "deploy %s is not waiting for a verdict: its acceptance is %s", d.ID,
			core.AcceptanceSummary(d.AcceptanceStatus, d.AcceptanceReason, false)))
		return
	}
	if s.deployer == nil {
		s.fail(c, core.Errorf(core.EUNAVAILABLE, "verdicts cannot be given: this server runs without a workflow layer"))
		return
	}
	if err := s.deployer.GiveAcceptance(ctx, AcceptanceRequest{Deploy: d, Status: status, Reason: body.Reason, Operator: operator}); err != nil {
		s.fail(c, fmt.Errorf("give deploy %s its verdict: %w", d.ID, err))
		return
	}
	// The stage records the verdict once the qualification tells it; answer with the
	// deploy as it stands, which may still read PENDING_ACCEPT for a moment.
	s.respondDeploy(c, d)
}
