package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestDeployHostsListsWavesAndOutcomes(t *testing.T) {
	a := newTestAPI(t)
	st := a.createStage("hello", "prod", "")
	ctx := t.Context()
	if err := a.store.CreateDeploy(ctx, &schema.Deploy{ID: "d1", StageID: st.ID, EnvName: "hello", StageName: "prod", BuildID: "b1", Type: core.TypeRegular}); err != nil {
		t.Fatal(err)
	}
	// Before any admission the deploy has no waves: an empty list, not null.
	rec := a.call(http.MethodGet, "/v1/deploys/d1/hosts", "")
	wantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); !strings.Contains(body, `"waves":[]`) || !strings.Contains(body, `"deployId":"d1"`) {
		t.Fatalf("empty deploy = %s", body)
	}
	for _, wave := range [][]string{{"i-2", "i-1"}, {"i-3"}} {
		if err := a.store.AdmitHosts(ctx, st.ID, "d1", wave); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.store.RecordHostOutcomes(ctx, "d1", []schema.HostOutcome{
		{HostID: "i-1", Outcome: core.OutcomeSucceeded},
		{HostID: "i-2", Outcome: core.OutcomeFailed, ErrorMessage: "exit 3"},
		{HostID: "i-9", HostName: "web-9", Joined: true},
	}); err != nil {
		t.Fatal(err)
	}

	rec = a.call(http.MethodGet, "/v1/deploys/d1/hosts", "")
	wantStatus(t, rec, http.StatusOK)
	type host struct {
		HostName     string     `json:"hostName"`
		HostID       string     `json:"hostId"`
		Outcome      *string    `json:"outcome"`
		ErrorMessage *string    `json:"errorMessage"`
		FinishedAt   *time.Time `json:"finishedAt"`
	}
	got := decode[struct {
		DeployID string `json:"deployId"`
		Waves    []struct {
			Wave       int        `json:"wave"`
			AdmittedAt *time.Time `json:"admittedAt"`
			Hosts      []host     `json:"hosts"`
		} `json:"waves"`
	}](t, rec)
	if got.DeployID != "d1" || len(got.Waves) != 3 {
		t.Fatalf("body = %s, want deploy d1 with waves 0, 1 and 2", rec.Body)
	}
	var summary []string
	for _, w := range got.Waves {
		if w.AdmittedAt == nil || w.AdmittedAt.IsZero() {
			t.Errorf("wave %d has no admittedAt: %s", w.Wave, rec.Body)
		}
		for _, h := range w.Hosts {
			if h.Outcome == nil || h.ErrorMessage == nil {
				t.Fatalf("host %s lacks outcome or errorMessage: %s", h.HostName, rec.Body)
			}
			if (h.FinishedAt == nil) != (*h.Outcome == "") {
				t.Errorf("host %s: outcome %q but finishedAt %v", h.HostName, *h.Outcome, h.FinishedAt)
			}
			summary = append(summary, strings.Join([]string{string(rune('0' + w.Wave)), h.HostName, h.HostID, *h.Outcome, *h.ErrorMessage}, "|"))
		}
	}
	want := "0|web-9|i-9|| 1|i-1|i-1|SUCCEEDED| 1|i-2|i-2|FAILED|exit 3 2|i-3|i-3||"
	if s := strings.Join(summary, " "); s != want {
		t.Fatalf("hosts = %q\nwant    %q", s, want)
	}

	wantError(t, a.call(http.MethodGet, "/v1/deploys/nope/hosts", ""), http.StatusNotFound, core.ENOTFOUND, "", "deploy nope does not exist")
}
