package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Entrypoint  []string          `yaml:"entrypoint"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
}

// TestComposeFileIsConsistent checks docker-compose.yml by parsing it (CI has no Docker):
// every teletraan service runs a real subcommand with real flags and gets the settings that
// subcommand needs, and every dependency names a service of the file.
func TestComposeFileIsConsistent(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	for _, want := range []string{"mysql", "temporal", "temporal-ui", "migrate", "server", "worker"} {
		if _, ok := f.Services[want]; !ok {
			t.Errorf("service %s missing", want)
		}
	}
	for name, svc := range f.Services {
		for dep := range svc.DependsOn {
			if _, ok := f.Services[dep]; !ok {
				t.Errorf("service %s depends on unknown service %s", name, dep)
			}
		}
		if strings.HasPrefix(svc.Image, "temporalio/server:") && !strings.HasSuffix(svc.Image, ":1.32.1") {
			t.Errorf("service %s runs %s; the embedded dev server and this file should use the same server version 1.32.1", name, svc.Image)
		}
		if svc.Image != "teletraan:local" || len(svc.Entrypoint) > 0 {
			continue
		}
		if len(svc.Command) == 0 {
			t.Errorf("service %s has no command", name)
			continue
		}
		root := newRootCommand()
		cmd, rest, err := root.Find(svc.Command)
		if err != nil || cmd == root {
			t.Errorf("service %s: %v is not a teletraan subcommand (%v)", name, svc.Command, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("service %s: flags %v: %v", name, rest, err)
		}
		for _, env := range []string{"TELETRAAN_DB_DSN", "TEMPORAL_ADDRESS"} {
			if cmd.Name() == "migrate" && env == "TEMPORAL_ADDRESS" {
				continue
			}
			if svc.Environment[env] == "" {
				t.Errorf("service %s (teletraan %s) lacks %s", name, cmd.Name(), env)
			}
		}
	}
}
