package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// buildList is the body of the build listing.
type buildList struct {
	Builds []schema.Build `json:"builds"`
}

// publishBuildBody is the JSON of POST /v1/builds. CommitDate is parsed here rather than
// by encoding/json because time.Time's own errors do not name the field.
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
	b := &schema.Build{
		Name:        body.Name,
		ArtifactURL: body.ArtifactURL,
		Checksum:    body.Checksum,
		Repo:        body.Repo,
		Branch:      body.Branch,
		Commit:      body.Commit,
		CommitInfo:  body.CommitInfo,
		PublishInfo: body.PublishInfo,
		Publisher:   publisher,
	}
	if body.CommitDate != nil && *body.CommitDate != "" {
		t, err := time.Parse(time.RFC3339, *body.CommitDate)
		if err != nil {
			s.fail(c, core.FieldErrorf("commitDate", "%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", *body.CommitDate))
			return
		}
		b.CommitDate = &t
	}
	if err := s.store.PublishBuild(c.Request.Context(), b); err != nil {
		s.fail(c, err)
		return
	}
	created(c, b, "builds", b.ID)
}

func (s *server) listBuilds(c *gin.Context) {
	limit, offset, err := queryPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	builds, err := s.store.ListBuilds(c.Request.Context(), schema.BuildFilter{
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
	c.JSON(http.StatusOK, buildList{Builds: builds})
}

func (s *server) getBuild(c *gin.Context) {
	b, err := s.store.GetBuild(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, b)
}
