package api_test

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// The store the commands wire in must keep satisfying every handler group's interface.
var _ api.Store = (*schema.Store)(nil)

func TestNewRouterRefusesANilStore(t *testing.T) {
	for name, store := range map[string]api.Store{"nil": nil, "typed nil": (*schema.Store)(nil)} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewRouter accepted a nil store")
				}
			}()
			api.NewRouter(api.Deps{Store: store})
		})
	}
}
