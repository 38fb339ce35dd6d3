package workflows

import (
	"github.com/teletraan-on-temporal/teletraan/core"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Custom search attributes set on every deploy workflow, so that the Temporal UI and
// ListWorkflow can find deploys by environment, stage, build, type, operator and state.
var (
	EnvKey      = temporal.NewSearchAttributeKeyKeyword("DeployEnv")
	StageKey    = temporal.NewSearchAttributeKeyKeyword("DeployStage")
	BuildKey    = temporal.NewSearchAttributeKeyKeyword("DeployBuild")
	TypeKey     = temporal.NewSearchAttributeKeyKeyword("DeployType")
	OperatorKey = temporal.NewSearchAttributeKeyKeyword("DeployOperator")
	StateKey    = temporal.NewSearchAttributeKeyKeyword("DeployState")
	DeployIDKey = temporal.NewSearchAttributeKeyKeyword("DeployID")
)

// SearchAttributeTypes lists the custom search attributes the namespace must have
// registered before any workflow sets them.
func SearchAttributeTypes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{EnvKey, StageKey, BuildKey, TypeKey, OperatorKey, StateKey, DeployIDKey} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return out
}

// deploySearchAttributes are the attributes a deploy workflow starts with.
func deploySearchAttributes(in DeployInput) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		EnvKey.ValueSet(in.EnvName),
		StageKey.ValueSet(in.StageName),
		BuildKey.ValueSet(in.BuildID),
		TypeKey.ValueSet(in.Type),
		OperatorKey.ValueSet(in.Operator),
		StateKey.ValueSet(core.StateRunning),
		DeployIDKey.ValueSet(in.DeployID),
	)
}
