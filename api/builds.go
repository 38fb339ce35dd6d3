package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// buildStore is what the build handlers ask of the store.
type buildStore interface {
	PublishBuild(ctx context.Context, b *schema.Build) error
	ListBuilds(ctx context.Context, f schema.BuildFilter) ([]schema.Build, error)
	GetBuild(ctx context.Context, id string) (*schema.Build, error)
}

// buildList is the body of the build listing.
type buildList struct {
	Builds []Build `json:"builds"`
}

// publishBuildBody is the JSON of POST /v1/builds; CommitDate stays text until buildRow
// parses it, so that a malformed date is refused by field name.
type publishBuildBody struct {
	Name        string  `json:"name"`
	ArtifactURL string  `json:"artifactUrl"`
	Checksum    string  `json:"checksum"`
	Repo        string  `json:"repo"`
	Branch      string  `json:"branch"`
	Commit      string  `json:"commit"`
	CommitInfo  string  `json:"commitInfo"`
	CommitDate  *string `json:"commitDate"`
	PublishInfo string  `json:"publishInfo"`
}

func (s *server) publishBuild(c *gin.Context) {
	var body publishBuildBody
	publisher, err := authoredBody(c, &body)
	if err != nil {
		s.fail(c, err)
		return
	}
	b, err := body.buildRow(publisher)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.builds.PublishBuild(c.Request.Context(), b); err != nil {
		s.fail(c, err)
		return
	}
	created(c, buildJSON(b), "builds", b.ID)
}

func (s *server) listBuilds(c *gin.Context) {
	limit, offset, err := queryPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	builds, err := s.builds.ListBuilds(c.Request.Context(), schema.BuildFilter{
		Name:   c.Query("name"),
		Branch: c.Query("branch"),
		Commit: c.Query("commit"),
		Limit:  limit,
		Offset: offset,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.taggedBuilds(c.Request.Context(), builds)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, buildList{Builds: out})
}

func (s *server) getBuild(c *gin.Context) {
	b, err := s.builds.GetBuild(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.taggedBuild(c.Request.Context(), b)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}
