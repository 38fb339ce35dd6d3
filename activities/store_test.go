package activities_test

import (
	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// The worker hands the activities a *schema.Store; this breaks the build, not a deploy,
// when the two drift apart.
var _ activities.Store = (*schema.Store)(nil)
