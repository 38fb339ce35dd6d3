package main

import (
	"fmt"
	"os"
	"time"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
)

// guardOptions configure alarms and webhooks on the worker and the server.
type guardOptions struct {
	// prometheus is the default Prometheus of PROMETHEUS alarms ($TELETRAAN_PROMETHEUS_URL,
	// with $TELETRAAN_PROMETHEUS_BEARER_TOKEN).
	prometheus alarmcheck.Prometheus
	// boardURL and temporalUIURL are the links webhook bodies carry ($TELETRAAN_BOARD_URL,
	// $TELETRAAN_TEMPORAL_UI_URL); namespace the Temporal namespace of the latter.
	boardURL, temporalUIURL, namespace string
	// webhookBackoff is the first wait between delivery attempts
	// ($TELETRAAN_WEBHOOK_BACKOFF, default 1s).
	webhookBackoff time.Duration
}

// guardOptionsFromEnv reads the guard options from the environment.
func guardOptionsFromEnv() (guardOptions, error) {
	g := guardOptions{
		prometheus:    alarmcheck.Prometheus{URL: os.Getenv("TELETRAAN_PROMETHEUS_URL"), BearerToken: os.Getenv("TELETRAAN_PROMETHEUS_BEARER_TOKEN")},
		boardURL:      os.Getenv("TELETRAAN_BOARD_URL"),
		temporalUIURL: os.Getenv("TELETRAAN_TEMPORAL_UI_URL"),
	}
	if v := os.Getenv("TELETRAAN_WEBHOOK_BACKOFF"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > time.Hour {
			return g, fmt.Errorf("TELETRAAN_WEBHOOK_BACKOFF=%q: use a duration such as 1s, at most 1h", v)
		}
		g.webhookBackoff = d
	}
	return g, nil
}
