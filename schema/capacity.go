package schema

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// Capacity is the set of hosts a stage deploys to: hosts named one by one and hosts that
// report membership of a group.
type Capacity struct {
	Hosts  []string `json:"hosts"`
	Groups []string `json:"groups"`
}

type stageHost struct {
	bun.BaseModel `bun:"table:stage_hosts"`
	StageID       string `bun:"stage_id,pk"`
	HostName      string `bun:"host_name,pk"`
}

type stageGroup struct {
	bun.BaseModel `bun:"table:stage_groups"`
	StageID       string `bun:"stage_id,pk"`
	GroupName     string `bun:"group_name,pk"`
}

var hostNameRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,255}$`)

// normalize sorts, de-duplicates and validates the capacity lists.
func (c *Capacity) normalize() error {
	clean := func(field string, in []string) ([]string, error) {
		seen := map[string]bool{}
		out := []string{}
		for _, v := range in {
			v = strings.TrimSpace(v)
			if !hostNameRE.MatchString(v) {
				return nil, core.FieldErrorf(field, "%q is not a valid name: use 1-255 letters, digits, '.', ':', '-' or '_'", v)
			}
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
		sort.Strings(out)
		return out, nil
	}
	var err error
	if c.Hosts, err = clean("hosts", c.Hosts); err != nil {
		return err
	}
	c.Groups, err = clean("groups", c.Groups)
	return err
}

// GetCapacity returns the hosts and groups of a stage.
func (s *Store) GetCapacity(ctx context.Context, env, stage string) (Capacity, error) {
	st, err := s.GetStage(ctx, env, stage)
	if err != nil {
		return Capacity{}, err
	}
	return getCapacity(ctx, s.db, st.ID)
}

func getCapacity(ctx context.Context, db bun.IDB, stageID string) (Capacity, error) {
	c := Capacity{Hosts: []string{}, Groups: []string{}}
	if err := db.NewSelect().Model((*stageHost)(nil)).Column("host_name").Where("stage_id = ?", stageID).Order("host_name").Scan(ctx, &c.Hosts); err != nil {
		return c, fmt.Errorf("read capacity hosts: %w", err)
	}
	if err := db.NewSelect().Model((*stageGroup)(nil)).Column("group_name").Where("stage_id = ?", stageID).Order("group_name").Scan(ctx, &c.Groups); err != nil {
		return c, fmt.Errorf("read capacity groups: %w", err)
	}
	return c, nil
}

// SetCapacity replaces a stage's hosts and groups. As in Teletraan a host or group belongs to
// at most one stage of an environment, so claiming one that another stage of the same
// environment holds is an core.ECONFLICT error naming that stage.
func (s *Store) SetCapacity(ctx context.Context, env, stage string, c Capacity, operator string) (Capacity, error) {
	if err := c.normalize(); err != nil {
		return Capacity{}, err
	}
	if len(c.Hosts)+len(c.Groups) > 100000 {
		return Capacity{}, core.FieldErrorf("hosts", "capacity lists %d entries; the limit is 100000", len(c.Hosts)+len(c.Groups))
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		st, err := getStage(ctx, tx, env, stage)
		if err != nil {
			return err
		}
		if err := checkCapacityOwners(ctx, tx, st, c); err != nil {
			return err
		}
		before, err := getCapacity(ctx, tx, st.ID)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*stageHost)(nil)).Where("stage_id = ?", st.ID).Exec(ctx); err != nil {
			return fmt.Errorf("replace capacity of %s/%s: %w", env, stage, err)
		}
		if _, err := tx.NewDelete().Model((*stageGroup)(nil)).Where("stage_id = ?", st.ID).Exec(ctx); err != nil {
			return fmt.Errorf("replace capacity of %s/%s: %w", env, stage, err)
		}
		for _, chunk := range chunks(c.Hosts, 500) {
			rows := make([]stageHost, len(chunk))
			for i, h := range chunk {
				rows[i] = stageHost{StageID: st.ID, HostName: h}
			}
			if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return fmt.Errorf("replace capacity of %s/%s: %w", env, stage, err)
			}
		}
		for _, chunk := range chunks(c.Groups, 500) {
			rows := make([]stageGroup, len(chunk))
			for i, g := range chunk {
				rows[i] = stageGroup{StageID: st.ID, GroupName: g}
			}
			if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return fmt.Errorf("replace capacity of %s/%s: %w", env, stage, err)
			}
		}
		return recordHistory(ctx, tx, st.ID, HistoryCapacity, operator, before, c, s.now())
	})
	if err != nil {
		return Capacity{}, err
	}
	return c, nil
}

func checkCapacityOwners(ctx context.Context, tx bun.IDB, st *Stage, c Capacity) error {
	type owner struct {
		Name      string `bun:"name"`
		StageName string `bun:"stage_name"`
	}
	if len(c.Hosts) > 0 {
		for _, chunk := range chunks(c.Hosts, 500) {
			var owners []owner
			err := tx.NewSelect().TableExpr("stage_hosts AS sh").
				ColumnExpr("sh.host_name AS name, s.stage_name AS stage_name").
				Join("JOIN stages AS s ON s.id = sh.stage_id").
				Where("s.env_name = ? AND s.id <> ?", st.EnvName, st.ID).
				Where("sh.host_name IN (?)", bun.In(chunk)).
				Order("sh.host_name").Limit(1).Scan(ctx, &owners)
			if err != nil {
				return fmt.Errorf("check capacity owners: %w", err)
			}
			if len(owners) > 0 {
				return &core.Error{Code: core.ECONFLICT, Field: "hosts", Message: fmt.Sprintf("host %s already belongs to stage %s/%s; a host serves one stage per environment: remove it there first", owners[0].Name, st.EnvName, owners[0].StageName)}
			}
		}
	}
	for _, chunk := range chunks(c.Groups, 500) {
		var owners []owner
		err := tx.NewSelect().TableExpr("stage_groups AS sg").
			ColumnExpr("sg.group_name AS name, s.stage_name AS stage_name").
			Join("JOIN stages AS s ON s.id = sg.stage_id").
			Where("s.env_name = ? AND s.id <> ?", st.EnvName, st.ID).
			Where("sg.group_name IN (?)", bun.In(chunk)).
			Order("sg.group_name").Limit(1).Scan(ctx, &owners)
		if err != nil {
			return fmt.Errorf("check capacity owners: %w", err)
		}
		if len(owners) > 0 {
			return &core.Error{Code: core.ECONFLICT, Field: "groups", Message: fmt.Sprintf("group %s already belongs to stage %s/%s; a group serves one stage per environment: remove it there first", owners[0].Name, st.EnvName, owners[0].StageName)}
		}
	}
	return nil
}

func chunks(in []string, n int) [][]string {
	var out [][]string
	for len(in) > 0 {
		k := min(n, len(in))
		out = append(out, in[:k])
		in = in[k:]
	}
	return out
}
