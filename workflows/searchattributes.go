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
	// AcceptanceKey is a qualification workflow's verdict: PENDING_ACCEPT while it runs,
	// then ACCEPTED, REJECTED or SUPERSEDED.
	AcceptanceKey = temporal.NewSearchAttributeKeyKeyword("DeployAcceptance")
)

// SearchAttributeTypes lists the custom search attributes the namespace must have
// registered before any workflow sets them.
func SearchAttributeTypes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{EnvKey, StageKey, BuildKey, TypeKey, OperatorKey, StateKey, DeployIDKey, AcceptanceKey} {
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

// qualifySearchAttributes are the attributes a qualification workflow starts with: its
// deploy's, and its verdict, pending.
func qualifySearchAttributes(in QualifyInput) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		EnvKey.ValueSet(in.EnvName),
		StageKey.ValueSet(in.StageName),
		BuildKey.ValueSet(in.BuildID),
		TypeKey.ValueSet(in.Type),
		OperatorKey.ValueSet(in.Operator),
		DeployIDKey.ValueSet(in.DeployID),
		AcceptanceKey.ValueSet(core.AcceptancePendingAccept),
	)
}
