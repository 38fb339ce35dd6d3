package core

import "fmt"

// HostBinding is what the service remembers of who may speak for a host id.
type HostBinding struct {
	// SecretHash is the SHA-256 (hex) of the credential the host's agent holds, once the
	// agent has proved it has it; "" while the host is not bound to a credential.
	SecretHash string
	// PendingHash is the SHA-256 (hex) of a credential issued to the agent and not yet
	// presented back; it becomes SecretHash on the ping that presents it.
	PendingHash string
	// BoundToken is the name of the first token that pinged as the host: an agent that
	// cannot keep a credential (Teletraan's own) is bound to it instead.
	BoundToken string
	// Known says the host id has a row: it pinged before. A ping of an unknown id enrolls
	// a new host, which the API rate-limits per token.
	Known bool
}

// IdentityDecision is what the identity rule makes of one ping.
type IdentityDecision struct {
	// Refusal, when not empty, is why the ping may not speak for the host (403).
	Refusal string
	// BindToken records the ping's token as the host's (the first ping of a host).
	BindToken bool
	// Confirm makes the pending credential the host's: its agent presented it.
	Confirm bool
	// Issue asks for a new pending credential for the agent (it can keep one, and the
	// host is not bound to one yet).
	Issue bool
}

// DecideIdentity is the host identity rule for one ping of hostID by token tokenName,
// presenting presentedHash (the SHA-256 hex of the credential the ping carries, "" for
// none); canBind says the agent can keep a credential. Trust is on first use: the first
// token to ping as a host id claims it, and an agent that can keep a credential is then
// bound to one that only it holds, so another holder of a fleet token cannot speak for it.
//
// Examples: an unbound host pinged by token "fleet" from our agent → bind to "fleet",
// issue a credential; the next ping presenting it → confirm; a later ping without it →
// refused; a ping by token "other" of a host bound to "fleet" → refused.
func DecideIdentity(hostID string, b HostBinding, tokenName, presentedHash string, canBind bool) IdentityDecision {
	switch {
	case b.SecretHash != "":
		if presentedHash == b.SecretHash {
			return IdentityDecision{}
		}
		if presentedHash == "" {
			return IdentityDecision{Refusal: fmt.Sprintf("host %s is bound to the credential its agent holds, and this ping carries none; if the machine was re-imaged, an operator resets its identity (teletraan hosts reset-identity %s)", hostID, hostID)}
		}
		return IdentityDecision{Refusal: fmt.Sprintf("host %s is bound to another credential than this ping's; if the machine was re-imaged, an operator resets its identity (teletraan hosts reset-identity %s)", hostID, hostID)}
	case b.PendingHash != "" && presentedHash == b.PendingHash:
		return IdentityDecision{Confirm: true}
	case b.BoundToken != "" && b.BoundToken != tokenName:
		return IdentityDecision{Refusal: fmt.Sprintf("host %s was claimed by token %q; another token may not speak for it (an operator resets its identity to move it: teletraan hosts reset-identity %s)", hostID, b.BoundToken, hostID)}
	}
	return IdentityDecision{BindToken: b.BoundToken == "", Issue: canBind}
}

// MayReport reports whether the host's report on deploy deployID of a stage counts: only
// a deploy the service gave the host a goal for (its agent row is on it) can be reported
// done or failed. A host cannot claim to serve a deploy it was never told to install.
//
// Examples: agent row on d2, report of d2 → true; agent row on d1 (or none), report of
// d2 → false: the host is told to install d2 instead.
func MayReport(agent *Agent, deployID string) bool {
	return agent != nil && agent.DeployID == deployID
}
