package deployer

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// temporalError turns what the Temporal client returned into a domain error the API maps
// to a status: a refusal keeps the code the stage workflow gave it (see refusalCode), an
// unreachable server or absent worker is "unavailable".
func temporalError(ctx context.Context, st *schema.Stage, what string, err error) error {
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr):
		return core.Errorf(refusalCode(appErr), "stage %s/%s refused the %s: %s", st.EnvName, st.StageName, what, appErr.Message())
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return core.Errorf(core.EUNAVAILABLE, "the stage workflow of %s/%s did not answer in time: is a `teletraan worker` running?", st.EnvName, st.StageName)
	}
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) {
		return core.Errorf(core.EUNAVAILABLE, "Temporal is unreachable: %s", unavailable.Message)
	}
	var deadline *serviceerror.DeadlineExceeded
	if errors.As(err, &deadline) {
		return core.Errorf(core.EUNAVAILABLE, "the stage workflow of %s/%s did not answer in time: is a `teletraan worker` running?", st.EnvName, st.StageName)
	}
	return fmt.Errorf("%s on %s/%s: %w", what, st.EnvName, st.StageName, err)
}

// refusalCode is the core error code of a stage workflow's refusal: the application
// error's type when it is a core code, as the workflows raise their rejections, else
// ECONFLICT, which is what every refusal meant before they carried a code (a validator's
// plain error, a handler's "Rejected", a failed activity).
func refusalCode(appErr *temporal.ApplicationError) string {
	switch t := appErr.Type(); t {
	case core.ECONFLICT, core.EINVALID, core.ENOTFOUND, core.EUNAUTHORIZED, core.EFORBIDDEN, core.EUNAVAILABLE, core.EINTERNAL:
		return t
	}
	return core.ECONFLICT
}
