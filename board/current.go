package board

import (
	"context"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// currentDeploy reads the deploy st is on; nil when the stage has never been deployed or
// the read failed. A failed read goes to fail, the page's way of noting a section it could
// not read, because the rest of the page still helps during an incident.
func (b *Board) currentDeploy(ctx context.Context, st *schema.Stage, fail func(what string, err error)) *schema.Deploy {
	if st.CurrentDeployID == "" {
		return nil
	}
	d, err := b.Store.GetDeploy(ctx, st.CurrentDeployID)
	if err != nil {
		fail("read the current deploy", err)
		return nil
	}
	return d
}
