package core

import (
	"fmt"
	"time"
)

// Build tag values (Teletraan's BAD_BUILD, GOOD_BUILD and CERTIFIED_BUILD, §1.13).
const (
	// TagBad marks a build that must not be deployed: promotion and automatic rollback
	// skip it, a deploy by hand needs force. It applies to later builds of its branch too.
	TagBad = "BAD"
	// TagGood marks a build as fine; on a branch it ends the run of a BAD tag before it.
	TagGood = "GOOD"
	// TagCertified marks a build that passed a certification; it counts as GOOD.
	TagCertified = "CERTIFIED"
)

// TagValues lists the build tag values, in the order messages name them.
func TagValues() []string { return []string{TagBad, TagGood, TagCertified} }

// ValidTagValue reports whether v is a build tag value.
func ValidTagValue(v string) bool { return v == TagBad || v == TagGood || v == TagCertified }

// TaggedBuild is what the build tag rule reads of a build: its identity and its place on
// its branch.
type TaggedBuild struct {
	ID     string
	Name   string
	Repo   string
	Branch string
	Commit string
	// CommitDate orders builds of a branch when both builds have one; PublishedAt otherwise.
	CommitDate  *time.Time
	PublishedAt time.Time
}

// BuildTag is one tag a person put on a build.
type BuildTag struct {
	ID string
	// Build is the build the tag was put on.
	Build     TaggedBuild
	Value     string
	Comment   string
	Operator  string
	CreatedAt time.Time
}

// notAfter reports whether build a comes no later than build b on their branch: by commit
// date when both have one (rebuilds of old commits keep their place), else by publish time.
func notAfter(a, b TaggedBuild) bool {
	if a.CommitDate != nil && b.CommitDate != nil {
		return !a.CommitDate.After(*b.CommitDate)
	}
	return !a.PublishedAt.After(b.PublishedAt)
}

// sameSpot reports whether builds a and b hold the same place on their branch.
func sameSpot(a, b TaggedBuild) bool { return notAfter(a, b) && notAfter(b, a) }

// tagApplies reports whether tag t speaks for build b: it was put on b, on another build
// of b's commit (same name and repo), or on a build of b's branch (same name, repo and a
// named branch) that comes no later than b.
func tagApplies(t BuildTag, b TaggedBuild) bool {
	tb := t.Build
	switch {
	case tb.ID == b.ID:
		return true
	case tb.Name != b.Name || tb.Repo != b.Repo:
		return false
	case tb.Commit != "" && tb.Commit == b.Commit:
		return true
	}
	return tb.Branch != "" && tb.Branch == b.Branch && notAfter(tb, b)
}

// EffectiveTag is the tag that speaks for build b among tags (in any order), as Teletraan
// decides it (§1.13): of the tags that apply to b (its own, its commit's, and those of
// earlier builds of its branch), the one on the latest build; among tags on builds of the
// same place, the newest. So a BAD tag applies to every later build of its branch until a
// build tagged GOOD or CERTIFIED, and a newer tag on the same build replaces an older one
// (a GOOD tag takes back a BAD one). nil when no tag applies.
//
// Example: b1 < b2 < b3 < b4 on branch main; tags BAD on b2, GOOD on b4. b1 → none,
// b2 and b3 → BAD (b2's), b4 and later → GOOD.
func EffectiveTag(b TaggedBuild, tags []BuildTag) *BuildTag {
	var best *BuildTag
	for i := range tags {
		t := &tags[i]
		if !tagApplies(*t, b) {
			continue
		}
		switch {
		case best == nil:
			best = t
		case sameSpot(t.Build, best.Build):
			if !t.CreatedAt.Before(best.CreatedAt) {
				best = t
			}
		case notAfter(best.Build, t.Build):
			best = t
		}
	}
	return best
}

// BuildIsBad reports whether build b is bad given the tags of its branch, and the tag that
// makes it so (nil when it is not bad).
func BuildIsBad(b TaggedBuild, tags []BuildTag) (bool, *BuildTag) {
	if t := EffectiveTag(b, tags); t != nil && t.Value == TagBad {
		return true, t
	}
	return false, nil
}

// BadBuildReason says why build buildID is bad, given the BAD tag that applies to it, for
// refusals and skip reasons: "build X is tagged BAD by alice at ...: 'crashes on start'",
// naming the tagged build when the tag was put on an earlier one.
func BadBuildReason(buildID string, t *BuildTag) string {
	if t == nil {
		return ""
	}
	on := "is tagged BAD"
	if t.Build.ID != buildID {
		on = fmt.Sprintf("is on branch %s after build %s, tagged BAD", t.Build.Branch, t.Build.ID)
	}
	msg := fmt.Sprintf("build %s %s by %s at %s", buildID, on, t.Operator, t.CreatedAt.UTC().Format(time.RFC3339))
	if t.Comment != "" {
		msg += fmt.Sprintf(": %q", t.Comment)
	}
	return msg
}
