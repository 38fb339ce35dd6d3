package api_test

import (
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

type apiBuildList struct {
	Builds []api.Build `json:"builds"`
}

type tagList struct {
	Effective *api.EffectiveBuildTag `json:"effective"`
	Tags      []api.BuildTag         `json:"tags"`
}

func TestBuildTagsApplyToLaterBuildsOfTheBranch(t *testing.T) {
	a := newTestAPI(t)
	b1 := a.publishBuild("hello", "1111111")
	b2 := a.publishBuild("hello", "2222222")
	b3 := a.publishBuild("hello", "3333333")
	b4 := a.publishBuild("hello", "4444444")

	rec := a.call(http.MethodPost, "/v1/builds/"+b2.ID+"/tags", `{"value":"bad","comment":"crashes on start"}`)
	wantStatus(t, rec, http.StatusCreated)
	tag := decode[api.BuildTag](t, rec)
	if tag.Value != core.TagBad || tag.Operator != "alice" || tag.BuildID != b2.ID || tag.Comment != "crashes on start" {
		t.Errorf("tag = %+v, want BAD by alice on %s", tag, b2.ID)
	}
	if loc := rec.Header().Get("Location"); loc != "/v1/builds/"+b2.ID+"/tags" {
		t.Errorf("Location = %q", loc)
	}

	bad := func() map[string]bool {
		t.Helper()
		rec := a.call(http.MethodGet, "/v1/builds?name=hello", "")
		wantStatus(t, rec, http.StatusOK)
		out := map[string]bool{}
		for _, b := range decode[apiBuildList](t, rec).Builds {
			out[b.ID] = b.Bad
			if b.Bad && (b.Tag == nil || b.Tag.Value != core.TagBad) {
				t.Errorf("build %s is bad without its BAD tag: %+v", b.ID, b.Tag)
			}
		}
		return out
	}
	if got := bad(); got[b1.ID] || !got[b2.ID] || !got[b3.ID] || !got[b4.ID] {
		t.Errorf("after BAD on b2: bad = %v, want b2, b3, b4", got)
	}
	wantStatus(t, a.call(http.MethodPost, "/v1/builds/"+b4.ID+"/tags", `{"value":"GOOD"}`), http.StatusCreated)
	if got := bad(); got[b1.ID] || !got[b2.ID] || !got[b3.ID] || got[b4.ID] {
		t.Errorf("after GOOD on b4: bad = %v, want b2, b3", got)
	}

	rec = a.call(http.MethodGet, "/v1/builds/"+b3.ID, "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[api.Build](t, rec); !got.Bad || got.Tag == nil || !got.Tag.Inherited || got.Tag.BuildID != b2.ID {
		t.Errorf("GET b3 = %+v, want bad, inherited from %s", got.Tag, b2.ID)
	}
	rec = a.call(http.MethodGet, "/v1/builds/"+b2.ID+"/tags", "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[tagList](t, rec); len(got.Tags) != 1 || got.Effective == nil || got.Effective.Inherited || got.Effective.Value != core.TagBad {
		t.Errorf("tags of b2 = %+v", got)
	}

	// A newer tag on the same build takes the BAD one back.
	wantStatus(t, a.call(http.MethodPost, "/v1/builds/"+b2.ID+"/tags", `{"value":"good","comment":"false alarm"}`), http.StatusCreated)
	if got := bad(); got[b2.ID] || got[b3.ID] {
		t.Errorf("after GOOD on b2: bad = %v, want none", got)
	}
	rec = a.call(http.MethodGet, "/v1/builds/"+b2.ID+"/tags", "")
	if got := decode[tagList](t, rec); len(got.Tags) != 2 || got.Tags[0].Value != core.TagGood {
		t.Errorf("tags of b2, newest first = %+v", got.Tags)
	}
}

func TestTagBuildRefusals(t *testing.T) {
	a := newTestAPI(t)
	b := a.publishBuild("hello", "1111111")
	wantError(t, a.call(http.MethodPost, "/v1/builds/"+b.ID+"/tags", `{"value":"UGLY"}`), http.StatusBadRequest, core.EINVALID, "value", "BAD, GOOD, CERTIFIED")
	wantError(t, a.call(http.MethodPost, "/v1/builds/"+b.ID+"/tags", `{"comment":"x"}`), http.StatusBadRequest, core.EINVALID, "value", "is required")
	wantError(t, a.call(http.MethodPost, "/v1/builds/nope/tags", `{"value":"BAD"}`), http.StatusNotFound, core.ENOTFOUND, "", "build nope does not exist")
	wantError(t, a.call(http.MethodGet, "/v1/builds/nope/tags", ""), http.StatusNotFound, core.ENOTFOUND, "")
	long := make([]byte, 1025)
	for i := range long {
		long[i] = 'x'
	}
	wantError(t, a.call(http.MethodPost, "/v1/builds/"+b.ID+"/tags", `{"value":"BAD","comment":"`+string(long)+`"}`), http.StatusBadRequest, core.EINVALID, "comment", "limit is 1024")

	// A token scoped to one environment tags only the builds its stages deploy.
	a.createStage("shop", "prod", `"buildName":"cart"`)
	cart := a.publishBuild("cart", "2222222")
	secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: "shop-op", Role: schema.RoleOperator, Scope: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	shop := http.Header{"Authorization": {"Bearer " + secret}}
	wantError(t, a.callWith(http.MethodPost, "/v1/builds/"+b.ID+"/tags", `{"value":"BAD"}`, shop), http.StatusForbidden, core.EFORBIDDEN, "", "none deploys builds named hello")
	wantStatus(t, a.callWith(http.MethodPost, "/v1/builds/"+cart.ID+"/tags", `{"value":"BAD"}`, shop), http.StatusCreated)
	if tags, _ := a.store.ListBuildTags(t.Context(), b.ID); len(tags) != 0 {
		t.Errorf("refused tags were stored: %+v", tags)
	}
	// The tag is in the audit trail.
	entries, err := a.store.ListAudit(t.Context(), schema.AuditFilter{Actor: "shop-op"})
	if err != nil || len(entries) != 2 || entries[0].Route != "/v1/builds/:id/tags" || entries[0].Status != http.StatusCreated || entries[1].Status != http.StatusForbidden {
		t.Errorf("audit of shop-op = %+v, %v", entries, err)
	}
}

func TestDeployingABadBuildNeedsForce(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	good := a.publishBuild("hello", "1111111")
	badBuild := a.publishBuild("hello", "2222222")
	later := a.publishBuild("hello", "3333333")
	wantStatus(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+good.ID+`"}`), http.StatusCreated)
	wantStatus(t, a.call(http.MethodPost, "/v1/builds/"+badBuild.ID+"/tags", `{"value":"BAD","comment":"crashes on start"}`), http.StatusCreated)

	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+badBuild.ID+`"}`), http.StatusConflict, core.ECONFLICT, "",
		"build "+badBuild.ID+" is tagged BAD by alice", `"crashes on start"`, "send force")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+later.ID+`"}`), http.StatusConflict, core.ECONFLICT, "",
		"after build "+badBuild.ID+", tagged BAD by alice")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/hotfix", `{"buildId":"`+later.ID+`"}`), http.StatusConflict, core.ECONFLICT, "", "tagged BAD")
	calls := len(a.deployer.recorded())

	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+badBuild.ID+`","force":true}`)
	wantStatus(t, rec, http.StatusCreated)
	v := decode[struct {
		Deploy *api.Deploy `json:"deploy"`
		Build  *api.Build  `json:"build"`
	}](t, rec)
	if v.Build == nil || !v.Build.Bad {
		t.Errorf("the forced deploy's build = %+v, want it flagged bad", v.Build)
	}
	if got := len(a.deployer.recorded()); got != calls+1 {
		t.Errorf("deploy requests = %d, want the refused ones never sent and the forced one sent", got)
	}
	// A rollback to the bad build by name needs force too; the default target skips it.
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/rollback", `{"toDeployId":"`+v.Deploy.ID+`"}`), http.StatusConflict, core.ECONFLICT, "", "tagged BAD")
	wantStatus(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+later.ID+`","force":true}`), http.StatusCreated)
	if _, err := a.store.SetDeployState(t.Context(), v.Deploy.ID, core.StateSucceeded, "test"); err != nil {
		t.Fatal(err)
	}
	d, err := a.store.CurrentDeploy(t.Context(), "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.store.ListDeploys(t.Context(), "hello", "prod", schema.DeployFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.SetDeployState(t.Context(), first[len(first)-1].ID, core.StateSucceeded, "test"); err != nil {
		t.Fatal(err)
	}
	target, err := a.store.RollbackTarget(t.Context(), "hello", "prod", d)
	if err != nil || target == nil || target.BuildID != good.ID {
		t.Errorf("rollback target = %+v, %v; want the deploy of the good build, skipping the bad one", target, err)
	}
	// Restarting what runs is not a deploy of a new build: no force needed.
	wantStatus(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/restart", ""), http.StatusCreated)
}
