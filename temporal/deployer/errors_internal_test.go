package deployer

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// throughTheWire sends err the way an Update's failure travels from the worker to the
// client, so that the tests see what the client's caller sees.
func throughTheWire(err error) error {
	fc := temporal.GetDefaultFailureConverter()
	return fc.FailureToError(fc.ErrorToFailure(err))
}

func TestRefusalCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"conflict", temporal.NewNonRetryableApplicationError("a HOTFIX deploy is running", core.ECONFLICT, nil), core.ECONFLICT},
		{"invalid", temporal.NewNonRetryableApplicationError("operator is required", core.EINVALID, nil), core.EINVALID},
		{"retryable invalid", temporal.NewApplicationError("build id is required", core.EINVALID), core.EINVALID},
		{"not found", temporal.NewApplicationError("no such deploy", core.ENOTFOUND), core.ENOTFOUND},
		{"forbidden", temporal.NewApplicationError("not yours", core.EFORBIDDEN), core.EFORBIDDEN},
		{"unavailable", temporal.NewApplicationError("later", core.EUNAVAILABLE), core.EUNAVAILABLE},
		// A validator's plain error arrives as an application error without a type.
		{"plain validator error", errors.New("nothing to pause"), core.ECONFLICT},
		{"formatted validator error", fmt.Errorf("deploy type %q is bad", "X"), core.ECONFLICT},
		{"wrapped handler error", fmt.Errorf("record deploy d1: %w", errors.New("db down")), core.ECONFLICT},
		// What the workflows raised before their refusals carried a code.
		{"old Rejected type", temporal.NewNonRetryableApplicationError("deploy d1 is paused already", "Rejected", nil), core.ECONFLICT},
		{"activity error type", temporal.NewNonRetryableApplicationError("no stage s", "NotFound", nil), core.ECONFLICT},
		{"case matters", temporal.NewApplicationError("x", "INVALID"), core.ECONFLICT},
	} {
		var appErr *temporal.ApplicationError
		if !errors.As(throughTheWire(tc.err), &appErr) {
			t.Fatalf("%s: %v did not arrive as an application error", tc.name, tc.err)
		}
		if got := refusalCode(appErr); got != tc.want {
			t.Errorf("%s: refusalCode(type %q) = %q, want %q", tc.name, appErr.Type(), got, tc.want)
		}
	}
}

func TestTemporalErrorKeepsTheRefusalsCode(t *testing.T) {
	st := &schema.Stage{EnvName: "hello", StageName: "prod"}
	err := temporalError(context.Background(), st, "pause", throughTheWire(temporal.NewNonRetryableApplicationError("operator is required", core.EINVALID, nil)))
	var e *core.Error
	if !errors.As(err, &e) || e.Code != core.EINVALID || e.Message != "stage hello/prod refused the pause: operator is required" {
		t.Errorf("temporalError = %#v, want EINVALID with the workflow's message", err)
	}
}
