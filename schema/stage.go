package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// StageConfig is the part of a stage that users edit: how deploys roll out on it.
type StageConfig struct {
	Description string `bun:"description,notnull" json:"description"`
	// BuildName is the build stream this stage deploys; builds of another name are refused.
	BuildName string `bun:"build_name,notnull" json:"buildName"`
	// Branch is the branch new builds are expected on (auto-promotion and hotfix listings).
	Branch string `bun:"branch,notnull" json:"branch"`
	// MaxParallel caps hosts deploying at once by count (0 = no count cap).
	MaxParallel int `bun:"max_parallel,notnull" json:"maxParallel"`
	// MaxParallelPct caps hosts deploying at once by percent of the stage (0 = no percent cap).
	MaxParallelPct int `bun:"max_parallel_pct,notnull" json:"maxParallelPct"`
	// SuccessThreshold is the percent of hosts that must succeed for a deploy to succeed.
	SuccessThreshold int `bun:"success_threshold,notnull" json:"successThreshold"`
	// StuckTimeoutSeconds is how long a host may make no progress before it counts as failed.
	StuckTimeoutSeconds int `bun:"stuck_timeout_seconds,notnull" json:"stuckTimeoutSeconds"`
	// BakeTimeSeconds is the pause between waves, to let problems show before going wider.
	BakeTimeSeconds int `bun:"bake_time_seconds,notnull" json:"bakeTimeSeconds"`
	// ScriptVariables are exported to the build's lifecycle scripts.
	ScriptVariables map[string]string `bun:"script_variables,type:text,notnull" json:"scriptVariables"`
	// SecretVariables name the script variables whose values are write-only (names or
	// globs such as DB_*); see core.IsSecretVariable for the names that always are.
	SecretVariables []string `bun:"secret_variables,type:text,notnull" json:"secretVariables"`
	// AgentConfigs tune the agent; keys may be stage-prefixed ("RESTARTING.process_timeout").
	AgentConfigs map[string]string `bun:"agent_configs,type:text,notnull" json:"agentConfigs"`
	// OnFailure is what happens when a deploy goes FAILING: core.FailureWait or core.FailureRollback.
	OnFailure string `bun:"on_failure,notnull" json:"onFailure"`
	// Alarms are checked before every wave and while hosts are in flight and during a bake;
	// AlarmPolicy says what an acting one does.
	Alarms []Alarm `bun:"alarms,type:text,notnull" json:"alarms"`
	// AlarmPolicy is how alarms and alerts act on deploys, and the Prometheus they ask.
	AlarmPolicy AlarmPolicy `bun:"alarm_policy,type:text,notnull" json:"alarmPolicy"`
	// Webhooks are told about the stage's deploy events.
	Webhooks []Webhook `bun:"webhooks,type:text,notnull" json:"webhooks"`
	// StageType is Teletraan's stage type (core.StageTypes), sent in every goal; agents
	// export it to scripts as COMPUTE_ENV_TYPE.
	StageType string `bun:"stage_type,notnull" json:"stageType"`
	// Acceptance is what a SUCCEEDING deploy must pass to qualify; nil: no acceptance.
	Acceptance *core.Acceptance `bun:"acceptance,type:text" json:"acceptance,omitempty"`
}

// MaxAlarms bounds a stage's alarms, which are all checked before every wave.
const MaxAlarms = 20

// Alarm says whether something is wrong. An HTTP alarm fires when its URL answers non-2xx,
// or 2xx with the JSON body {"firing": true} (its "reason" shown); a PROMETHEUS alarm runs
// its query and fires when the value compares with the threshold by Op, or, without an
// Op, when the query returns any series.
type Alarm struct {
	// Name identifies the alarm in deploy reasons.
	Name string `json:"name"`
	// Kind is core.AlarmKindHTTP (the default) or core.AlarmKindPrometheus.
	Kind string `json:"kind"`
	// URL is the http or https URL an HTTP alarm GETs.
	URL string `json:"url,omitempty"`
	// Query is a PROMETHEUS alarm's PromQL, with placeholders {{env}}, {{stage}},
	// {{build}} and {{deploy}}.
	Query string `json:"query,omitempty"`
	// Op compares the query's value with Threshold (core.AlarmOps); empty: any series fires.
	Op string `json:"op,omitempty"`
	// Threshold is what Op compares with.
	Threshold float64 `json:"threshold,omitempty"`
}

// Stage is one stage of an environment ("helloworld/prod"): its config, capacity and
// current deploy.
type Stage struct {
	bun.BaseModel `bun:"table:stages"`

	ID        string `bun:"id,pk" json:"id"`
	EnvName   string `bun:"env_name,notnull" json:"envName"`
	StageName string `bun:"stage_name,notnull" json:"stageName"`
	StageConfig
	CurrentDeployID string    `bun:"current_deploy_id,notnull" json:"currentDeployId"`
	LastOperator    string    `bun:"last_operator,notnull" json:"lastOperator"`
	CreatedAt       time.Time `bun:"created_at,notnull" json:"createdAt"`
	UpdatedAt       time.Time `bun:"updated_at,notnull" json:"updatedAt"`
}

// DefaultStageConfig returns the config a new stage of env gets for the fields a creator
// leaves out.
func DefaultStageConfig(env, stage string) StageConfig {
	return StageConfig{
		Description:         fmt.Sprintf("%s stage of %s", stage, env),
		BuildName:           env,
		Branch:              "main",
		MaxParallel:         1,
		SuccessThreshold:    100,
		StuckTimeoutSeconds: 600,
		ScriptVariables:     map[string]string{},
		AgentConfigs:        map[string]string{},
		OnFailure:           core.FailureWait,
		Alarms:              []Alarm{},
		StageType:           core.StageTypeDefault,
	}
}

var (
	nameRE      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	buildNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
	envVarRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	agentKeyRE  = regexp.MustCompile(`^([A-Z_]+\.)?[A-Za-z0-9_.-]{1,128}$`)
)

// ValidateName checks an environment or stage name; field names the JSON field for errors.
func ValidateName(field, name string) error {
	if !nameRE.MatchString(name) {
		return core.FieldErrorf(field, "%q is not a valid name: use 1-64 letters, digits, '-' or '_'", name)
	}
	return nil
}

// agentConfigStages are the prefixes Teletraan accepts on agent config keys.
var agentConfigStages = map[string]bool{
	"PRE_DOWNLOAD": true, "DOWNLOADING": true, "POST_DOWNLOAD": true, "STAGING": true,
	"PRE_RESTART": true, "RESTARTING": true, "POST_RESTART": true, "SERVING_BUILD": true,
	"STOPPING": true, "STOPPED": true,
}

// Validate checks every field and returns the first problem as a field error.
func (c *StageConfig) Validate() error {
	if len(c.Description) > 1024 {
		return core.FieldErrorf("description", "is %d characters long; the limit is 1024", len(c.Description))
	}
	if !buildNameRE.MatchString(c.BuildName) {
		return core.FieldErrorf("buildName", "%q is not a valid build name: use 1-128 letters, digits, '.', '-' or '_'", c.BuildName)
	}
	if len(c.Branch) > 255 {
		return core.FieldErrorf("branch", "is longer than 255 characters")
	}
	if c.MaxParallel < 0 || c.MaxParallel > 100000 {
		return core.FieldErrorf("maxParallel", "must be between 0 and 100000 hosts, got %d", c.MaxParallel)
	}
	if c.MaxParallelPct < 0 || c.MaxParallelPct > 100 {
		return core.FieldErrorf("maxParallelPct", "must be a percent between 0 and 100, got %d", c.MaxParallelPct)
	}
	if c.MaxParallel == 0 && c.MaxParallelPct == 0 {
		return core.FieldErrorf("maxParallel", "set maxParallel (hosts) or maxParallelPct (percent of the stage) above 0, or both")
	}
	if c.SuccessThreshold < 0 || c.SuccessThreshold > 100 {
		return core.FieldErrorf("successThreshold", "must be a percent between 0 and 100, got %d", c.SuccessThreshold)
	}
	if c.StuckTimeoutSeconds < 10 || c.StuckTimeoutSeconds > 7*24*3600 {
		return core.FieldErrorf("stuckTimeoutSeconds", "must be between 10 seconds and 7 days, got %d", c.StuckTimeoutSeconds)
	}
	if c.BakeTimeSeconds < 0 || c.BakeTimeSeconds > 7*24*3600 {
		return core.FieldErrorf("bakeTimeSeconds", "must be between 0 and 7 days, got %d", c.BakeTimeSeconds)
	}
	if len(c.ScriptVariables) > 200 {
		return core.FieldErrorf("scriptVariables", "has %d entries; the limit is 200", len(c.ScriptVariables))
	}
	for _, k := range sortedKeys(c.ScriptVariables) {
		if !envVarRE.MatchString(k) {
			return core.FieldErrorf("scriptVariables", "key %q is not a valid environment variable name (letters, digits, '_', not starting with a digit)", k)
		}
		if len(c.ScriptVariables[k]) > 4096 {
			return core.FieldErrorf("scriptVariables", "value of %q is longer than 4096 bytes", k)
		}
	}
	if len(c.SecretVariables) > 100 {
		return core.FieldErrorf("secretVariables", "has %d entries; the limit is 100", len(c.SecretVariables))
	}
	for i, p := range c.SecretVariables {
		if _, err := path.Match(p, ""); err != nil || p == "" || len(p) > 128 {
			return core.FieldErrorf(fmt.Sprintf("secretVariables[%d]", i), "%q is not a variable name or glob (such as DB_*)", p)
		}
	}
	if len(c.AgentConfigs) > 200 {
		return core.FieldErrorf("agentConfigs", "has %d entries; the limit is 200", len(c.AgentConfigs))
	}
	for _, k := range sortedKeys(c.AgentConfigs) {
		if !agentKeyRE.MatchString(k) {
			return core.FieldErrorf("agentConfigs", "key %q is not valid: use a setting name such as process_timeout, optionally prefixed by a deploy stage (RESTARTING.process_timeout)", k)
		}
		if i := strings.IndexByte(k, '.'); i > 0 && strings.ToUpper(k[:i]) == k[:i] && !agentConfigStages[k[:i]] {
			return core.FieldErrorf("agentConfigs", "key %q has unknown stage prefix %q; known stages: PRE_DOWNLOAD, DOWNLOADING, POST_DOWNLOAD, STAGING, PRE_RESTART, RESTARTING, POST_RESTART, SERVING_BUILD, STOPPING, STOPPED", k, k[:i])
		}
		if len(c.AgentConfigs[k]) > 1024 {
			return core.FieldErrorf("agentConfigs", "value of %q is longer than 1024 bytes", k)
		}
	}
	if c.OnFailure != core.FailureWait && c.OnFailure != core.FailureRollback {
		return core.FieldErrorf("onFailure", "%q is not a failure policy: use WAIT or ROLLBACK", c.OnFailure)
	}
	if !slices.Contains(core.StageTypes(), c.StageType) {
		return core.FieldErrorf("stageType", "%q is not a stage type: use one of %s", c.StageType, strings.Join(core.StageTypes(), ", "))
	}
	if err := c.Acceptance.Validate(); err != nil {
		return err
	}
	if err := validateAlarms(c.Alarms); err != nil {
		return err
	}
	if err := validateAlarmPolicy(c.AlarmPolicy); err != nil {
		return err
	}
	return validateWebhooks(c.Webhooks)
}

// validateAlarms checks the alarm list: few enough to check before every wave, named
// uniquely so that a deploy reason identifies the one firing, and each well formed.
func validateAlarms(alarms []Alarm) error {
	if len(alarms) > MaxAlarms {
		return core.FieldErrorf("alarms", "has %d entries; the limit is %d", len(alarms), MaxAlarms)
	}
	seen := map[string]bool{}
	for i, a := range alarms {
		if a.Name == "" || len(a.Name) > 128 {
			return core.FieldErrorf("alarms", "entry %d: name must be 1-128 characters", i)
		}
		if seen[a.Name] {
			return core.FieldErrorf("alarms", "name %q appears twice; alarm names must be unique", a.Name)
		}
		seen[a.Name] = true
		if err := validateAlarm(a); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cloneConfig copies c so that a change function cannot alter the maps of the original.
func cloneConfig(c StageConfig) StageConfig {
	c.ScriptVariables = maps.Clone(c.ScriptVariables)
	c.AgentConfigs = maps.Clone(c.AgentConfigs)
	c.Alarms = slices.Clone(c.Alarms)
	c.Webhooks = cloneWebhooks(c.Webhooks)
	c.SecretVariables = slices.Clone(c.SecretVariables)
	return c
}

func (c *StageConfig) normalize() {
	if c.ScriptVariables == nil {
		c.ScriptVariables = map[string]string{}
	}
	if c.AgentConfigs == nil {
		c.AgentConfigs = map[string]string{}
	}
	// An empty list, not null, so that the column holds valid JSON and clients get [].
	if c.Alarms == nil {
		c.Alarms = []Alarm{}
	}
	for i := range c.Alarms {
		if c.Alarms[i].Kind == "" {
			c.Alarms[i].Kind = core.AlarmKindHTTP
		}
	}
	if c.Webhooks == nil {
		c.Webhooks = []Webhook{}
	}
	normalizeWebhooks(c.Webhooks)
	c.AlarmPolicy.normalize()
	if c.SecretVariables == nil {
		c.SecretVariables = []string{}
	}
	// Callers that build a config by hand predate the policy; WAIT is what they had.
	if c.OnFailure == "" {
		c.OnFailure = core.FailureWait
	}
	if c.StageType == "" {
		c.StageType = core.StageTypeDefault
	}
	// An acceptance config that checks nothing is no acceptance: store none.
	if !c.Acceptance.HasChecks() {
		c.Acceptance = nil
	}
}

// StageFilter selects stages in ListStages.
type StageFilter struct {
	EnvName string
}

// ListStages returns stages ordered by environment and stage name.
func (s *Store) ListStages(ctx context.Context, f StageFilter) ([]Stage, error) {
	stages := []Stage{}
	q := s.db.NewSelect().Model(&stages).Order("env_name", "stage_name")
	if f.EnvName != "" {
		q = q.Where("env_name = ?", f.EnvName)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list stages: %w", err)
	}
	return stages, nil
}

// GetStage returns the stage env/stage, or an core.ENOTFOUND error.
func (s *Store) GetStage(ctx context.Context, env, stage string) (*Stage, error) {
	return getStage(ctx, s.db, env, stage)
}

func getStage(ctx context.Context, db bun.IDB, env, stage string) (*Stage, error) {
	st := new(Stage)
	err := db.NewSelect().Model(st).Where("env_name = ? AND stage_name = ?", env, stage).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "stage %s/%s does not exist", env, stage)
	}
	if err != nil {
		return nil, fmt.Errorf("get stage %s/%s: %w", env, stage, err)
	}
	return st, nil
}

// GetStageByID returns the stage with the given id, or an core.ENOTFOUND error.
func (s *Store) GetStageByID(ctx context.Context, id string) (*Stage, error) {
	st := new(Stage)
	err := s.db.NewSelect().Model(st).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "stage with id %s does not exist", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get stage %s: %w", id, err)
	}
	return st, nil
}

// CreateStage validates and inserts a new stage, filling its id and timestamps, and records
// the creation in the config history. A duplicate env/stage is an core.ECONFLICT error.
func (s *Store) CreateStage(ctx context.Context, st *Stage, operator string) error {
	if err := ValidateName("envName", st.EnvName); err != nil {
		return err
	}
	if err := ValidateName("stageName", st.StageName); err != nil {
		return err
	}
	st.normalize()
	if err := st.Validate(); err != nil {
		return err
	}
	now := s.now()
	st.ID = NewID()
	st.CreatedAt, st.UpdatedAt = now, now
	st.LastOperator = operator
	st.CurrentDeployID = ""
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		exists, err := tx.NewSelect().Model((*Stage)(nil)).Where("env_name = ? AND stage_name = ?", st.EnvName, st.StageName).Exists(ctx)
		if err != nil {
			return fmt.Errorf("create stage %s/%s: %w", st.EnvName, st.StageName, err)
		}
		if exists {
			return core.Errorf(core.ECONFLICT, "stage %s/%s already exists", st.EnvName, st.StageName)
		}
		if _, err := tx.NewInsert().Model(st).Exec(ctx); err != nil {
			if isDuplicate(err) {
				return core.Errorf(core.ECONFLICT, "stage %s/%s already exists", st.EnvName, st.StageName)
			}
			return fmt.Errorf("create stage %s/%s: %w", st.EnvName, st.StageName, err)
		}
		return recordHistory(ctx, tx, st.ID, HistoryStageCreated, operator, nil, st.StageConfig.Redacted(nil), now)
	})
}

// UpdateStageConfig applies change to the stage's current config, validates the result,
// stores it and records the change. The read, change and write happen in one transaction
// with the row locked, so concurrent updates of different fields do not lose each other.
func (s *Store) UpdateStageConfig(ctx context.Context, env, stage string, change func(*StageConfig), operator string) (*Stage, error) {
	var out *Stage
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		st := new(Stage)
		err := s.forUpdate(tx.NewSelect().Model(st).Where("env_name = ? AND stage_name = ?", env, stage)).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ENOTFOUND, "stage %s/%s does not exist", env, stage)
		}
		if err != nil {
			return fmt.Errorf("get stage %s/%s: %w", env, stage, err)
		}
		before := st.StageConfig
		cfg := cloneConfig(st.StageConfig)
		change(&cfg)
		cfg.normalize()
		if err := cfg.Validate(); err != nil {
			return err
		}
		st.StageConfig = cfg
		st.UpdatedAt = s.now()
		st.LastOperator = operator
		if _, err := tx.NewUpdate().Model(st).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update stage %s/%s: %w", env, stage, err)
		}
		out = st
		// History keeps no secret: only that one was set or changed.
		return recordHistory(ctx, tx, st.ID, HistoryStageConfig, operator, before.Redacted(nil), cfg.Redacted(&before), st.UpdatedAt)
	})
	return out, err
}

// SetCurrentDeploy points the stage at its current deploy.
func (s *Store) SetCurrentDeploy(ctx context.Context, stageID, deployID string) error {
	_, err := s.db.NewUpdate().Model((*Stage)(nil)).
		Set("current_deploy_id = ?", deployID).
		Set("updated_at = ?", s.now()).
		Where("id = ?", stageID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set current deploy of stage %s: %w", stageID, err)
	}
	return nil
}

func isDuplicate(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Duplicate entry") || strings.Contains(msg, "UNIQUE constraint failed")
}

// Ref is the stage as the ping decision reads it, with the values of its secret script
// variables so that the decision can hide them in the output it stores.
func (st *Stage) Ref() core.StageRef {
	return core.StageRef{ID: st.ID, EnvName: st.EnvName, StageName: st.StageName, CurrentDeployID: st.CurrentDeployID,
		StageType: st.StageType, ScriptVariables: st.ScriptVariables, AgentConfigs: st.AgentConfigs, Secrets: st.SecretValues()}
}

// SecretValues are the values of the config's secret script variables, to hide wherever
// text a script wrote is kept or shown.
func (c *StageConfig) SecretValues() []string {
	var out []string
	for _, k := range sortedKeys(c.ScriptVariables) {
		if core.IsSecretVariable(k, c.SecretVariables) && c.ScriptVariables[k] != "" {
			out = append(out, c.ScriptVariables[k])
		}
	}
	return out
}

// Redacted is the config as anyone but an agent may see it: secret script variables'
// values, alarm and webhook URLs' credentials, and the alarm policy's and webhooks'
// secrets (tokens, passwords, HMAC secrets, header values) replaced by core.SecretMarker. Given the config it
// replaced (prev), a secret whose value changed shows as core.ChangedSecretMarker, so that
// a history entry says a secret changed without saying what to.
func (c StageConfig) Redacted(prev *StageConfig) StageConfig {
	out := cloneConfig(c)
	for k, v := range out.ScriptVariables {
		if v == "" || v == core.SecretMarker || v == core.ChangedSecretMarker || !core.IsSecretVariable(k, c.SecretVariables) {
			continue
		}
		out.ScriptVariables[k] = core.SecretMarker
		if prev != nil && prev.ScriptVariables[k] != v {
			out.ScriptVariables[k] = core.ChangedSecretMarker
		}
	}
	for i := range out.Alarms {
		out.Alarms[i].URL = core.RedactURL(out.Alarms[i].URL)
	}
	redactGuards(&out, prev)
	return out
}

// KeepSecrets puts back the stored secrets that an update sent as their markers: a client
// that read the config (where secrets are markers) and sends it back whole must not
// overwrite a password with the word "(secret)". An alarm whose URL is still the redacted
// form of the stored one's keeps the stored URL.
func (c *StageConfig) KeepSecrets(stored *StageConfig) {
	for k, v := range c.ScriptVariables {
		if old, ok := stored.ScriptVariables[k]; ok && (v == core.SecretMarker || v == core.ChangedSecretMarker) {
			c.ScriptVariables[k] = old
		}
	}
	byName := map[string]string{}
	for _, a := range stored.Alarms {
		byName[a.Name] = a.URL
	}
	for i, a := range c.Alarms {
		if old, ok := byName[a.Name]; ok {
			c.Alarms[i].URL = keepURL(a.URL, old)
		}
	}
	keepGuardSecrets(c, stored)
}
