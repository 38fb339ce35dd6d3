package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// buildTagStore is what the build tag handlers ask of the store.
type buildTagStore interface {
	GetBuild(ctx context.Context, id string) (*schema.Build, error)
	TagBuild(ctx context.Context, t *schema.BuildTag) error
	ListBuildTags(ctx context.Context, id string) ([]schema.BuildTag, error)
	EffectiveTag(ctx context.Context, b *schema.Build) (*core.BuildTag, error)
	EffectiveTags(ctx context.Context, builds []schema.Build) (map[string]*core.BuildTag, error)
	ListStages(ctx context.Context, f schema.StageFilter) ([]schema.Stage, error)
}

// BuildTag is one tag a person put on a build.
type BuildTag struct {
	ID        string    `json:"id"`
	BuildID   string    `json:"buildId"`
	Value     string    `json:"value"`
	Comment   string    `json:"comment"`
	Operator  string    `json:"operator"`
	CreatedAt time.Time `json:"createdAt"`
}

// EffectiveBuildTag is the tag that speaks for a build (core.EffectiveTag): its own, or
// one on an earlier build of its branch (inherited).
type EffectiveBuildTag struct {
	BuildTag
	// Inherited says the tag was put on another build (BuildID): an earlier build of the
	// same branch, or a build of the same commit.
	Inherited bool `json:"inherited"`
}

// tagBody is the JSON of POST /v1/builds/:id/tags.
type tagBody struct {
	Value   string `json:"value"`
	Comment string `json:"comment"`
}

// buildTagList is the answer of GET /v1/builds/:id/tags.
type buildTagList struct {
	// Effective is the tag that speaks for the build now; absent when none does.
	Effective *EffectiveBuildTag `json:"effective,omitempty"`
	// Tags are the tags put on this build itself, newest first.
	Tags []BuildTag `json:"tags"`
}

// tagBuild answers POST /v1/builds/:id/tags: it records a BAD, GOOD or CERTIFIED tag on a
// build, with the caller as its operator. A token scoped to one environment may tag only
// builds that a stage of its environment deploys: a BAD tag stops promotion everywhere.
func (s *server) tagBuild(c *gin.Context) {
	ctx := c.Request.Context()
	var body tagBody
	operator, err := authoredBody(c, &body)
	if err != nil {
		s.fail(c, err)
		return
	}
	b, err := s.tags.GetBuild(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.checkTagScope(c, b); err != nil {
		s.fail(c, err)
		return
	}
	if strings.TrimSpace(body.Value) == "" {
		s.fail(c, core.FieldErrorf("value", "is required: %s", strings.Join(core.TagValues(), ", ")))
		return
	}
	t := &schema.BuildTag{BuildID: b.ID, Value: body.Value, Comment: body.Comment, Operator: operator}
	if err := s.tags.TagBuild(ctx, t); err != nil {
		s.fail(c, err)
		return
	}
	created(c, buildTagJSON(t), "builds", b.ID, "tags")
}

// checkTagScope refuses a caller tagging a build that no stage of its environments
// deploys: a token scoped to one environment, or a person who operates only some.
func (s *server) checkTagScope(c *gin.Context, b *schema.Build) error {
	caller := CallerFrom(c)
	if caller == nil {
		return core.Errorf(core.EUNAUTHORIZED, "tagging a build needs a caller")
	}
	if t := caller.Token; t != nil && (t.Scope == "*" || t.Scope == "") {
		return nil
	}
	if global, err := caller.roleIn(""); err == nil && caller.Person != nil && allows(global, schema.RoleOperator) {
		return nil
	}
	stages, err := s.tags.ListStages(c.Request.Context(), schema.StageFilter{})
	if err != nil {
		return err
	}
	for _, st := range stages {
		if st.BuildName != b.Name {
			continue
		}
		if role, err := caller.roleIn(st.EnvName); err == nil && allows(role, schema.RoleOperator) {
			return nil
		}
	}
	if t := caller.Token; t != nil {
		return core.Errorf(core.EFORBIDDEN, "token %q may tag only builds that a stage of environment %s deploys; none deploys builds named %s", t.Name, t.Scope, b.Name)
	}
	return core.Errorf(core.EFORBIDDEN, "%s may tag only builds that a stage of an environment it operates deploys; none deploys builds named %s", caller.describe(), b.Name)
}

// listBuildTags answers GET /v1/builds/:id/tags.
func (s *server) listBuildTags(c *gin.Context) {
	ctx := c.Request.Context()
	b, err := s.tags.GetBuild(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	tags, err := s.tags.ListBuildTags(ctx, b.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	eff, err := s.tags.EffectiveTag(ctx, b)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := buildTagList{Tags: make([]BuildTag, len(tags)), Effective: effectiveTagJSON(b.ID, eff)}
	for i := range tags {
		out.Tags[i] = buildTagJSON(&tags[i])
	}
	c.JSON(http.StatusOK, out)
}

// refuseBadBuild refuses deploying build b by hand when a BAD tag speaks for it, unless
// force: the error says why and who tagged it.
func (s *server) refuseBadBuild(ctx context.Context, b *schema.Build, force bool) error {
	t, err := s.tags.EffectiveTag(ctx, b)
	if err != nil {
		return err
	}
	if force || t == nil || t.Value != core.TagBad {
		return nil
	}
	return core.Errorf(core.ECONFLICT, "%s; send force to deploy it anyway (teletraan deploy --force)", core.BadBuildReason(b.ID, t))
}

// taggedBuilds maps builds for the API with the tag that speaks for each.
func (s *server) taggedBuilds(ctx context.Context, builds []schema.Build) ([]Build, error) {
	tags, err := s.tags.EffectiveTags(ctx, builds)
	if err != nil {
		return nil, err
	}
	out := make([]Build, len(builds))
	for i := range builds {
		out[i] = taggedBuildJSON(&builds[i], tags[builds[i].ID])
	}
	return out, nil
}

// taggedBuild maps one build with the tag that speaks for it.
func (s *server) taggedBuild(ctx context.Context, b *schema.Build) (Build, error) {
	out, err := s.taggedBuilds(ctx, []schema.Build{*b})
	if err != nil {
		return Build{}, err
	}
	return out[0], nil
}
