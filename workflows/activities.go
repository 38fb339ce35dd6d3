package workflows

import "github.com/teletraan-on-temporal/teletraan/activities"

// acts is never dereferenced: the workflows take its method values (acts.StartRollout,
// ...) for workflow.ExecuteActivity, so that the compiler checks each activity's name,
// input and output, and the SDK names the activity after the method, as the worker
// registers it.
var acts *activities.Activities

// runner is acts' counterpart for the command acceptance, which only workers allowed to
// run commands register (activities.CommandTaskQueue).
var runner *activities.CommandRunner
