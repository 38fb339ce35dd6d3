package telemetry_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// scrape returns what the metrics' handler serves.
func scrape(t *testing.T, m *telemetry.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

// wantLines fails t for each of want that body lacks, and then shows body.
func wantLines(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// The outcome counters exist at zero before anything happens, each label takes only its
// fixed values (anything else is "other"), and the histograms are named in seconds.
func TestOutcomeInstrumentsAreBoundedAndStartAtZero(t *testing.T) {
	m, err := telemetry.New()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	wantLines(t, scrape(t, m),
		`teletraan_deploys_started_total{type="ROLLBACK"} 0`,
		`teletraan_alarm_checks_total{result="error"} 0`,
		`teletraan_webhook_deliveries_total{result="gave_up"} 0`,
		`teletraan_promotions_total{outcome="promoted"} 0`,
		`teletraan_qualifications_total{outcome="superseded"} 0`,
	)

	ctx := context.Background()
	m.DeployStarted(ctx, "REGULAR")
	m.DeployStarted(ctx, "web-1") // a caller's mistake must not make a series per value
	m.DeployFinished(ctx, "REGULAR", telemetry.DeployRolledOut, 90*time.Second)
	m.WaveFinished(ctx, "HOTFIX", 3*time.Second)
	m.GoalDelivered(ctx, 120*time.Millisecond)
	m.AlarmChecked(ctx, telemetry.AlarmFiring)
	m.WebhookDelivery(ctx, "HTTP 500 from hooks.example.com")
	m.Promotion(ctx, telemetry.PromotionSkipped)
	m.QualificationFinished(ctx, telemetry.QualificationAccepted, time.Minute)
	body := scrape(t, m)
	wantLines(t, body,
		`teletraan_deploys_started_total{type="REGULAR"} 1`,
		`teletraan_deploys_started_total{type="other"} 1`,
		`teletraan_deploy_duration_seconds_bucket{outcome="succeeded",type="REGULAR",le="120"} 1`,
		`teletraan_wave_duration_seconds_count{type="HOTFIX"} 1`,
		`teletraan_goal_delivery_seconds_bucket{le="0.15"} 1`,
		`teletraan_alarm_checks_total{result="firing"} 1`,
		`teletraan_webhook_deliveries_total{result="other"} 1`,
		`teletraan_promotions_total{outcome="skipped"} 1`,
		`teletraan_qualifications_total{outcome="accepted"} 1`,
		`teletraan_qualification_duration_seconds_count{outcome="accepted"} 1`,
	)
	for _, leaked := range []string{"web-1", "hooks.example.com"} {
		if strings.Contains(body, leaked) {
			t.Errorf("/metrics carries the label value %q", leaked)
		}
	}
}

// A nil *Metrics records nothing and does not panic, so tools and tests need none.
func TestNilMetricsRecordNothing(t *testing.T) {
	var m *telemetry.Metrics
	ctx := context.Background()
	m.DeployStarted(ctx, "REGULAR")
	m.DeployFinished(ctx, "REGULAR", telemetry.DeployAborted, time.Second)
	m.WaveFinished(ctx, "REGULAR", time.Second)
	m.GoalDelivered(ctx, time.Second)
	m.AlarmChecked(ctx, telemetry.AlarmOK)
	m.WebhookDelivery(ctx, telemetry.WebhookDelivered)
	m.Promotion(ctx, telemetry.PromotionPromoted)
	m.QualificationFinished(ctx, telemetry.QualificationRejected, time.Second)
}
