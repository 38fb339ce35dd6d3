package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// defaultWebhookBackoff is the first wait between delivery attempts when the worker sets none.
const defaultWebhookBackoff = time.Second

// WebhookTargets lists the webhooks of the deploy's stage that want the event.
func (a *Activities) WebhookTargets(ctx context.Context, in EmitWebhookInput) (WebhookTargetsResult, error) {
	d, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return WebhookTargetsResult{}, permanent(err)
	}
	st, err := a.Store.GetStageByID(ctx, d.StageID)
	if err != nil {
		return WebhookTargetsResult{}, permanent(err)
	}
	backoff := a.WebhookBackoff
	if backoff <= 0 {
		backoff = defaultWebhookBackoff
	}
	out := WebhookTargetsResult{Hooks: []WebhookTarget{}, BackoffMillis: backoff.Milliseconds()}
	for _, w := range st.Webhooks {
		if core.WebhookWants(w.Events, in.Event) {
			out.Hooks = append(out.Hooks, WebhookTarget{Name: w.Name, TimeoutSeconds: w.Timeout()})
		}
	}
	return out, nil
}

// WebhookBody is the JSON a webhook receives (format JSON).
type WebhookBody struct {
	Event      string            `json:"event"`
	DeliveryID string            `json:"deliveryId"`
	SentAt     time.Time         `json:"sentAt"`
	Message    string            `json:"message"`
	Deploy     WebhookDeploy     `json:"deploy"`
	Build      WebhookBuild      `json:"build"`
	Stage      WebhookStage      `json:"stage"`
	Links      map[string]string `json:"links"`
}

// WebhookDeploy is the deploy part of a webhook body.
type WebhookDeploy struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	State       string    `json:"state"`
	Reason      string    `json:"reason"`
	Operator    string    `json:"operator"`
	Description string    `json:"description"`
	StartedAt   time.Time `json:"startedAt"`
}

// WebhookBuild is the build part of a webhook body.
type WebhookBuild struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Commit string `json:"commit"`
	Branch string `json:"branch"`
}

// WebhookStage is the stage part of a webhook body.
type WebhookStage struct {
	Env   string `json:"env"`
	Stage string `json:"stage"`
}

// DeliverWebhook POSTs one event to one hook, signed when the hook has a secret, and
// records the attempt (status, latency, error) on the deploy. A failed attempt returns an
// error, so Temporal retries it with backoff; the workflow never waits on it.
func (a *Activities) DeliverWebhook(ctx context.Context, in DeliverWebhookInput) error {
	d, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return permanent(err)
	}
	st, err := a.Store.GetStageByID(ctx, d.StageID)
	if err != nil {
		return permanent(err)
	}
	var hook *schema.Webhook
	for i := range st.Webhooks {
		if st.Webhooks[i].Name == in.Hook {
			hook = &st.Webhooks[i]
		}
	}
	if hook == nil {
		// Removed since the event: nothing to deliver, and no retry can change that.
		return nil
	}
	b, err := a.Store.GetBuild(ctx, d.BuildID)
	if err != nil {
		return permanent(err)
	}
	body, err := a.webhookBody(in, d, b, st, hook.Format)
	if err != nil {
		return permanent(err)
	}
	attempt := int(activity.GetInfo(ctx).Attempt)
	started := time.Now()
	code, sendErr := a.send(ctx, hook, in, body)
	rec := &schema.WebhookDelivery{ID: fmt.Sprintf("%s#%d", in.DeliveryID, attempt), DeployID: d.ID, Hook: hook.Name, Event: in.Event,
		Attempt: attempt, StatusCode: code, LatencyMS: time.Since(started).Milliseconds(), Delivered: sendErr == nil, AttemptAt: a.now().UTC()}
	if sendErr != nil {
		rec.Error = core.RedactText(sendErr.Error(), st.GuardSecrets())
		if in.MaxAttempts > 0 && attempt >= in.MaxAttempts {
			rec.Error += fmt.Sprintf("; gave up after %d attempts", attempt)
		}
	}
	if err := a.Store.RecordWebhookDelivery(ctx, rec); err != nil {
		return err
	}
	if sendErr != nil {
		return fmt.Errorf("deliver %s to webhook %s: %s", in.Event, hook.Name, rec.Error)
	}
	return nil
}

// send makes one attempt and returns the status code (0 when none came).
func (a *Activities) send(ctx context.Context, hook *schema.Webhook, in DeliverWebhookInput, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(hook.Timeout())*time.Second)
	defer cancel()
	shown := core.RedactURL(hook.URL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%s is not a usable URL", shown)
	}
	for _, k := range sortedHeaderKeys(hook.Headers) {
		req.Header.Set(k, hook.Headers[k])
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Teletraan-Webhook")
	req.Header.Set(core.WebhookEventHeader, in.Event)
	req.Header.Set(core.WebhookDeliveryIDHeader, in.DeliveryID)
	if hook.Secret != "" {
		req.Header.Set(core.WebhookSignatureHeader, core.WebhookSignature(hook.Secret, body))
	}
	client := a.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("POST %s: %v", shown, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("POST %s answered HTTP %d", shown, resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// webhookBody renders the event in the hook's format.
func (a *Activities) webhookBody(in DeliverWebhookInput, d *schema.Deploy, b *schema.Build, st *schema.Stage, format string) ([]byte, error) {
	links := map[string]string{}
	if a.BoardURL != "" {
		base := strings.TrimRight(a.BoardURL, "/")
		links["deploy"] = base + "/deploys/" + url.PathEscape(d.ID)
		links["stage"] = base + "/envs/" + url.PathEscape(st.EnvName) + "/" + url.PathEscape(st.StageName)
	}
	if a.TemporalUIURL != "" && d.WorkflowID != "" {
		ns := a.Namespace
		if ns == "" {
			ns = "default"
		}
		links["temporal"] = strings.TrimRight(a.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(ns) + "/workflows/" + url.PathEscape(d.WorkflowID)
	}
	state := in.State
	if state == "" {
		state = d.State
	}
	secrets := append(st.SecretValues(), st.GuardSecrets()...)
	msg := core.RedactText(in.Message, secrets)
	if format == core.WebhookFormatSlack {
		text := fmt.Sprintf("*%s/%s* %s: deploy %s of build %s (%s) is %s: %s", st.EnvName, st.StageName, in.Event, d.ID, b.ID, d.Type, state, msg)
		if l := links["deploy"]; l != "" {
			text += fmt.Sprintf(" <%s|deploy page>", l)
		}
		if l := links["temporal"]; l != "" {
			text += fmt.Sprintf(" <%s|workflow>", l)
		}
		return json.Marshal(map[string]any{
			"text":   text,
			"blocks": []any{map[string]any{"type": "section", "text": map[string]string{"type": "mrkdwn", "text": text}}},
		})
	}
	return json.Marshal(WebhookBody{
		Event: in.Event, DeliveryID: in.DeliveryID, SentAt: a.now().UTC(), Message: msg,
		Deploy: WebhookDeploy{ID: d.ID, Type: d.Type, State: state, Reason: core.RedactText(d.StateReason, secrets), Operator: d.Operator,
			Description: d.Description, StartedAt: d.CreatedAt},
		Build: WebhookBuild{ID: b.ID, Name: b.Name, Commit: b.Commit, Branch: b.Branch},
		Stage: WebhookStage{Env: st.EnvName, Stage: st.StageName},
		Links: links,
	})
}

func sortedHeaderKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
