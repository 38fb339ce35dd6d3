package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestEffectiveTag(t *testing.T) {
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { t := base.Add(time.Duration(h) * time.Hour); return &t }
	build := func(id string, h int) core.TaggedBuild {
		return core.TaggedBuild{ID: id, Name: "web", Repo: "org/web", Branch: "main", Commit: "c" + id, CommitDate: at(h), PublishedAt: *at(h)}
	}
	b1, b2, b3, b4, b5 := build("b1", 1), build("b2", 2), build("b3", 3), build("b4", 4), build("b5", 5)
	tag := func(b core.TaggedBuild, value string, createdH int) core.BuildTag {
		return core.BuildTag{ID: b.ID + value, Build: b, Value: value, Operator: "alice", CreatedAt: *at(100 + createdH)}
	}
	other := b3
	other.ID, other.Branch, other.Commit = "x3", "feature", "cx3"
	otherName := b3
	otherName.ID, otherName.Name, otherName.Commit = "n3", "api", "cn3"
	rebuild := b2
	rebuild.ID, rebuild.PublishedAt = "b2-rebuild", *at(9)
	noBranch := core.TaggedBuild{ID: "nb", Name: "web", Repo: "org/web", PublishedAt: *at(6)}
	noBranchTagged := core.TaggedBuild{ID: "nb0", Name: "web", Repo: "org/web", PublishedAt: *at(1)}
	noDates := func(id string, h int) core.TaggedBuild {
		return core.TaggedBuild{ID: id, Name: "web", Repo: "org/web", Branch: "main", PublishedAt: *at(h)}
	}

	tests := []struct {
		name  string
		build core.TaggedBuild
		tags  []core.BuildTag
		want  string // the winning tag's ID, "" for none
	}{
		{"no tags", b3, nil, ""},
		{"a build before the BAD one is clean", b1, []core.BuildTag{tag(b2, core.TagBad, 0)}, ""},
		{"the BAD build itself", b2, []core.BuildTag{tag(b2, core.TagBad, 0)}, "b2BAD"},
		{"a later build of the branch inherits BAD", b3, []core.BuildTag{tag(b2, core.TagBad, 0)}, "b2BAD"},
		{"until a GOOD build", b5, []core.BuildTag{tag(b2, core.TagBad, 0), tag(b4, core.TagGood, 1)}, "b4GOOD"},
		{"between BAD and GOOD is still bad", b3, []core.BuildTag{tag(b2, core.TagBad, 0), tag(b4, core.TagGood, 1)}, "b2BAD"},
		{"a BAD tag put later on an older build does not undo a newer GOOD", b5, []core.BuildTag{tag(b4, core.TagGood, 0), tag(b2, core.TagBad, 1)}, "b4GOOD"},
		{"CERTIFIED ends a BAD run too", b4, []core.BuildTag{tag(b2, core.TagBad, 0), tag(b3, core.TagCertified, 1)}, "b3CERTIFIED"},
		{"a newer tag on the same build wins (GOOD takes BAD back)", b3, []core.BuildTag{tag(b2, core.TagBad, 0), tag(b2, core.TagGood, 1)}, "b2GOOD"},
		{"and the other way round", b3, []core.BuildTag{tag(b2, core.TagGood, 0), tag(b2, core.TagBad, 1)}, "b2BAD"},
		{"order of the list does not matter", b3, []core.BuildTag{tag(b2, core.TagBad, 1), tag(b2, core.TagGood, 0)}, "b2BAD"},
		{"another branch is not touched", other, []core.BuildTag{tag(b2, core.TagBad, 0)}, ""},
		{"another build name is not touched", otherName, []core.BuildTag{tag(b2, core.TagBad, 0)}, ""},
		{"a rebuild of the same commit shares its tag", rebuild, []core.BuildTag{tag(b2, core.TagBad, 0)}, "b2BAD"},
		{"a rebuild of a commit keeps the commit's place, so a later GOOD does not reach back", rebuild, []core.BuildTag{tag(b2, core.TagBad, 0), tag(b4, core.TagGood, 1)}, "b2BAD"},
		{"no branch: only its own tags", noBranch, []core.BuildTag{tag(noBranchTagged, core.TagBad, 0)}, ""},
		{"no branch: its own tag", noBranch, []core.BuildTag{tag(noBranch, core.TagBad, 0)}, "nbBAD"},
		{"no commit dates: publish order", noDates("p3", 3), []core.BuildTag{tag(noDates("p2", 2), core.TagBad, 0)}, "p2BAD"},
		{"no commit dates: a later publish is not reached back", noDates("p1", 1), []core.BuildTag{tag(noDates("p2", 2), core.TagBad, 0)}, ""},
	}
	for _, tt := range tests {
		got := core.EffectiveTag(tt.build, tt.tags)
		gotID := ""
		if got != nil {
			gotID = got.ID
		}
		if gotID != tt.want {
			t.Errorf("%s: EffectiveTag = %q, want %q", tt.name, gotID, tt.want)
		}
		bad, why := core.BuildIsBad(tt.build, tt.tags)
		wantBad := got != nil && got.Value == core.TagBad
		if bad != wantBad || (why != nil) != wantBad {
			t.Errorf("%s: BuildIsBad = %v, %v; want %v", tt.name, bad, why, wantBad)
		}
	}
}

func TestBadBuildReason(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tag := &core.BuildTag{Build: core.TaggedBuild{ID: "b2", Branch: "main"}, Value: core.TagBad, Operator: "alice", Comment: "crashes on start", CreatedAt: at}
	if got := core.BadBuildReason("b2", tag); got != `build b2 is tagged BAD by alice at 2026-12-01T10:00:00Z: "crashes on start"` {
		t.Errorf("own tag: %s", got)
	}
	if got := core.BadBuildReason("b3", tag); !strings.Contains(got, "after build b2, tagged BAD by alice") || !strings.Contains(got, "branch main") {
		t.Errorf("inherited tag: %s", got)
	}
	if got := core.BadBuildReason("b3", nil); got != "" {
		t.Errorf("no tag: %q", got)
	}
	for _, v := range core.TagValues() {
		if !core.ValidTagValue(v) {
			t.Errorf("%s is listed but not valid", v)
		}
	}
	if core.ValidTagValue("BAD_BUILD") {
		t.Error("BAD_BUILD is not a value of ours")
	}
}
