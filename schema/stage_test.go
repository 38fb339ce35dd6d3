package schema_test

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestValidateFailurePolicyAndAlarms(t *testing.T) {
	ok := schema.Alarm{Name: "errors", URL: "https://alarms.example.com/errors"}
	for _, tc := range []struct {
		name      string
		onFailure string
		alarms    []schema.Alarm
		field     string // "" when valid
	}{
		{"defaults", core.FailureWait, nil, ""},
		{"rollback with an alarm", core.FailureRollback, []schema.Alarm{ok, {Name: "p99", URL: "http://127.0.0.1:9/x?y=1"}}, ""},
		{"unknown policy", "retry", nil, "onFailure"},
		{"empty policy", "", nil, "onFailure"},
		{"no name", core.FailureWait, []schema.Alarm{{URL: ok.URL}}, "alarms"},
		{"duplicate name", core.FailureWait, []schema.Alarm{ok, ok}, "alarms"},
		{"ftp url", core.FailureWait, []schema.Alarm{{Name: "a", URL: "ftp://example.com/a"}}, "alarms"},
		{"relative url", core.FailureWait, []schema.Alarm{{Name: "a", URL: "/status"}}, "alarms"},
		{"no host", core.FailureWait, []schema.Alarm{{Name: "a", URL: "http://"}}, "alarms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := schema.DefaultStageConfig("hello", "prod")
			c.OnFailure, c.Alarms = tc.onFailure, tc.alarms
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if core.ErrorCode(err) != core.EINVALID || core.ErrorField(err) != tc.field {
				t.Fatalf("Validate() = %v (field %q), want an error on %s", err, core.ErrorField(err), tc.field)
			}
		})
	}
}
