package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The alerts the operations guide suggests query only metrics the service serves: a
// renamed instrument must not leave an operator with an alert that can never fire.
func TestOperationsGuideQueriesOnlyServedMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```promql\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	if len(blocks) == 0 {
		t.Fatal("docs/operations.md has no promql block")
	}
	metricName := regexp.MustCompile(`\b(teletraan_[a-z0-9_]+|temporal_[a-z0-9_]+|process_[a-z0-9_]+|go_[a-z0-9_]+)\b`)
	var queried []string
	for _, b := range blocks {
		for _, line := range strings.Split(b[1], "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			queried = append(queried, metricName.FindAllString(line, -1)...)
		}
	}

	served := servedMetricNames(t)
	for _, m := range queried {
		if !served[m] && !mayBeAbsentMetrics[m] {
			t.Errorf("docs/operations.md queries %s, which /metrics does not serve", m)
		}
	}
}

// TestAlertRules checks telemetry/alerts.yml with Prometheus's own promtool, and that its
// expressions are exactly the guide's suggested alerts (whose names
// TestOperationsGuideQueriesOnlyServedMetrics checks against a live /metrics), so that the
// file and the page cannot drift apart.
func TestAlertRules(t *testing.T) {
	path := filepath.Join("..", "..", "telemetry", "alerts.yml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert, Expr string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	inFile := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			inFile[strings.TrimSpace(r.Expr)] = true
		}
	}
	guide, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	inGuide := map[string]bool{}
	for _, b := range regexp.MustCompile("(?s)```promql\n(.*?)```").FindAllStringSubmatch(string(guide), -1) {
		for _, line := range strings.Split(b[1], "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				inGuide[line] = true
			}
		}
	}
	for e := range inGuide {
		if !inFile[e] {
			t.Errorf("docs/operations.md suggests %q, which telemetry/alerts.yml lacks", e)
		}
	}
	for e := range inFile {
		if !inGuide[e] {
			t.Errorf("telemetry/alerts.yml has %q, which docs/operations.md does not show", e)
		}
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not installed under CI=true: .ci/run must install the Debian package prometheus")
		}
		t.Skip("promtool not installed (apt-get install prometheus); the rules file's syntax check is skipped")
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules %s: %v\n%s", path, err, out)
	}
}
