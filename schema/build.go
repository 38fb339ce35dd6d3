package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// Build is a published, deployable artifact: a tarball URL plus where it came from.
type Build struct {
	bun.BaseModel `bun:"table:builds"`

	ID          string     `bun:"id,pk" json:"id"`
	Name        string     `bun:"name,notnull" json:"name"`
	ArtifactURL string     `bun:"artifact_url,notnull" json:"artifactUrl"`
	Checksum    string     `bun:"checksum,notnull" json:"checksum"`
	Repo        string     `bun:"scm_repo,notnull" json:"repo"`
	Branch      string     `bun:"scm_branch,notnull" json:"branch"`
	Commit      string     `bun:"scm_commit,notnull" json:"commit"`
	CommitShort string     `bun:"scm_commit_short,notnull" json:"commitShort"`
	CommitInfo  string     `bun:"commit_info,notnull" json:"commitInfo"`
	CommitDate  *time.Time `bun:"commit_date" json:"commitDate,omitempty"`
	PublishInfo string     `bun:"publish_info,notnull" json:"publishInfo"`
	Publisher   string     `bun:"publisher,notnull" json:"publisher"`
	PublishedAt time.Time  `bun:"published_at,notnull" json:"publishedAt"`
}

var (
	commitRE   = regexp.MustCompile(`^[0-9a-fA-F]{4,64}$`)
	checksumRE = regexp.MustCompile(`^(sha256:)?[0-9a-fA-F]{64}$`)
)

// Validate checks a build before it is published.
func (b *Build) Validate() error {
	if !buildNameRE.MatchString(b.Name) {
		return core.FieldErrorf("name", "%q is not a valid build name: use 1-128 letters, digits, '.', '-' or '_'", b.Name)
	}
	if b.ArtifactURL == "" {
		return core.FieldErrorf("artifactUrl", "is required: the URL agents download the build tarball from")
	}
	if len(b.ArtifactURL) > 2048 {
		return core.FieldErrorf("artifactUrl", "is longer than 2048 characters")
	}
	u, err := url.Parse(b.ArtifactURL)
	if err != nil {
		return core.FieldErrorf("artifactUrl", "is not a URL: %v", err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return core.FieldErrorf("artifactUrl", "%q has no host", b.ArtifactURL)
		}
	case "file":
		if u.Path == "" || !strings.HasPrefix(u.Path, "/") {
			return core.FieldErrorf("artifactUrl", "file URL %q must hold an absolute path (file:///path/to/build.tar.gz)", b.ArtifactURL)
		}
	default:
		return core.FieldErrorf("artifactUrl", "scheme %q is not supported: use https, http or file", u.Scheme)
	}
	if b.Checksum != "" && !checksumRE.MatchString(b.Checksum) {
		return core.FieldErrorf("checksum", "must be a hex SHA-256 digest (64 hex digits, optionally prefixed sha256:)")
	}
	if b.Commit != "" && !commitRE.MatchString(b.Commit) {
		return core.FieldErrorf("commit", "%q is not a commit hash (4-64 hex digits)", b.Commit)
	}
	if len(b.Repo) > 512 {
		return core.FieldErrorf("repo", "is longer than 512 characters")
	}
	if len(b.Branch) > 255 {
		return core.FieldErrorf("branch", "is longer than 255 characters")
	}
	if len(b.CommitInfo) > 2048 {
		return core.FieldErrorf("commitInfo", "is longer than 2048 characters")
	}
	if len(b.PublishInfo) > 2048 {
		return core.FieldErrorf("publishInfo", "is longer than 2048 characters")
	}
	return nil
}

// PublishBuild validates b, assigns its id ("<random>_<commit7>" like Teletraan) and
// publish time, and stores it.
func (s *Store) PublishBuild(ctx context.Context, b *Build) error {
	b.Checksum = strings.ToLower(strings.TrimPrefix(b.Checksum, "sha256:"))
	if err := b.Validate(); err != nil {
		return err
	}
	b.Commit = strings.ToLower(b.Commit)
	b.CommitShort = b.Commit
	if len(b.CommitShort) > 7 {
		b.CommitShort = b.CommitShort[:7]
	}
	b.ID = NewID()
	if b.CommitShort != "" {
		b.ID += "_" + b.CommitShort
	}
	b.PublishedAt = s.now()
	if b.CommitDate != nil {
		t := b.CommitDate.UTC().Truncate(time.Microsecond)
		b.CommitDate = &t
	}
	if _, err := s.db.NewInsert().Model(b).Exec(ctx); err != nil {
		return fmt.Errorf("publish build %s: %w", b.Name, err)
	}
	return nil
}

// GetBuild returns a build by id, or an core.ENOTFOUND error.
func (s *Store) GetBuild(ctx context.Context, id string) (*Build, error) {
	b := new(Build)
	err := s.db.NewSelect().Model(b).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "build %s does not exist", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get build %s: %w", id, err)
	}
	return b, nil
}

// BuildFilter selects builds in ListBuilds.
type BuildFilter struct {
	Name   string
	Branch string
	Commit string // full hash or a prefix of at least 4 digits
	// PublishedAfter and PublishedBefore bound the publish time, both exclusive; the zero
	// time leaves that side open.
	PublishedAfter  time.Time
	PublishedBefore time.Time
	Limit           int // default 50, at most 500
	Offset          int
}

// ListBuilds returns builds newest first.
func (s *Store) ListBuilds(ctx context.Context, f BuildFilter) ([]Build, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		return nil, core.FieldErrorf("limit", "must be at most 500, got %d", f.Limit)
	}
	if f.Offset < 0 {
		return nil, core.FieldErrorf("offset", "must not be negative")
	}
	out := []Build{}
	q := s.db.NewSelect().Model(&out).Order("published_at DESC", "id DESC").Limit(int64(f.Limit)).Offset(int64(f.Offset))
	if f.Name != "" {
		q = q.Where("name = ?", f.Name)
	}
	if f.Branch != "" {
		q = q.Where("scm_branch = ?", f.Branch)
	}
	if f.Commit != "" {
		if !commitRE.MatchString(f.Commit) {
			return nil, core.FieldErrorf("commit", "%q is not a commit hash prefix (4-64 hex digits)", f.Commit)
		}
		q = q.Where("scm_commit LIKE ?", strings.ToLower(f.Commit)+"%")
	}
	if !f.PublishedAfter.IsZero() {
		q = q.Where("published_at > ?", f.PublishedAfter.UTC())
	}
	if !f.PublishedBefore.IsZero() {
		q = q.Where("published_at < ?", f.PublishedBefore.UTC())
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list builds: %w", err)
	}
	return out, nil
}

// Ref is the build as the ping decision reads it.
func (b *Build) Ref() *core.Build {
	return &core.Build{ID: b.ID, Name: b.Name, ArtifactURL: b.ArtifactURL, Checksum: b.Checksum, Repo: b.Repo,
		Branch: b.Branch, Commit: b.Commit, CommitShort: b.CommitShort, CommitInfo: b.CommitInfo, CommitDate: b.CommitDate,
		PublishInfo: b.PublishInfo, Publisher: b.Publisher, PublishedAt: b.PublishedAt}
}
