package api

import (
	"context"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// pingStore is what the agent ping path asks of the store: ping.go records a ping and
// decides its goal in one transaction, and the ping hub (ping_longpoll.go) polls for the
// changes that wake held pings.
type pingStore interface {
	RecordAuthorizedPing(ctx context.Context, h schema.PingHost, authorize schema.PingAuthorizer, decide schema.PingDecider) error
	PingChangesSince(ctx context.Context, since time.Time) (schema.PingChanges, error)
	ApplyHostBinding(ctx context.Context, hostID, tokenName string, d core.IdentityDecision, issuedHash string) error
}
