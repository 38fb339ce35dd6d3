package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Limits of a ping. The body limit is above the API's usual 1 MiB because a host may carry
// many stages, each with an error tail.
const (
	maxPingBodyBytes     = 4 << 20
	maxPingReports       = 100
	maxPingGroups        = 100
	maxErrorMessageBytes = 16 << 10
)

var (
	// pingNameRE matches host ids, host names and groups: what capacities can name.
	pingNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,255}$`)
	// pingIDRE matches stage and deploy ids.
	pingIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// reportStages are the deploy stages an agent may report.
func reportStages() []string {
	return append(protocol.DeployStages(), protocol.StageUnknown, protocol.StageStopping, protocol.StageStopped)
}

// isReportStage reports whether an agent may report stage; a switch, not a list lookup,
// because it runs for every report of every ping.
func isReportStage(stage string) bool {
	switch stage {
	case protocol.StagePreDownload, protocol.StageDownloading, protocol.StagePostDownload, protocol.StageStaging,
		protocol.StagePreRestart, protocol.StageRestarting, protocol.StagePostRestart, protocol.StageServingBuild,
		protocol.StageUnknown, protocol.StageStopping, protocol.StageStopped:
		return true
	}
	return false
}

// isReportStatus reports whether an agent may report status.
func isReportStatus(status string) bool {
	switch status {
	case protocol.StatusSucceeded, protocol.StatusUnknown, protocol.StatusAgentFailed,
		protocol.StatusRetryableAgentFailed, protocol.StatusScriptFailed, protocol.StatusAbortedByService,
		protocol.StatusScriptTimeout, protocol.StatusTooManyRetry, protocol.StatusRuntimeMismatch:
		return true
	}
	return false
}

// reportStatuses are the agent statuses an agent may report.
func reportStatuses() []string {
	return []string{protocol.StatusSucceeded, protocol.StatusUnknown, protocol.StatusAgentFailed,
		protocol.StatusRetryableAgentFailed, protocol.StatusScriptFailed, protocol.StatusAbortedByService,
		protocol.StatusScriptTimeout, protocol.StatusTooManyRetry, protocol.StatusRuntimeMismatch}
}

// ping answers an agent's POST /v1/system/ping with its next goal, and with ?wait=N holds
// a NOOP answer until a goal may exist or N seconds pass.
func (s *server) ping(c *gin.Context) {
	ctx := c.Request.Context()
	since := time.Now()
	refused := func(err error) {
		s.metrics.ObservePing(ctx, "refused", "", time.Since(since))
		s.fail(c, err)
	}
	if _, err := callerName(c); err != nil {
		refused(err)
		return
	}
	token := TokenFrom(c)
	if token == nil {
		// A host speaks with its fleet's token (and its own credential), never as a person.
		refused(core.Errorf(core.EFORBIDDEN, "pings come from host agents with a PINGER token, not from a signed-in person"))
		return
	}
	wait, err := queryWait(c)
	if err != nil {
		refused(err)
		return
	}
	req, err := decodePing(c)
	if err != nil {
		refused(err)
		return
	}
	var (
		identity core.IdentityDecision
		issued   string
		authErr  error
	)
	authorize := func(b core.HostBinding) error {
		identity, issued, authErr = s.checkHostIdentity(c, b, token.Name, req.HostID)
		return authErr
	}
	d, err := s.decidePing(ctx, req, token.Scope, true, authorize)
	if authErr != nil {
		refused(authErr)
		return
	}
	if err != nil {
		s.metrics.ObservePing(ctx, "error", "", time.Since(since))
		s.fail(c, fmt.Errorf("ping of host %s: %w", req.HostID, err))
		return
	}
	outcome, took := "ok", time.Since(since)
	if d.Response.OpCode == protocol.OpNoop && wait > 0 {
		if d, err = s.holdPing(ctx, req, token.Scope, d, since, wait); err != nil {
			s.metrics.ObservePing(ctx, "error", "", took)
			s.fail(c, fmt.Errorf("held ping of host %s: %w", req.HostID, err))
			return
		}
		outcome = "held"
	}
	if err := s.store.ApplyHostBinding(ctx, req.HostID, token.Name, identity, hashSecret(issued)); err != nil {
		// The ping is answered; the credential is issued again on the next one.
		s.logger.Warn("could not record the host's identity", "host", req.HostID, "error", err)
		issued = ""
	}
	d.Response.HostSecret = issued
	s.metrics.ObservePing(ctx, outcome, d.Response.OpCode, took)
	c.JSON(http.StatusOK, d.Response)
}

// checkHostIdentity applies the host identity rule (core.DecideIdentity) to a ping of
// hostID by token tokenName, given who may speak for the host (read with the ping's state).
// It returns the decision to record once the ping is, and a new credential for the agent
// when the rule issues one; a refusal is an EFORBIDDEN error, an enrollment over the
// token's limit ETOOMANY.
func (s *server) checkHostIdentity(c *gin.Context, b core.HostBinding, tokenName, hostID string) (core.IdentityDecision, string, error) {
	presented := strings.TrimSpace(c.GetHeader(protocol.HostSecretHeader))
	d := core.DecideIdentity(hostID, b, tokenName, hashSecret(presented), c.GetHeader(protocol.HostBindingHeader) == "1")
	if d.Refusal != "" {
		return d, "", core.Errorf(core.EFORBIDDEN, "%s", d.Refusal)
	}
	if !b.Known {
		if err := s.enrollments.allow(c, tokenName, hostID); err != nil {
			return d, "", err
		}
	}
	if !d.Issue {
		return d, "", nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return d, "", fmt.Errorf("issue a credential to host %s: %w", hostID, err)
	}
	return d, "th_" + base64.RawURLEncoding.EncodeToString(raw), nil
}

// hashSecret is the stored form of a host credential, as of a token (schema.HashTokenSecret),
// "" for none: only hashes are stored.
func hashSecret(secret string) string {
	if secret == "" {
		return ""
	}
	return schema.HashTokenSecret(secret)
}

// decidePing records the ping and decides its goal in the store's ping transaction.
// recordErrors is false when a held ping decides again: its reports were recorded already.
// scope is the token's environment scope: a token scoped to one environment decides and
// records nothing of another's stages.
//
// authorize (nil for a held ping deciding again) checks the host's identity before anything
// is written.
func (s *server) decidePing(ctx context.Context, req *protocol.PingRequest, scope string, recordErrors bool, authorize schema.PingAuthorizer) (core.GoalDecision, error) {
	host := schema.PingHost{
		ID: req.HostID, Name: req.HostName, IP: req.HostIP, AvailabilityZone: req.AvailabilityZone,
		AgentVersion: req.AgentVersion, Groups: req.Groups,
	}
	for _, r := range req.Reports {
		host.ReportedStageIDs = append(host.ReportedStageIDs, r.EnvID)
	}
	var d core.GoalDecision
	err := s.store.RecordAuthorizedPing(ctx, host, authorize, func(st core.PingState) (core.PingWrites, error) {
		st, reports := scopeToToken(st, req.Reports, scope)
		d = core.DecideGoal(core.GoalInput{HostID: req.HostID, HostName: req.HostName, Reports: reports, State: st})
		if !recordErrors {
			d.Writes.Errors = nil
		}
		return d.Writes, nil
	})
	return d, err
}

// holdPing waits for a wake-up from the router's ping hub and decides again, until a goal
// appears, wait passes (NOOP), or the client goes away.
func (s *server) holdPing(ctx context.Context, req *protocol.PingRequest, scope string, d core.GoalDecision, since time.Time, wait time.Duration) (core.GoalDecision, error) {
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	for {
		if !s.pings.wait(ctx, req.HostID, d.MemberStageIDs, since, timeout.C) {
			return d, nil
		}
		since = time.Now()
		next, err := s.decidePing(ctx, req, scope, false, nil)
		if err != nil {
			return d, err
		}
		d = next
		if d.Response.OpCode != protocol.OpNoop {
			if g := d.Response.DeployGoal; g != nil {
				if at, ok := s.pings.admittedAt(req.HostID, g.DeployID); ok {
					s.metrics.GoalDelivered(ctx, time.Since(at))
				}
			}
			return d, nil
		}
	}
}

// queryWait parses the long-poll parameter; absent means answer at once.
func queryWait(c *gin.Context) (time.Duration, error) {
	v, ok := c.GetQuery(protocol.WaitParam)
	if !ok {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > protocol.MaxWaitSeconds {
		return 0, core.FieldErrorf(protocol.WaitParam, "must be a whole number of seconds from 1 to %d, got %q", protocol.MaxWaitSeconds, v)
	}
	return time.Duration(n) * time.Second, nil
}

// decodePing reads and validates a ping. Unlike the rest of the API it ignores unknown
// fields: Teletraan agents newer than this server send fields it does not know, and
// refusing them would stop their deploys.
func decodePing(c *gin.Context) (*protocol.PingRequest, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxPingBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, core.Errorf(codeTooLarge, "ping body is larger than the limit of %d bytes (4 MiB); send at most %d reports with error tails of at most %d bytes", tooLarge.Limit, maxPingReports, maxErrorMessageBytes)
		}
		return nil, core.Errorf(core.EINVALID, "ping body could not be read: %v", err)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, core.Errorf(core.EINVALID, "ping body is required: send a JSON object with at least hostId")
	}
	req := new(protocol.PingRequest)
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(req); err != nil {
		return nil, describeDecodeError(err, len(body), req)
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return nil, core.Errorf(core.EINVALID, "ping body must hold a single JSON object; more data follows at byte offset %d", len(body)-len(rest))
	}
	return req, validatePing(req)
}

// validatePing checks what the server stores or decides on, and cuts error tails to size.
func validatePing(req *protocol.PingRequest) error {
	if req.HostID == "" {
		return core.FieldErrorf("hostId", "is required: the agent's host id (instance id or host name)")
	}
	if !pingNameRE.MatchString(req.HostID) {
		return core.FieldErrorf("hostId", "%q is not valid: use 1-255 letters, digits, '.', ':', '-' or '_'", req.HostID)
	}
	if req.HostName != "" && !pingNameRE.MatchString(req.HostName) {
		return core.FieldErrorf("hostName", "%q is not valid: use 1-255 letters, digits, '.', ':', '-' or '_'", req.HostName)
	}
	for _, f := range []struct{ field, v string }{{"hostIp", req.HostIP}, {"availabilityZone", req.AvailabilityZone}, {"agentVersion", req.AgentVersion}} {
		if len(f.v) > 64 {
			return core.FieldErrorf(f.field, "is %d bytes long; the limit is 64", len(f.v))
		}
		if err := core.CheckText(f.field, f.v); err != nil {
			return err
		}
	}
	if len(req.Groups) > maxPingGroups {
		return core.FieldErrorf("groups", "lists %d groups; the limit is %d", len(req.Groups), maxPingGroups)
	}
	for i, g := range req.Groups {
		if !pingNameRE.MatchString(g) {
			return core.FieldErrorf(fmt.Sprintf("groups[%d]", i), "%q is not a valid group: use 1-255 letters, digits, '.', ':', '-' or '_'", g)
		}
	}
	if len(req.Reports) > maxPingReports {
		return core.FieldErrorf("reports", "holds %d reports; the limit is %d", len(req.Reports), maxPingReports)
	}
	seen := make(map[string]bool, len(req.Reports))
	for i := range req.Reports {
		r := &req.Reports[i]
		field := func(name string) string { return fmt.Sprintf("reports[%d].%s", i, name) }
		if !pingIDRE.MatchString(r.EnvID) {
			return core.FieldErrorf(field("envId"), "%q is not a stage id (1-64 letters, digits, '-' or '_')", r.EnvID)
		}
		if seen[r.EnvID] {
			return core.FieldErrorf(field("envId"), "stage %s is reported twice; send one report per stage", r.EnvID)
		}
		seen[r.EnvID] = true
		if !pingIDRE.MatchString(r.DeployID) {
			return core.FieldErrorf(field("deployId"), "%q is not a deploy id (1-64 letters, digits, '-' or '_')", r.DeployID)
		}
		if !isReportStage(r.DeployStage) {
			return core.FieldErrorf(field("deployStage"), "%q is not a deploy stage; known: %s", r.DeployStage, strings.Join(reportStages(), ", "))
		}
		if !isReportStatus(r.AgentStatus) {
			return core.FieldErrorf(field("agentStatus"), "%q is not an agent status; known: %s", r.AgentStatus, strings.Join(reportStatuses(), ", "))
		}
		if r.FailCount < 0 {
			return core.FieldErrorf(field("failCount"), "must not be negative, got %d", r.FailCount)
		}
		r.ErrorMessage = errorTail(r.ErrorMessage)
	}
	return nil
}

// errorTail keeps the last maxErrorMessageBytes of a script's output, where the failure
// usually is, as valid UTF-8 without control characters (core.CleanText), so that every
// database keeps it and the board shows it as it is.
func errorTail(msg string) string {
	if len(msg) > maxErrorMessageBytes {
		msg = msg[len(msg)-maxErrorMessageBytes:]
		// Start at a character boundary rather than with half a character.
		for len(msg) > 0 && !utf8.RuneStart(msg[0]) {
			msg = msg[1:]
		}
	}
	return core.CleanText(msg)
}

// scopeToToken keeps of a ping's state and reports only what a token scoped to one
// environment may see: its stages, and the reports on them. A PINGER of environment A can
// then neither read a goal (with its script variables) of B nor change B's agent rows.
// Reports on stages the state does not hold (removed ones) stay, so the agent is told to
// forget them.
func scopeToToken(st core.PingState, reports []protocol.PingReport, scope string) (core.PingState, []protocol.PingReport) {
	if scope == "" || scope == "*" {
		return st, reports
	}
	hidden := map[string]bool{}
	kept := st.Stages[:0:0]
	for _, ps := range st.Stages {
		if ps.Stage.EnvName == scope {
			kept = append(kept, ps)
		} else {
			hidden[ps.Stage.ID] = true
		}
	}
	st.Stages = kept
	var out []protocol.PingReport
	for _, r := range reports {
		if !hidden[r.EnvID] {
			out = append(out, r)
		}
	}
	return st, out
}
