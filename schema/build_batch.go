package schema

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// buildsPerQuery bounds the ids of one IN list: far below MySQL's packet size and SQLite's
// variable limit, large enough that a page of builds takes one query.
const buildsPerQuery = 500

// GetBuildsByID reads the builds with the given ids, buildsPerQuery ids to a query, keyed
// by id. Ids that name no build are absent from the map; empty and repeated ids are read
// once or not at all.
func (s *Store) GetBuildsByID(ctx context.Context, ids []string) (map[string]Build, error) {
	out := make(map[string]Build, len(ids))
	for _, chunk := range idChunks(ids, buildsPerQuery) {
		var builds []Build
		if err := s.db.NewSelect().Model(&builds).Where("id IN (?)", bun.In(chunk)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("get %d builds by id (first %s): %w", len(chunk), chunk[0], err)
		}
		for _, b := range builds {
			out[b.ID] = b
		}
	}
	return out, nil
}

// idChunks splits ids into lists of at most size distinct, non-empty ids, keeping the
// order in which each id first appears.
func idChunks(ids []string, size int) [][]string {
	seen := make(map[string]bool, len(ids))
	var out [][]string
	var chunk []string
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		chunk = append(chunk, id)
		if len(chunk) == size {
			out = append(out, chunk)
			chunk = nil
		}
	}
	if len(chunk) > 0 {
		out = append(out, chunk)
	}
	return out
}
