package main

import (
	"os"
	"slices"
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

// composeTopology is the part of docker-compose.yml the README's Production section
// describes, decoded with the fields the topology test checks.
type composeTopology struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Restart     string            `yaml:"restart"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		DependsOn map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Deploy struct {
			Replicas int `yaml:"replicas"`
		} `yaml:"deploy"`
	} `yaml:"services"`
}

// TestComposeTopologyMatchesTheREADME checks the topology the README and the operations
// guide claim, since CI cannot run it: MySQL and Temporal with healthchecks, Temporal's
// schema and then the app's migrated once before anything uses them, the UI, server and
// worker replicas that reach MySQL and Temporal by service name and log JSON, and a worker
// count above one so that losing a worker is the normal case the file exercises.
func TestComposeTopologyMatchesTheREADME(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeTopology
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	svc := f.Services
	dependsOn := func(name, dep, condition string) {
		t.Helper()
		if got := svc[name].DependsOn[dep].Condition; got != condition {
			t.Errorf("%s depends on %s with condition %q, want %q", name, dep, got, condition)
		}
	}
	for _, name := range []string{"mysql", "temporal"} {
		if hc := svc[name].Healthcheck; hc == nil || len(hc.Test) == 0 {
			t.Errorf("%s has no healthcheck; the services that wait for it would start at once", name)
		}
	}
	if !strings.HasPrefix(svc["mysql"].Image, "mysql:") {
		t.Errorf("mysql runs %q", svc["mysql"].Image)
	}
	dependsOn("temporal-schema", "mysql", "service_healthy")
	dependsOn("temporal", "temporal-schema", "service_completed_successfully")
	dependsOn("temporal-ui", "temporal", "service_healthy")
	if svc["temporal-ui"].Environment["TEMPORAL_ADDRESS"] != "temporal:7233" {
		t.Errorf("temporal-ui points at %q, want temporal:7233", svc["temporal-ui"].Environment["TEMPORAL_ADDRESS"])
	}

	// Migrations run once, to completion, before any replica starts.
	if m := svc["migrate"]; m.Restart != "no" || m.Build == nil || len(m.Command) == 0 || m.Command[0] != "migrate" {
		t.Errorf("migrate must build the image, run `teletraan migrate` and not restart: %+v", m)
	}
	dependsOn("migrate", "mysql", "service_healthy")
	for _, name := range []string{"server", "worker"} {
		s := svc[name]
		if s.Image != svc["migrate"].Image {
			t.Errorf("%s runs image %q, not the one migrate builds (%q)", name, s.Image, svc["migrate"].Image)
		}
		if len(s.Command) == 0 || s.Command[0] != name {
			t.Errorf("%s runs %v, want teletraan %s", name, s.Command, name)
		}
		dependsOn(name, "migrate", "service_completed_successfully")
		dependsOn(name, "temporal", "service_healthy")
		if s.Restart != "unless-stopped" && s.Restart != "always" {
			t.Errorf("%s restart policy %q: a crashed replica would stay down", name, s.Restart)
		}
		if !slices.Contains(s.Command, "--log-format") || s.Command[slices.Index(s.Command, "--log-format")+1] != "json" {
			t.Errorf("%s logs %v; production replicas log --log-format json", name, s.Command)
		}
		if dsn := s.Environment["TELETRAAN_DB_DSN"]; !strings.Contains(dsn, "@tcp(mysql:3306)/") {
			t.Errorf("%s TELETRAAN_DB_DSN %q does not reach the mysql service", name, dsn)
		}
		if s.Environment["TEMPORAL_ADDRESS"] != "temporal:7233" || s.Environment["TEMPORAL_NAMESPACE"] == "" {
			t.Errorf("%s does not reach Temporal at temporal:7233 in a namespace: %v", name, s.Environment)
		}
		if _, ok := s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]; !ok {
			t.Errorf("%s cannot be pointed at a trace collector: no OTEL_EXPORTER_OTLP_ENDPOINT", name)
		}
	}
	if r := svc["server"].Deploy.Replicas; r < 1 {
		t.Errorf("server replicas = %d", r)
	}
	if r := svc["worker"].Deploy.Replicas; r < 2 {
		t.Errorf("worker replicas = %d, want at least 2", r)
	}
	// The published port is the one the server listens on.
	listenAt := svc["server"].Command[slices.Index(svc["server"].Command, "--listen")+1]
	if !slices.Contains(svc["server"].Ports, "8080:8080") || listenAt != ":8080" {
		t.Errorf("server listens on %s and publishes %v, want :8080 published as 8080:8080", listenAt, svc["server"].Ports)
	}
	if agent := svc["agent"]; len(agent.Command) < 2 || agent.Command[slices.Index(agent.Command, "--server")+1] != "http://server:8080" {
		t.Errorf("the stand-in agents do not ping the server service: %v", agent.Command)
	}
}
