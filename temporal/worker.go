package temporal

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// Registrar registers workflows and activities on a worker; it lets callers
// plug in their registrations without this package importing theirs.
type Registrar func(w worker.Registry)

// NewWorker creates a worker on workflows.TaskQueue and lets register populate it.
// The caller starts and stops the worker.
func NewWorker(c client.Client, register Registrar, opts worker.Options) worker.Worker {
	w := worker.New(c, workflows.TaskQueue, opts)
	if register != nil {
		register(w)
	}
	return w
}
