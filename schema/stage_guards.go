package schema

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// AlarmPolicy is how a stage's alarms and alerts act on its deploys.
type AlarmPolicy struct {
	// OnFiring is what an acting alarm or alert does to the deploy: core.FiringPause,
	// core.FiringFail (the default) or core.FiringRollback.
	OnFiring string `json:"onFiring"`
	// IntervalSeconds is how often the alarms are checked while hosts are in flight and
	// during a bake (0: core.DefaultAlarmInterval).
	IntervalSeconds int `json:"intervalSeconds"`
	// FailureLimit is how many consecutive firing checks an alarm needs before it acts
	// (0: 1).
	FailureLimit int `json:"failureLimit"`
	// OnInconclusive is what a failed or empty check counts as: core.InconclusiveFiring
	// (the default) or core.InconclusiveIgnore.
	OnInconclusive string `json:"onInconclusive"`
	// HoldRollbacks makes alarms and alerts hold ROLLBACK deploys too; by default a
	// rollback runs while the alarm that asked for it still fires.
	HoldRollbacks bool `json:"holdRollbacks"`
	// Prometheus is where PROMETHEUS alarms query; empty means the worker's default.
	Prometheus PrometheusSource `json:"prometheus"`
	// AlertSecret, when set, lets a caller post alerts with ?secret=<it> (or the header
	// X-Teletraan-Alert-Secret) instead of an ALERTER token. Write-only.
	AlertSecret string `json:"alertSecret"`
	// AlertMaxAgeSeconds is how old a firing alert's startsAt may be and still act
	// (0: 600): a stale alert replayed by a receiver must not roll a stage back.
	AlertMaxAgeSeconds int `json:"alertMaxAgeSeconds"`
}

// PrometheusSource is a Prometheus server and the credentials to ask it with, which are
// write-only.
type PrometheusSource struct {
	URL         string `json:"url"`
	BearerToken string `json:"bearerToken"`
	Username    string `json:"username"`
	Password    string `json:"password"`
}

// Webhook is an HTTP endpoint told about a stage's deploy events.
type Webhook struct {
	// Name identifies the hook in delivery records.
	Name string `json:"name"`
	// URL receives a POST per event.
	URL string `json:"url"`
	// Events are the events it wants (core.WebhookEvents); empty means all.
	Events []string `json:"events"`
	// Format is core.WebhookFormatJSON (the default) or core.WebhookFormatSlack.
	Format string `json:"format"`
	// Headers are sent with every delivery; their values are write-only.
	Headers map[string]string `json:"headers"`
	// Secret signs each body: X-Teletraan-Signature-256: sha256=<hex HMAC-SHA256>. Write-only.
	Secret string `json:"secret"`
	// TimeoutSeconds bounds one attempt (0: 5).
	TimeoutSeconds int `json:"timeoutSeconds"`
}

// MaxWebhooks bounds a stage's webhooks, each delivered on every event.
const MaxWebhooks = 20

// Defaults of an alarm policy's zero fields.
const (
	defaultAlertMaxAge    = 600
	defaultWebhookTimeout = 5
)

// Interval is the policy's check interval in seconds, with the default applied.
func (p AlarmPolicy) Interval() int {
	if p.IntervalSeconds <= 0 {
		return int(core.DefaultAlarmInterval.Seconds())
	}
	return p.IntervalSeconds
}

// AlertMaxAge is how old a firing alert may be and still act, in seconds.
func (p AlarmPolicy) AlertMaxAge() int {
	if p.AlertMaxAgeSeconds <= 0 {
		return defaultAlertMaxAge
	}
	return p.AlertMaxAgeSeconds
}

// Timeout is one delivery attempt's bound in seconds, with the default applied.
func (w Webhook) Timeout() int {
	if w.TimeoutSeconds <= 0 {
		return defaultWebhookTimeout
	}
	return w.TimeoutSeconds
}

func (p *AlarmPolicy) normalize() {
	if p.OnFiring == "" {
		p.OnFiring = core.FiringFail
	}
	if p.OnInconclusive == "" {
		p.OnInconclusive = core.InconclusiveFiring
	}
}

func validateAlarmPolicy(p AlarmPolicy) error {
	switch p.OnFiring {
	case "", core.FiringPause, core.FiringFail, core.FiringRollback:
	default:
		return core.FieldErrorf("alarmPolicy.onFiring", "%q is not a firing policy: use PAUSE, FAIL or ROLLBACK", p.OnFiring)
	}
	if p.OnInconclusive != "" && p.OnInconclusive != core.InconclusiveFiring && p.OnInconclusive != core.InconclusiveIgnore {
		return core.FieldErrorf("alarmPolicy.onInconclusive", "%q is not valid: use FIRING (a failed or empty check counts as firing) or IGNORE", p.OnInconclusive)
	}
	if p.IntervalSeconds < 0 || p.IntervalSeconds > 3600 {
		return core.FieldErrorf("alarmPolicy.intervalSeconds", "must be between 1 and 3600 seconds (0: 15), got %d", p.IntervalSeconds)
	}
	if p.FailureLimit < 0 || p.FailureLimit > 100 {
		return core.FieldErrorf("alarmPolicy.failureLimit", "must be between 1 and 100 consecutive firing checks (0: 1), got %d", p.FailureLimit)
	}
	if p.AlertMaxAgeSeconds < 0 || p.AlertMaxAgeSeconds > 7*24*3600 {
		return core.FieldErrorf("alarmPolicy.alertMaxAgeSeconds", "must be between 1 second and 7 days (0: 600), got %d", p.AlertMaxAgeSeconds)
	}
	if p.Prometheus.URL != "" {
		if err := checkHTTPURL("alarmPolicy.prometheus.url", p.Prometheus.URL); err != nil {
			return err
		}
	}
	if p.Prometheus.BearerToken != "" && (p.Prometheus.Username != "" || p.Prometheus.Password != "") {
		return core.FieldErrorf("alarmPolicy.prometheus", "set a bearerToken or a username and password, not both")
	}
	if p.AlertSecret != "" && len(p.AlertSecret) < 16 {
		return core.FieldErrorf("alarmPolicy.alertSecret", "is %d characters long; use at least 16 random characters", len(p.AlertSecret))
	}
	return nil
}

// validateAlarm checks one alarm of either kind.
func validateAlarm(a Alarm) error {
	// "alarms", not "alarms[i]": clients key form errors by the section; the text says which.
	field := "alarms"
	switch a.Kind {
	case "", core.AlarmKindHTTP:
		if len(a.URL) > 2048 {
			return core.FieldErrorf(field, "url of %q is longer than 2048 characters", a.Name)
		}
		if u, err := url.Parse(a.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return core.FieldErrorf(field, "url of %q is %q: use an absolute http or https URL", a.Name, core.RedactURL(a.URL))
		}
		if a.Query != "" || a.Op != "" {
			return core.FieldErrorf(field, "alarm %q is an HTTP alarm: query and op belong to PROMETHEUS alarms", a.Name)
		}
	case core.AlarmKindPrometheus:
		if strings.TrimSpace(a.Query) == "" || len(a.Query) > 4096 {
			return core.FieldErrorf(field, "PROMETHEUS alarm %q needs a PromQL query of at most 4096 characters", a.Name)
		}
		if a.Op != "" && !slices.Contains(core.AlarmOps(), a.Op) {
			return core.FieldErrorf(field, "op of %q is %q: use one of %s, or leave it out to fire when the query returns any series", a.Name, a.Op, strings.Join(core.AlarmOps(), " "))
		}
		if a.URL != "" {
			return core.FieldErrorf(field, "alarm %q is a PROMETHEUS alarm: set the server in alarmPolicy.prometheus.url, not url", a.Name)
		}
	default:
		return core.FieldErrorf(field, "kind of %q is %q: use HTTP or PROMETHEUS", a.Name, a.Kind)
	}
	return nil
}

func validateWebhooks(hooks []Webhook) error {
	if len(hooks) > MaxWebhooks {
		return core.FieldErrorf("webhooks", "has %d entries; the limit is %d", len(hooks), MaxWebhooks)
	}
	seen := map[string]bool{}
	for i, w := range hooks {
		field := fmt.Sprintf("webhooks[%d]", i)
		if w.Name == "" || len(w.Name) > 128 {
			return core.FieldErrorf(field, "name must be 1-128 characters")
		}
		if seen[w.Name] {
			return core.FieldErrorf(field, "name %q appears twice; webhook names must be unique", w.Name)
		}
		seen[w.Name] = true
		if err := checkHTTPURL(field+".url", w.URL); err != nil {
			return err
		}
		for _, e := range w.Events {
			if !slices.Contains(core.WebhookEvents(), e) {
				return core.FieldErrorf(field+".events", "%q is not an event: use %s", e, strings.Join(core.WebhookEvents(), ", "))
			}
		}
		if w.Format != "" && w.Format != core.WebhookFormatJSON && w.Format != core.WebhookFormatSlack {
			return core.FieldErrorf(field+".format", "%q is not a format: use JSON or SLACK", w.Format)
		}
		if len(w.Headers) > 20 {
			return core.FieldErrorf(field+".headers", "has %d entries; the limit is 20", len(w.Headers))
		}
		for _, k := range sortedKeys(w.Headers) {
			if k == "" || strings.ContainsAny(k, " :\r\n") || http.CanonicalHeaderKey(k) == "Content-Type" || strings.HasPrefix(http.CanonicalHeaderKey(k), "X-Teletraan-") {
				return core.FieldErrorf(field+".headers", "%q cannot be set: header names are tokens without spaces or colons, and Content-Type and X-Teletraan-* are Teletraan's", k)
			}
			if strings.ContainsAny(w.Headers[k], "\r\n") || len(w.Headers[k]) > 4096 {
				return core.FieldErrorf(field+".headers", "value of %q must be one line of at most 4096 bytes", k)
			}
		}
		if w.TimeoutSeconds < 0 || w.TimeoutSeconds > 60 {
			return core.FieldErrorf(field+".timeoutSeconds", "must be between 1 and 60 seconds (0: 5), got %d", w.TimeoutSeconds)
		}
	}
	return nil
}

func checkHTTPURL(field, raw string) error {
	if len(raw) > 2048 {
		return core.FieldErrorf(field, "is longer than 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return core.FieldErrorf(field, "%q is not an absolute http or https URL", core.RedactURL(raw))
	}
	return nil
}

func cloneWebhooks(hooks []Webhook) []Webhook {
	out := slices.Clone(hooks)
	for i := range out {
		out[i].Events = slices.Clone(out[i].Events)
		out[i].Headers = maps.Clone(out[i].Headers)
	}
	return out
}

func normalizeWebhooks(hooks []Webhook) {
	for i := range hooks {
		if hooks[i].Format == "" {
			hooks[i].Format = core.WebhookFormatJSON
		}
		if hooks[i].Events == nil {
			hooks[i].Events = []string{}
		}
		if hooks[i].Headers == nil {
			hooks[i].Headers = map[string]string{}
		}
	}
}

// hide is the marker a write-only value shows as: nothing when unset, and "changed" in a
// history entry whose previous value differs.
func hide(v string, prev *string) string {
	if v == "" || v == core.SecretMarker || v == core.ChangedSecretMarker {
		return v
	}
	if prev != nil && *prev != v {
		return core.ChangedSecretMarker
	}
	return core.SecretMarker
}

// keep is v, or stored when v is a marker a client read and sent back.
func keep(v, stored string) string {
	if v == core.SecretMarker || v == core.ChangedSecretMarker {
		return stored
	}
	return v
}

// keepURL is v, or stored when v is the redacted form of stored.
func keepURL(v, stored string) string {
	if stored != "" && v != stored && v == core.RedactURL(stored) {
		return stored
	}
	return v
}

// redactGuards hides the alarm policy's and the webhooks' secrets in out (a clone).
func redactGuards(out *StageConfig, prev *StageConfig) {
	var pp *AlarmPolicy
	if prev != nil {
		pp = &prev.AlarmPolicy
	}
	p := &out.AlarmPolicy
	p.Prometheus.URL = core.RedactURL(p.Prometheus.URL)
	p.Prometheus.BearerToken = hide(p.Prometheus.BearerToken, field(pp, func(a *AlarmPolicy) string { return a.Prometheus.BearerToken }))
	p.Prometheus.Password = hide(p.Prometheus.Password, field(pp, func(a *AlarmPolicy) string { return a.Prometheus.Password }))
	p.AlertSecret = hide(p.AlertSecret, field(pp, func(a *AlarmPolicy) string { return a.AlertSecret }))
	prevHooks := map[string]Webhook{}
	if prev != nil {
		for _, w := range prev.Webhooks {
			prevHooks[w.Name] = w
		}
	}
	for i := range out.Webhooks {
		w := &out.Webhooks[i]
		old, had := prevHooks[w.Name]
		w.URL = core.RedactURL(w.URL)
		var ps *string
		if prev != nil {
			ps = &old.Secret
		}
		w.Secret = hide(w.Secret, ps)
		for k, v := range w.Headers {
			var ph *string
			if prev != nil {
				ov := ""
				if had {
					ov = old.Headers[k]
				}
				ph = &ov
			}
			w.Headers[k] = hide(v, ph)
		}
	}
}

func field(p *AlarmPolicy, get func(*AlarmPolicy) string) *string {
	if p == nil {
		return nil
	}
	v := get(p)
	return &v
}

// keepGuardSecrets puts back the alarm policy's and webhooks' stored secrets that an
// update sent as their markers.
func keepGuardSecrets(c *StageConfig, stored *StageConfig) {
	p, sp := &c.AlarmPolicy, stored.AlarmPolicy
	p.Prometheus.URL = keepURL(p.Prometheus.URL, sp.Prometheus.URL)
	p.Prometheus.BearerToken = keep(p.Prometheus.BearerToken, sp.Prometheus.BearerToken)
	p.Prometheus.Password = keep(p.Prometheus.Password, sp.Prometheus.Password)
	p.AlertSecret = keep(p.AlertSecret, sp.AlertSecret)
	byName := map[string]Webhook{}
	for _, w := range stored.Webhooks {
		byName[w.Name] = w
	}
	for i := range c.Webhooks {
		w := &c.Webhooks[i]
		old, ok := byName[w.Name]
		if !ok {
			continue
		}
		w.URL = keepURL(w.URL, old.URL)
		w.Secret = keep(w.Secret, old.Secret)
		for k, v := range w.Headers {
			w.Headers[k] = keep(v, old.Headers[k])
		}
	}
}

// GuardSecrets are the alarm policy's and webhooks' secret values, to hide in any text
// kept or shown (a delivery error, an alarm's reason).
func (c *StageConfig) GuardSecrets() []string {
	out := []string{c.AlarmPolicy.Prometheus.BearerToken, c.AlarmPolicy.Prometheus.Password, c.AlarmPolicy.AlertSecret}
	for _, w := range c.Webhooks {
		out = append(out, w.Secret)
		for _, k := range sortedKeys(w.Headers) {
			out = append(out, w.Headers[k])
		}
	}
	return out
}

// AlarmChecks is the stage's alarm list as alarmcheck asks it.
func (c *StageConfig) AlarmChecks() []alarmcheck.Alarm {
	out := make([]alarmcheck.Alarm, len(c.Alarms))
	for i, al := range c.Alarms {
		out[i] = alarmcheck.Alarm{Name: al.Name, Kind: al.Kind, URL: al.URL, Query: al.Query, Op: al.Op, Threshold: al.Threshold}
	}
	return out
}

// Or is the Prometheus the stage's PROMETHEUS alarms ask: this one, or def (the worker's
// or server's default) when the stage names none.
func (p PrometheusSource) Or(def alarmcheck.Prometheus) alarmcheck.Prometheus {
	if p.URL == "" {
		return def
	}
	return alarmcheck.Prometheus{URL: p.URL, BearerToken: p.BearerToken, Username: p.Username, Password: p.Password}
}
