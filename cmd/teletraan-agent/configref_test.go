package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/teletraan-on-temporal/teletraan/agent"
)

// The agent's part of docs/configuration.md, between these markers.
const (
	configReferencePath  = "../../docs/configuration.md"
	configReferenceBegin = "<!-- generated from teletraan-agent's flags: begin -->\n"
	configReferenceEnd   = "<!-- generated from teletraan-agent's flags: end -->\n"
)

// agentConfigReference is the Markdown table of every agent flag, from the flag set itself,
// and the variables the agent reads.
func agentConfigReference() string {
	cfg := agent.DefaultConfig()
	var opts options
	fs := newFlagSet(&cfg, &opts, io.Discard)
	var b strings.Builder
	b.WriteString("| flag | default | meaning |\n|---|---|---|\n")
	fs.VisitAll(func(f *flag.Flag) {
		_, usage := flag.UnquoteUsage(f)
		def := "`" + f.DefValue + "`"
		if f.DefValue == "" || f.DefValue == "false" || f.DefValue == "0" {
			def = ""
		}
		fmt.Fprintf(&b, "| `--%s` | %s | %s |\n", f.Name, def, strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(usage))
	})
	b.WriteString("\n| variable | meaning |\n|---|---|\n")
	b.WriteString("| `TELETRAAN_AGENT_TOKEN` | the agent token when `--token` is not given (keeps it out of the process list) |\n")
	return b.String()
}

// TestConfigurationReferenceIsCurrent fails when docs/configuration.md's agent table is not
// what the agent's flags say; TELETRAAN_UPDATE_DOCS=1 (make docs) rewrites it.
func TestConfigurationReferenceIsCurrent(t *testing.T) {
	raw, err := os.ReadFile(configReferencePath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, configReferenceBegin), strings.Index(doc, configReferenceEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the agent's markers", configReferencePath)
	}
	want := doc[:i+len(configReferenceBegin)] + agentConfigReference() + doc[j:]
	if want == doc {
		return
	}
	if os.Getenv("TELETRAAN_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(configReferencePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/configuration.md's agent table is not what the agent's flags say; regenerate it with make docs")
}

// TestComposeAgentUsesRealFlags parses docker-compose.yml's agent service: its command and
// its healthcheck must be flags this agent has (a renamed flag fails here), and the
// variables it is given must be ones the agent reads.
func TestComposeAgentUsesRealFlags(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	svc, ok := f.Services["agent"]
	if !ok {
		t.Fatal("docker-compose.yml has no agent service")
	}
	parseFlags := func(what string, args []string) {
		cfg := agent.DefaultConfig()
		var opts options
		fs := newFlagSet(&cfg, &opts, io.Discard)
		if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
			t.Errorf("agent %s %v: %v (arguments left: %v)", what, args, err, fs.Args())
		}
	}
	parseFlags("command", svc.Command)
	hc := svc.Healthcheck.Test
	if len(hc) < 3 || hc[0] != "CMD" || hc[1] != "/usr/local/bin/teletraan-agent" {
		t.Fatalf("agent healthcheck %v: want [CMD /usr/local/bin/teletraan-agent --check ...]", hc)
	}
	parseFlags("healthcheck", hc[2:])
	if !strings.Contains(strings.Join(hc, " "), "--check") {
		t.Errorf("agent healthcheck %v does not run --check", hc)
	}
	for name := range svc.Environment {
		if name != "TELETRAAN_AGENT_TOKEN" {
			t.Errorf("the agent service sets %s, which the agent does not read", name)
		}
	}
}
