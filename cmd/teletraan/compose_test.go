package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image      string   `yaml:"image"`
	Entrypoint []string `yaml:"entrypoint"`
	Build      *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Expose      []string          `yaml:"expose"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Restart string `yaml:"restart"`
	Deploy  struct {
		Replicas int `yaml:"replicas"`
	} `yaml:"deploy"`
}

// teletraanImages are the images the file builds, by the binary each one's entrypoint runs.
var teletraanImages = map[string]string{"teletraan:local": "teletraan", "teletraan-agent:local": "teletraan-agent"}

// parseTeletraan resolves args as a teletraan subcommand with its flags, as the binary
// would, or reports why it cannot.
func parseTeletraan(args []string) (*cobra.Command, error) {
	root := newRootCommand()
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		return nil, fmt.Errorf("%v is not a teletraan subcommand (%v)", args, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return nil, fmt.Errorf("flags %v: %w", rest, err)
	}
	if extra := cmd.Flags().Args(); len(extra) > 0 && cmd.Args != nil {
		if err := cmd.Args(cmd, extra); err != nil {
			return nil, fmt.Errorf("arguments %v: %w", extra, err)
		}
	}
	return cmd, nil
}

// portOf is the port of a listen address (":8080", "127.0.0.1:9464") or of a URL's host.
func portOf(t *testing.T, addr string) string {
	t.Helper()
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		addr = u.Host
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%q has no port: %v", addr, err)
	}
	return port
}

// TestComposeFileIsConsistent checks docker-compose.yml against the binaries by parsing it
// (CI has no Docker): every teletraan service builds its image from a Dockerfile that
// builds the binary it runs; its command and its healthcheck are real subcommands with real
// flags (a renamed flag fails); it is given only environment variables its command reads
// and the ones it needs; the ports it publishes or exposes are the ones its flags listen
// on, and its healthcheck asks that port; every dependency names a service of the file, and
// a service_healthy one has a healthcheck. The agent's flags are checked by
// cmd/teletraan-agent's TestComposeAgentUsesRealFlags.
func TestComposeFileIsConsistent(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("docker-compose.yml does not parse: %v", err)
	}
	for _, want := range []string{"mysql", "temporal", "temporal-ui", "migrate", "server", "worker", "agent"} {
		if _, ok := f.Services[want]; !ok {
			t.Errorf("service %s missing", want)
		}
	}
	built := map[string]string{} // image → the Dockerfile that builds it
	for name, svc := range f.Services {
		if svc.Build == nil {
			continue
		}
		binary, ok := teletraanImages[svc.Image]
		if !ok {
			t.Errorf("service %s builds image %q, not one of %v", name, svc.Image, teletraanImages)
			continue
		}
		df, err := os.ReadFile(filepath.Join("../..", svc.Build.Context, svc.Build.Dockerfile))
		if err != nil {
			t.Errorf("service %s builds with %s: %v", name, svc.Build.Dockerfile, err)
			continue
		}
		if !strings.Contains(string(df), "./cmd/"+binary+"\n") || !strings.Contains(string(df), `ENTRYPOINT ["/usr/local/bin/`+binary+`"]`) {
			t.Errorf("%s (built by service %s as %s) does not build ./cmd/%s and run it as its entrypoint", svc.Build.Dockerfile, name, svc.Image, binary)
		}
		built[svc.Image] = svc.Build.Dockerfile
	}
	for name, svc := range f.Services {
		for dep, cond := range svc.DependsOn {
			target, ok := f.Services[dep]
			if !ok {
				t.Errorf("service %s depends on unknown service %s", name, dep)
				continue
			}
			if cond.Condition == "service_healthy" && target.Healthcheck == nil {
				t.Errorf("service %s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
			}
		}
		if strings.HasPrefix(svc.Image, "temporalio/server:") && !strings.HasSuffix(svc.Image, ":1.32.1") {
			t.Errorf("service %s runs %s; the embedded dev server and this file should use the same server version 1.32.1", name, svc.Image)
		}
		if binary, ours := teletraanImages[svc.Image]; ours && built[svc.Image] == "" {
			t.Errorf("service %s runs %s, which no service of the file builds", name, svc.Image)
		} else if !ours || binary != "teletraan" {
			continue
		}
		if len(svc.Entrypoint) > 0 {
			t.Errorf("service %s overrides the entrypoint of %s: run another image instead", name, svc.Image)
		}
		cmd, err := parseTeletraan(svc.Command)
		if err != nil {
			t.Errorf("service %s: %v", name, err)
			continue
		}
		for env := range svc.Environment {
			if !envVarReadBy(env, cmd.Name()) {
				t.Errorf("service %s (teletraan %s) sets %s, which teletraan %s does not read", name, cmd.Name(), env, cmd.Name())
			}
		}
		needs := map[string][]string{"server": {"TELETRAAN_DB_DSN", "TEMPORAL_ADDRESS"}, "worker": {"TELETRAAN_DB_DSN", "TEMPORAL_ADDRESS"}, "migrate": {"TELETRAAN_DB_DSN"}}
		for _, env := range needs[cmd.Name()] {
			if svc.Environment[env] == "" {
				t.Errorf("service %s (teletraan %s) lacks %s", name, cmd.Name(), env)
			}
		}
		// The ports it serves, from its flags.
		var listens []string
		for _, flag := range []string{"listen", "metrics-listen"} {
			if fl := cmd.Flags().Lookup(flag); fl != nil && fl.Value.String() != "" {
				listens = append(listens, portOf(t, fl.Value.String()))
			}
		}
		for _, p := range svc.Ports {
			parts := strings.Split(p, ":")
			if container := parts[len(parts)-1]; !slices.Contains(listens, container) {
				t.Errorf("service %s publishes %s, but teletraan %s listens on %v", name, p, cmd.Name(), listens)
			}
		}
		for _, p := range svc.Expose {
			if !slices.Contains(listens, p) {
				t.Errorf("service %s exposes %s, but teletraan %s listens on %v", name, p, cmd.Name(), listens)
			}
		}
		if cmd.Name() == "migrate" {
			continue
		}
		if svc.Healthcheck == nil || len(svc.Healthcheck.Test) < 2 || svc.Healthcheck.Test[0] != "CMD" || svc.Healthcheck.Test[1] != "/usr/local/bin/teletraan" {
			t.Errorf("service %s has no healthcheck running /usr/local/bin/teletraan healthcheck: %+v", name, svc.Healthcheck)
			continue
		}
		hc, err := parseTeletraan(svc.Healthcheck.Test[2:])
		if err != nil || hc.Name() != "healthcheck" {
			t.Errorf("service %s healthcheck %v: %v", name, svc.Healthcheck.Test, err)
			continue
		}
		u := hc.Flags().Lookup("url").Value.String()
		if port := portOf(t, u); !slices.Contains(listens, port) || !strings.HasSuffix(u, "/healthz") {
			t.Errorf("service %s healthcheck asks %s, not the /healthz on a port it listens on (%v)", name, u, listens)
		}
	}
}

// TestDockerfilesBuildSmallNonRootImages checks both Dockerfiles: a Go build stage and a
// small final stage (no Go toolchain), a static binary (CGO off), a non-root user, a
// healthcheck that runs the image's own binary with real flags, and that binary as the
// entrypoint.
func TestDockerfilesBuildSmallNonRootImages(t *testing.T) {
	for file, binary := range map[string]string{"Dockerfile": "teletraan", "Dockerfile.agent": "teletraan-agent"} {
		raw, err := os.ReadFile(filepath.Join("../..", file))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(raw), "\\\n", " ")
		var froms []string
		var user, health, entry string
		for _, line := range strings.Split(text, "\n") {
			word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
			switch word {
			case "FROM":
				froms = append(froms, rest)
				user, health, entry = "", "", "" // what counts is the final stage's
			case "USER":
				user = rest
			case "HEALTHCHECK":
				health = rest
			case "ENTRYPOINT":
				entry = rest
			}
		}
		if len(froms) < 2 || !strings.HasPrefix(froms[0], "golang:") || strings.HasPrefix(froms[len(froms)-1], "golang:") {
			t.Errorf("%s: stages %v; want a golang build stage and a small final stage", file, froms)
		}
		if !strings.Contains(text, "CGO_ENABLED=0 go build") || !strings.Contains(text, "./cmd/"+binary+"\n") {
			t.Errorf("%s does not build ./cmd/%s statically", file, binary)
		}
		if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
			t.Errorf("%s: the final stage runs as %q; want a non-root USER", file, user)
		}
		if entry != `["/usr/local/bin/`+binary+`"]` {
			t.Errorf("%s: ENTRYPOINT %s, want [\"/usr/local/bin/%s\"]", file, entry, binary)
		}
		_, cmdJSON, ok := strings.Cut(health, "CMD ")
		var args []string
		if !ok || json.Unmarshal([]byte(cmdJSON), &args) != nil || len(args) < 2 || args[0] != "/usr/local/bin/"+binary {
			t.Errorf("%s: HEALTHCHECK %q does not run /usr/local/bin/%s", file, health, binary)
			continue
		}
		if binary == "teletraan" {
			if cmd, err := parseTeletraan(args[1:]); err != nil || cmd.Name() != "healthcheck" {
				t.Errorf("%s: HEALTHCHECK %v: %v", file, args, err)
			}
		}
	}
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
	var f composeFile
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
