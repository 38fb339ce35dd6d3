package schema

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// maxTagComment bounds a build tag's comment.
const maxTagComment = 1024

// BuildTag is one tag a person put on a build (BAD, GOOD or CERTIFIED) with why. Tags are
// append-only: a newer tag on the same build replaces an older one's effect, and both stay.
type BuildTag struct {
	bun.BaseModel `bun:"table:build_tags,alias:bt"`

	ID        string    `bun:"id,pk"`
	BuildID   string    `bun:"build_id,notnull"`
	BuildName string    `bun:"build_name,notnull"`
	Value     string    `bun:"value,notnull"`
	Comment   string    `bun:"comment,notnull"`
	Operator  string    `bun:"operator,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// TagBuild records tag t on its build: the value must be BAD, GOOD or CERTIFIED and the
// build must exist. It fills in the id, the build's name and the time.
func (s *Store) TagBuild(ctx context.Context, t *BuildTag) error {
	t.Value = strings.ToUpper(strings.TrimSpace(t.Value))
	if !core.ValidTagValue(t.Value) {
		return core.FieldErrorf("value", "%q is not a build tag: use %s", t.Value, strings.Join(core.TagValues(), ", "))
	}
	if len(t.Comment) > maxTagComment {
		return core.FieldErrorf("comment", "is %d characters long; the limit is %d", len(t.Comment), maxTagComment)
	}
	b, err := s.GetBuild(ctx, t.BuildID)
	if err != nil {
		return err
	}
	t.ID, t.BuildName, t.CreatedAt = NewID(), b.Name, s.now()
	if _, err := s.db.NewInsert().Model(t).Exec(ctx); err != nil {
		return fmt.Errorf("tag build %s %s: %w", t.BuildID, t.Value, err)
	}
	return nil
}

// ListBuildTags returns the tags put on build id itself, newest first.
func (s *Store) ListBuildTags(ctx context.Context, id string) ([]BuildTag, error) {
	out := []BuildTag{}
	if err := s.db.NewSelect().Model(&out).Where("build_id = ?", id).Order("created_at DESC", "id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list tags of build %s: %w", id, err)
	}
	return out, nil
}

// taggedBuild is a tag joined with the build it was put on, as branchTags reads it.
type taggedBuild struct {
	BuildTag `bun:",extend"`
	Repo     string     `bun:"scm_repo"`
	Branch   string     `bun:"scm_branch"`
	Commit   string     `bun:"scm_commit"`
	Date     *time.Time `bun:"commit_date"`
	Publish  time.Time  `bun:"published_at"`
}

// tagsOfName reads every tag on builds named name, with the tagged builds' branch and
// place, for the rule in core.EffectiveTag to choose from.
func (s *Store) tagsOfName(ctx context.Context, name string) ([]core.BuildTag, error) {
	var rows []taggedBuild
	err := s.db.NewSelect().Model(&rows).
		ColumnExpr("bt.*").ColumnExpr("b.scm_repo, b.scm_branch, b.scm_commit, b.commit_date, b.published_at").
		Join("JOIN builds AS b ON b.id = bt.build_id").
		Where("bt.build_name = ?", name).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read tags of builds named %s: %w", name, err)
	}
	out := make([]core.BuildTag, len(rows))
	for i, r := range rows {
		out[i] = core.BuildTag{ID: r.ID, Value: r.Value, Comment: r.Comment, Operator: r.Operator, CreatedAt: r.CreatedAt,
			Build: core.TaggedBuild{ID: r.BuildID, Name: r.BuildName, Repo: r.Repo, Branch: r.Branch, Commit: r.Commit, CommitDate: r.Date, PublishedAt: r.Publish}}
	}
	return out, nil
}

// Tagged is what the tag rule reads of a build.
func (b *Build) Tagged() core.TaggedBuild {
	return core.TaggedBuild{ID: b.ID, Name: b.Name, Repo: b.Repo, Branch: b.Branch, Commit: b.Commit, CommitDate: b.CommitDate, PublishedAt: b.PublishedAt}
}

// EffectiveTags returns the tag that speaks for each of builds (core.EffectiveTag), by
// build id; builds no tag speaks for are absent. One query per build name.
func (s *Store) EffectiveTags(ctx context.Context, builds []Build) (map[string]*core.BuildTag, error) {
	out := map[string]*core.BuildTag{}
	byName := map[string][]core.BuildTag{}
	for i := range builds {
		b := &builds[i]
		tags, ok := byName[b.Name]
		if !ok {
			var err error
			if tags, err = s.tagsOfName(ctx, b.Name); err != nil {
				return nil, err
			}
			byName[b.Name] = tags
		}
		if t := core.EffectiveTag(b.Tagged(), tags); t != nil {
			out[b.ID] = t
		}
	}
	return out, nil
}

// EffectiveTag returns the tag that speaks for build b, or nil.
func (s *Store) EffectiveTag(ctx context.Context, b *Build) (*core.BuildTag, error) {
	tags, err := s.EffectiveTags(ctx, []Build{*b})
	if err != nil {
		return nil, err
	}
	return tags[b.ID], nil
}

// BadBuilds returns, by build id, the BAD tag that makes each of the builds ids bad; good
// and untagged builds, and ids of no build, are absent.
func (s *Store) BadBuilds(ctx context.Context, ids []string) (map[string]*core.BuildTag, error) {
	if len(ids) == 0 {
		return map[string]*core.BuildTag{}, nil
	}
	var builds []Build
	if err := s.db.NewSelect().Model(&builds).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read builds to check their tags: %w", err)
	}
	tags, err := s.EffectiveTags(ctx, builds)
	if err != nil {
		return nil, err
	}
	for id, t := range tags {
		if t.Value != core.TagBad {
			delete(tags, id)
		}
	}
	return tags, nil
}
