package schema

import (
	"context"
	"fmt"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// DeployAdmissions returns the hosts of a stage that deploy deployID has admitted and that
// no newer deploy has admitted since, ordered by host id. The deploy workflow's activities
// read them to tell admitted hosts from hosts still waiting for a slot.
func (s *Store) DeployAdmissions(ctx context.Context, stageID, deployID string) ([]HostAdmission, error) {
	if stageID == "" || deployID == "" {
		return nil, core.Errorf(core.EINVALID, "deploy admissions: stage id and deploy id are required (got stage %q, deploy %q)", stageID, deployID)
	}
	out := []HostAdmission{}
	err := s.db.NewSelect().Model(&out).Where("stage_id = ? AND deploy_id = ?", stageID, deployID).Order("host_id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read admissions of deploy %s in stage %s: %w", deployID, stageID, err)
	}
	return out, nil
}
