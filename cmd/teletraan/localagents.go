package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// localAgents runs the dev stack's host agents in-process, each with its own directories
// under the data dir, as if each were a separate machine in the group local-agents.
type localAgents struct {
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// startLocalAgents starts n agents that ping apiURL with a PINGER token of their own.
func startLocalAgents(ctx context.Context, st *schema.Store, dataDir, apiURL string, n int, logger *slog.Logger) (*localAgents, error) {
	secret, err := ensureAgentToken(ctx, st, dataDir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	la := &localAgents{cancel: cancel}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("local-agent-%d", i)
		dir, err := filepath.Abs(filepath.Join(dataDir, "agents", name))
		if err != nil {
			cancel()
			return nil, err
		}
		cfg := agent.DefaultConfig()
		cfg.ServerURL, cfg.Token = apiURL, secret
		cfg.HostID, cfg.HostName, cfg.HostIP = name, name, "127.0.0.1"
		cfg.Groups = []string{localAgentsGroup}
		cfg.AgentVersion = "teletraan-dev"
		cfg.AgentDir, cfg.BuildsDir = filepath.Join(dir, "agent"), filepath.Join(dir, "builds")
		cfg.TargetPattern = filepath.Join(dir, "targets", agent.EnvNamePlaceholder)
		// Local scripts are quick; a laptop user wants to see failures fast.
		cfg.ScriptTimeout = 10 * time.Minute
		cfg.RetryInterval = time.Second
		cfg.MaxRetryInterval = 10 * time.Second
		cfg.Logger = logger.With("agent", name)
		if err := cfg.Validate(); err != nil {
			cancel()
			return nil, fmt.Errorf("configure local agent %s: %w", name, err)
		}
		la.wg.Add(1)
		go func() {
			defer la.wg.Done()
			if err := agent.Run(ctx, cfg); err != nil && ctx.Err() == nil {
				logger.Error("local agent stopped", "agent", name, "error", err)
			}
		}()
	}
	return la, nil
}

// stop stops the agents and waits for them (their running scripts are killed).
func (la *localAgents) stop() {
	la.cancel()
	la.wg.Wait()
}

// ensureAgentToken returns the PINGER token of the local agents, kept like the admin token.
func ensureAgentToken(ctx context.Context, st *schema.Store, dataDir string) (string, error) {
	return ensureSavedToken(ctx, st, dataDir, "agent-token", "local-agents", schema.RolePinger)
}
