package agent

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// stageSettings are the knobs of one stage run: the local Config, overridden by the
// goal's agentConfigs (the server has already stripped "<STAGE>." prefixes, §2.6), so
// that an environment can, say, give RESTARTING a longer timeout than the host default.
type stageSettings struct {
	target           string
	scriptTimeout    time.Duration
	maxRetries       int
	buildsToRetain   int
	retryInterval    time.Duration
	maxRetryInterval time.Duration
	terminationGrace time.Duration
}

// Agent config keys understood in agentConfigs; the names are Teletraan's.
const (
	keyProcessTimeout     = "process_timeout"
	keyMaxRetry           = "max_retry"
	keyNumBuildsToRetain  = "num_builds_to_retain"
	keyTarget             = "target"
	keyProcessWait        = "process_wait_interval"
	keyMaxSleepInterval   = "max_sleep_interval"
	keyTerminationTimeout = "termination_timeout"
)

// settingsFor applies overrides; an unusable value fails the stage rather than being
// ignored, because a silently ignored timeout is worse than a visible AGENT_FAILED.
func (c *Config) settingsFor(env string, overrides map[string]string) (stageSettings, error) {
	s := stageSettings{
		target:           c.targetFor(env),
		scriptTimeout:    c.ScriptTimeout,
		maxRetries:       c.MaxRetries,
		buildsToRetain:   c.BuildsToRetain,
		retryInterval:    c.RetryInterval,
		maxRetryInterval: c.MaxRetryInterval,
		terminationGrace: c.TerminationGrace,
	}
	seconds := map[string]*time.Duration{
		keyProcessTimeout: &s.scriptTimeout, keyProcessWait: &s.retryInterval,
		keyMaxSleepInterval: &s.maxRetryInterval, keyTerminationTimeout: &s.terminationGrace,
	}
	counts := map[string]*int{keyMaxRetry: &s.maxRetries, keyNumBuildsToRetain: &s.buildsToRetain}
	for key, value := range overrides {
		if d, ok := seconds[key]; ok {
			n, err := strconv.ParseFloat(value, 64)
			if err != nil || n <= 0 {
				return s, fmt.Errorf("agent config %s=%q: want a positive number of seconds", key, value)
			}
			*d = time.Duration(n * float64(time.Second))
		}
		if p, ok := counts[key]; ok {
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 {
				return s, fmt.Errorf("agent config %s=%q: want a whole number of at least 1", key, value)
			}
			*p = n
		}
	}
	if t, ok := overrides[keyTarget]; ok {
		if !filepath.IsAbs(t) {
			return s, fmt.Errorf("agent config %s=%q: want an absolute path", keyTarget, t)
		}
		s.target = filepath.Clean(t)
	}
	return s, nil
}
