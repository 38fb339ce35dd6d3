package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// alertStore is what alert intake needs of the store.
type alertStore interface {
	// RecordStageAlert stores an alert the stage received.
	RecordStageAlert(ctx context.Context, a *schema.StageAlert) error
	// RecordAlarmCheck stores an alert that acted on a deploy.
	RecordAlarmCheck(ctx context.Context, c *schema.AlarmCheck) error
	// ListStageAlerts lists the stage's latest alerts, newest first.
	ListStageAlerts(ctx context.Context, stageID string, limit int64) ([]schema.StageAlert, error)
	// TagBuild tags a build (markbadbuild tags it BAD).
	TagBuild(ctx context.Context, t *schema.BuildTag) error
}

// maxAlertBody bounds an alert post; Alertmanager groups a few hundred alerts at most.
const maxAlertBody = 1 << 20

// alertSecretHeader carries a stage's alert secret for senders that cannot hold a token.
const alertSecretHeader = "X-Teletraan-Alert-Secret"

// alertSecretOf is the stage secret a request offers (header, or ?secret= for senders
// that can set only a URL, such as Alertmanager's webhook_configs without http_config).
func alertSecretOf(c *gin.Context) string {
	if v := c.GetHeader(alertSecretHeader); v != "" {
		return v
	}
	return c.Query("secret")
}

// alertPost is the body of POST .../alerts: Alertmanager's webhook payload (alerts[]),
// or the minimal form {name, status, summary, startsAt} for one alert. Unknown fields are
// ignored, since Alertmanager adds fields across versions.
type alertPost struct {
	Name     string     `json:"name"`
	Status   string     `json:"status"`
	Summary  string     `json:"summary"`
	StartsAt *time.Time `json:"startsAt"`
	// Alertmanager's payload.
	Version string            `json:"version"`
	Alerts  []alertmanagerOne `json:"alerts"`
}

// alertmanagerOne is one alert of Alertmanager's webhook payload.
type alertmanagerOne struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	Fingerprint string            `json:"fingerprint"`
}

// postedAlert is one alert of a post, whichever form it came in.
type postedAlert struct {
	Name, Status, Summary, Fingerprint string
	StartsAt                           time.Time
}

// alertOutcome is what intake did with one alert, in the answer.
type alertOutcome struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Action   string `json:"action"`
	DeployID string `json:"deployId,omitempty"`
	Why      string `json:"why"`
}

// alertsAnswer is the body of the answer to POST .../alerts.
type alertsAnswer struct {
	Alerts []alertOutcome `json:"alerts"`
}

// parseAlerts reads a post's alerts, or says what is wrong with it.
func parseAlerts(body []byte) ([]postedAlert, error) {
	var p alertPost
	if err := json.Unmarshal(body, &p); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return nil, core.FieldErrorf(ute.Field, "must be a JSON %s, got %s", ute.Type, ute.Value)
		}
		var te *time.ParseError
		if errors.As(err, &te) {
			return nil, core.FieldErrorf("startsAt", "is not an RFC 3339 time: %v", te)
		}
		return nil, core.Errorf(core.EINVALID, "the body is not an Alertmanager webhook payload or {\"name\", \"status\"}: %v", err)
	}
	if len(p.Alerts) > 0 {
		out := make([]postedAlert, 0, len(p.Alerts))
		for i, a := range p.Alerts {
			name := a.Labels["alertname"]
			if name == "" {
				return nil, core.FieldErrorf(fmt.Sprintf("alerts[%d].labels.alertname", i), "is required: it names the alert in the deploy's reason")
			}
			summary := a.Annotations["summary"]
			if summary == "" {
				summary = a.Annotations["description"]
			}
			out = append(out, postedAlert{Name: name, Status: a.Status, Summary: summary, Fingerprint: a.Fingerprint, StartsAt: a.StartsAt})
		}
		return out, nil
	}
	if p.Name == "" {
		return nil, core.FieldErrorf("name", "is required: send {\"name\": ..., \"status\": \"firing\"} or Alertmanager's payload with alerts[]")
	}
	a := postedAlert{Name: p.Name, Status: p.Status, Summary: p.Summary}
	if p.StartsAt != nil {
		a.StartsAt = *p.StartsAt
	}
	return []postedAlert{a}, nil
}

// alertActionOf is what an acting alert does: the post's ?actions= (Teletraan's
// "rollback", and "pause" or "fail"), else the stage's firing policy; markbadbuild is
// reported separately.
func alertActionOf(actions []string, policy string) (action string, markBad bool, err error) {
	action = policy
	for _, a := range actions {
		switch strings.ToLower(a) {
		case "rollback":
			action = core.FiringRollback
		case "pause":
			action = core.FiringPause
		case "fail":
			action = core.FiringFail
		case "markbadbuild":
			markBad = true
		case "":
		default:
			return "", false, core.FieldErrorf("actions", "%q is not an action: use rollback, pause, fail or markbadbuild", a)
		}
	}
	return action, markBad, nil
}

// postAlerts takes alerts for a stage: every alert is recorded; a firing, recent one acts
// on the stage's current deploy by the firing policy (a ROLLBACK deploy only where the
// stage holds rollbacks), and with ?actions=markbadbuild tags its build bad.
func (s *server) postAlerts(c *gin.Context) {
	ctx := c.Request.Context()
	st, err := s.stages.GetStage(ctx, c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	operator := ""
	if name, err := callerName(c); err == nil {
		operator = name // a token, or a person an operator role lets post alerts
	} else {
		want := st.AlarmPolicy.AlertSecret
		if want == "" || subtle.ConstantTimeCompare([]byte(alertSecretOf(c)), []byte(want)) != 1 {
			s.fail(c, core.Errorf(core.EUNAUTHORIZED, "the alert secret is not this stage's: send an ALERTER token, or the secret set in alarmPolicy.alertSecret"))
			return
		}
		operator = "alert-secret:" + st.EnvName + "/" + st.StageName
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxAlertBody+1))
	if err != nil {
		s.fail(c, core.Errorf(core.EINVALID, "read the body: %v", err))
		return
	}
	if len(body) > maxAlertBody {
		s.fail(c, core.Errorf(core.EINVALID, "the body is larger than %d bytes", maxAlertBody))
		return
	}
	alerts, err := parseAlerts(body)
	if err != nil {
		s.fail(c, err)
		return
	}
	action, markBad, err := alertActionOf(strings.FieldsFunc(c.Query("actions"), func(r rune) bool { return r == ' ' || r == ',' }), st.AlarmPolicy.OnFiring)
	if err != nil {
		s.fail(c, err)
		return
	}
	var cur *schema.Deploy
	if st.CurrentDeployID != "" {
		if cur, err = s.deploys.GetDeploy(ctx, st.CurrentDeployID); err != nil {
			s.fail(c, err)
			return
		}
	}
	now := time.Now().UTC()
	maxAge := time.Duration(st.AlarmPolicy.AlertMaxAge()) * time.Second
	answer := alertsAnswer{Alerts: []alertOutcome{}}
	acted := false
	for _, a := range alerts {
		out := alertOutcome{Name: a.Name, Status: a.Status, Action: "none"}
		acts, why := core.AlertActs(a.Status, a.StartsAt, now, maxAge)
		out.Why = why
		switch {
		case !acts:
		case acted:
			out.Why = "firing: the post's first firing alert already acted on the deploy"
		case cur == nil || core.IsFinalState(cur.State):
			out.Why = "firing, but the stage has no deploy in progress to act on"
		case !core.AlarmsHold(cur.Type, st.AlarmPolicy.HoldRollbacks):
			out.Why = fmt.Sprintf("firing, but deploy %s is a ROLLBACK, which alerts do not hold (alarmPolicy.holdRollbacks is false)", cur.ID)
		default:
			if err := s.actOnAlert(ctx, st, cur, a, action, operator); err != nil {
				s.fail(c, err)
				return
			}
			acted = true
			out.Action, out.DeployID = action, cur.ID
			out.Why = fmt.Sprintf("firing: %s deploy %s", strings.ToLower(action), cur.ID)
		}
		if acts && markBad && cur != nil {
			out.Why += "; " + s.markBadBuild(ctx, cur, a, operator)
		}
		rec := &schema.StageAlert{StageID: st.ID, Name: core.CleanText(a.Name), Status: a.Status, Fingerprint: a.Fingerprint,
			Summary: core.CleanText(a.Summary), Action: out.Action + ": " + out.Why, ReceivedAt: now}
		if cur != nil {
			rec.DeployID = cur.ID
		}
		if !a.StartsAt.IsZero() {
			starts := a.StartsAt.UTC()
			rec.StartsAt = &starts
		}
		if err := s.alertStore.RecordStageAlert(ctx, rec); err != nil {
			s.fail(c, err)
			return
		}
		answer.Alerts = append(answer.Alerts, out)
	}
	c.JSON(http.StatusOK, answer)
}

// actOnAlert tells the deploy's workflow and records the acting alert on the deploy.
func (s *server) actOnAlert(ctx context.Context, st *schema.Stage, d *schema.Deploy, a postedAlert, action, operator string) error {
	if s.deployer == nil {
		return core.Errorf(core.EUNAVAILABLE, "this server cannot reach the workflows: the alert was not applied")
	}
	detail := a.Summary
	if detail == "" {
		detail = "no summary given"
	}
	detail = core.CleanText(detail) + " (posted by " + operator + ")"
	if err := s.deployer.AlertDeploy(ctx, d, AlertAction{Alert: a.Name, Detail: detail, Action: action}); err != nil {
		return err
	}
	return s.alertStore.RecordAlarmCheck(ctx, &schema.AlarmCheck{DeployID: d.ID, CheckID: "alert/" + schema.NewID(), Alarm: a.Name,
		Kind: "ALERT", Source: "alert", Outcome: core.AlarmFiring, Reason: detail, Action: action, CheckedAt: time.Now().UTC()})
}

// markBadBuild tags the deploy's build bad (Teletraan's markbadbuild), and says what it did.
func (s *server) markBadBuild(ctx context.Context, d *schema.Deploy, a postedAlert, operator string) string {
	t := &schema.BuildTag{BuildID: d.BuildID, Value: core.TagBad, Operator: operator,
		Comment: core.CleanText(fmt.Sprintf("alert %s on deploy %s: %s", a.Name, d.ID, a.Summary))}
	if len(t.Comment) > 1000 {
		t.Comment = t.Comment[:1000]
	}
	if err := s.alertStore.TagBuild(ctx, t); err != nil {
		return fmt.Sprintf("markbadbuild failed: %v", err)
	}
	return fmt.Sprintf("markbadbuild: build %s tagged BAD, which stops its promotion and makes it no rollback target", d.BuildID)
}

// alertList is the body of GET .../alerts.
type alertList struct {
	Alerts []schema.StageAlert `json:"alerts"`
}

// listAlerts answers the stage's latest alerts, newest first.
func (s *server) listAlerts(c *gin.Context) {
	st, err := s.stages.GetStage(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.alertStore.ListStageAlerts(c.Request.Context(), st.ID, 100)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, alertList{Alerts: list})
}
