package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// FuzzAlerts sends arbitrary bodies to POST /v1/envs/hello/prod/alerts as an ALERTER, over
// HTTP against a SQLite store; the seeds are in testdata/fuzz/FuzzAlerts. A refusal is a
// 4xx that says what is wrong (naming the field of a well-formed object); an acceptance
// answers one outcome per alert, and, with no deploy on the stage, acts on nothing and
// records every alert it answered.
func FuzzAlerts(f *testing.F) {
	a := newFuzzAPI(f, schema.RoleAlerter)
	admin := newFuzzAPIOn(f, a.store, schema.RoleAdmin)
	if rec := admin.send(http.MethodPost, "/v1/envs", []byte(`{"envName":"hello","stageName":"prod"}`)); rec.Code != http.StatusCreated {
		f.Fatalf("create the stage: %d %s", rec.Code, rec.Body)
	}
	st, err := a.store.GetStage(f.Context(), "hello", "prod")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before, err := a.store.ListStageAlerts(t.Context(), st.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		rec := a.send(http.MethodPost, "/v1/envs/hello/prod/alerts", body)
		if !checkAnswer(t, "alerts", body, rec, http.StatusOK) {
			return
		}
		var out struct {
			Alerts []struct{ Name, Action, Why string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Alerts) == 0 {
			t.Fatalf("accepted %q with an answer that lists no alert: %s", body, rec.Body)
		}
		for _, o := range out.Alerts {
			if o.Action != "none" || o.Why == "" {
				t.Fatalf("alert %+v acted on a stage without a deploy, or without saying why", o)
			}
		}
		after, err := a.store.ListStageAlerts(t.Context(), st.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(after)-len(before) != len(out.Alerts) && len(after) < 1000 {
			t.Fatalf("%d alerts answered, %d recorded", len(out.Alerts), len(after)-len(before))
		}
	})
}
