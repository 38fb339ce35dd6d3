package deployer_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
	"github.com/teletraan-on-temporal/teletraan/temporal/deployer"
)

// TestRefusalStatus follows a stage workflow's refusal from the Temporal client to the
// HTTP answer: the refusal's core code picks the status, and a refusal without one is a
// conflict as it always was.
func TestRefusalStatus(t *testing.T) {
	fc := temporal.GetDefaultFailureConverter()
	for _, tc := range []struct {
		name   string
		action string
		// refusal is what the workflow's validator or handler returned.
		refusal error
		status  int
		code    string
	}{
		{"invalid", "pause", temporal.NewNonRetryableApplicationError("operator is required", core.EINVALID, nil), http.StatusBadRequest, core.EINVALID},
		{"conflict", "resume", temporal.NewNonRetryableApplicationError("deploy d1 is not paused", core.ECONFLICT, nil), http.StatusConflict, core.ECONFLICT},
		{"plain validator error", "abort", errors.New("deploy d1 is being aborted already"), http.StatusConflict, core.ECONFLICT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := schematest.SQLite(t)
			secret, _, err := st.CreateToken(t.Context(), schema.TokenSpec{Name: "alice", Role: schema.RoleAdmin})
			if err != nil {
				t.Fatal(err)
			}
			stage := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
			if err := st.CreateStage(t.Context(), stage, "alice"); err != nil {
				t.Fatal(err)
			}
			// The client hands back the failure as it decoded it from the server.
			handle := mocks.NewWorkflowUpdateHandle(t)
			handle.On("Get", mock.Anything, mock.Anything).Return(fc.FailureToError(fc.ErrorToFailure(tc.refusal)))
			c := mocks.NewClient(t)
			c.On("UpdateWorkflow", mock.Anything, mock.Anything).Return(handle, nil)
			engine := api.NewRouter(api.Deps{
				Store: st, Deployer: &deployer.Deployer{Client: c, Store: st},
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			})

			req := httptest.NewRequest(http.MethodPost, "/v1/envs/hello/prod/actions/"+tc.action, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			rec := httptest.NewRecorder()
			engine.ServeHTTP(rec, req)

			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d; body: %s", rec.Code, tc.status, rec.Body)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != tc.code || !strings.Contains(body.Error.Message, "stage hello/prod refused the "+tc.action) {
				t.Errorf("error = %+v, want code %s and the stage's refusal", body.Error, tc.code)
			}
		})
	}
}
