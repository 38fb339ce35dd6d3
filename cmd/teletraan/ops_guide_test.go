package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
