package workflows

// Activity names. The activities package implements them as methods of the same names;
// workflows call them by name so that this package never links the store.
const (
	CreateDeployActivity      = "CreateDeploy"
	SetDeployStateActivity    = "SetDeployState"
	RecordDeployHostsActivity = "RecordDeployHosts"
)

// CreateDeployInput is the input of CreateDeployActivity: insert the deploy row (once, by
// id) and make it the stage's current deploy.
type CreateDeployInput struct {
	DeployID    string
	StageID     string
	EnvName     string
	StageName   string
	BuildID     string
	Type        string
	Description string
	Operator    string
	WorkflowID  string
}

// CreateDeployResult is the output of CreateDeployActivity.
type CreateDeployResult struct {
	// FromBuildID is the build the stage ran before this deploy, "" for a first deploy.
	FromBuildID string
}

// SetDeployStateInput is the input of SetDeployStateActivity.
type SetDeployStateInput struct {
	DeployID string
	State    string
	Reason   string
}

// RecordDeployHostsInput is the input of RecordDeployHostsActivity: count the stage's
// hosts now and record that as the deploy's total.
type RecordDeployHostsInput struct {
	DeployID  string
	EnvName   string
	StageName string
}
