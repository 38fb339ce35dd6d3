// Package core is the deploy core: the domain's value types (deploy types and states, agent
// states, host phases and outcomes, the ping's decision input and output), its errors, and
// every rule of a deploy as a pure function: the goal one ping gets, the phase a host is in,
// the window and admit count of a wave, the success verdict, the rollback target and the
// membership winner rule.
//
// It is its own top-level package, beside schema, workflows, activities, api and board,
// because all of them apply these rules and none of them may own them: the store would
// drag bun into the workflows, the workflows would drag Temporal into the API and the board,
// and a rule kept in the API would be re-implemented by the activities. So core imports
// nothing but the standard library and the agent's wire protocol (agent/protocol, whose
// stage and status enums are the agent's contract and stay there so that the agent binary
// links neither), and does no I/O: no database, no network, no clock of its own.
package core
