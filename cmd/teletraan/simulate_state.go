package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// simulationState is what a simulation keeps between runs: the credentials its hosts were
// issued, without which the service refuses them once bound, as it would a real host.
type simulationState struct {
	Server  string            `json:"server"`
	Secrets map[string]string `json:"secrets"`
}

// defaultStatePath is where a simulation of hosts named prefix against server keeps its
// state unless --state says otherwise.
func defaultStatePath(server, prefix string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a directory for the simulated hosts' credentials (pass --state FILE): %w", err)
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "teletraan", "simulate", u.Host, prefix+".json"), nil
}

// loadSimulationState reads the state at path; a missing file is a first run.
func loadSimulationState(path string) (simulationState, error) {
	var st simulationState
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return simulationState{Secrets: map[string]string{}}, nil
	}
	if err != nil {
		return st, fmt.Errorf("read the simulated hosts' credentials: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("%s is not a simulation state file (%v): remove it, and reset the hosts' identities if they were bound", path, err)
	}
	if st.Secrets == nil {
		st.Secrets = map[string]string{}
	}
	return st, nil
}

// saveSimulationState writes st to path atomically with mode 0600: it holds credentials.
func saveSimulationState(path string, st simulationState) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("keep the simulated hosts' credentials: %w", err)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*")
	if err != nil {
		return fmt.Errorf("keep the simulated hosts' credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("keep the simulated hosts' credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("keep the simulated hosts' credentials: %w", err)
	}
	return nil
}
