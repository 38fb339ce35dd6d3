package schema_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func mustCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func newStage(t *testing.T, st *schema.Store, env, stage string) *schema.Stage {
	t.Helper()
	s := &schema.Stage{EnvName: env, StageName: stage, StageConfig: schema.DefaultStageConfig(env, stage)}
	if err := st.CreateStage(context.Background(), s, "alice"); err != nil {
		t.Fatalf("create stage %s/%s: %v", env, stage, err)
	}
	return s
}

func TestMigrateIsIdempotentAndChecksVersion(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		if err := st.CheckSchema(ctx); err != nil {
			t.Fatalf("freshly migrated store: CheckSchema = %v", err)
		}
		applied, err := st.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
		}
		// A migration only a newer binary knows makes both commands refuse.
		_, err = st.DB().ExecContext(ctx, "INSERT INTO teletraan_migrations (name, group_id, migrated_at) VALUES ('29990101000000_future', 99, ?)", time.Now().UTC())
		if err != nil {
			t.Fatalf("insert future migration: %v", err)
		}
		err = st.CheckSchema(ctx)
		mustCode(t, err, core.ECONFLICT)
		if !strings.Contains(err.Error(), "newer") {
			t.Fatalf("CheckSchema error %q does not say the schema is newer", err)
		}
		_, err = st.Migrate(ctx)
		mustCode(t, err, core.ECONFLICT)
	})
}

func TestCheckSchemaOnEmptyDatabaseAsksForMigrate(t *testing.T) {
	ctx := context.Background()
	st, err := schema.Open(ctx, "sqlite:"+t.TempDir()+"/empty.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.CheckSchema(ctx)
	if err == nil || !strings.Contains(err.Error(), "teletraan migrate") {
		t.Fatalf("CheckSchema on empty db = %v; want an error telling to run teletraan migrate", err)
	}
}

func TestOpenRejectsBadDSN(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{"", "sqlite:", "not a dsn at all", "root@tcp(127.0.0.1:3306)/"} {
		_, err := schema.Open(ctx, dsn)
		mustCode(t, err, core.EINVALID)
	}
	_, err := schema.Open(ctx, "root@tcp(127.0.0.1:1)/nothing?timeout=1s")
	mustCode(t, err, core.EUNAVAILABLE)
}

func TestStages(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		s := newStage(t, st, "hello", "prod")
		if len(s.ID) != 22 || s.CreatedAt.IsZero() {
			t.Fatalf("created stage lacks id or time: %+v", s)
		}
		newStage(t, st, "hello", "canary")
		newStage(t, st, "other", "prod")

		dup := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
		mustCode(t, st.CreateStage(ctx, dup, "bob"), core.ECONFLICT)

		bad := &schema.Stage{EnvName: "hello", StageName: "bad name", StageConfig: schema.DefaultStageConfig("hello", "x")}
		err := st.CreateStage(ctx, bad, "bob")
		mustCode(t, err, core.EINVALID)
		if core.ErrorField(err) != "stageName" {
			t.Fatalf("field = %q, want stageName", core.ErrorField(err))
		}

		list, err := st.ListStages(ctx, schema.StageFilter{EnvName: "hello"})
		if err != nil || len(list) != 2 || list[0].StageName != "canary" || list[1].StageName != "prod" {
			t.Fatalf("ListStages(hello) = %+v, %v", list, err)
		}
		all, _ := st.ListStages(ctx, schema.StageFilter{})
		if len(all) != 3 {
			t.Fatalf("ListStages() returned %d stages, want 3", len(all))
		}

		cfg := s.StageConfig
		cfg.MaxParallel, cfg.MaxParallelPct, cfg.SuccessThreshold = 5, 10, 90
		cfg.ScriptVariables = map[string]string{"PORT": "8080"}
		cfg.AgentConfigs = map[string]string{"RESTARTING.process_timeout": "600"}
		if s.OnFailure != core.FailureWait || s.Alarms == nil || len(s.Alarms) != 0 {
			t.Fatalf("new stage: onFailure %q, alarms %#v; want WAIT and an empty list", s.OnFailure, s.Alarms)
		}
		cfg.OnFailure = core.FailureRollback
		cfg.Alarms = []schema.Alarm{{Name: "errors", URL: "https://alarms.example.com/errors"}, {Name: "latency", URL: "http://10.0.0.1:8080/p99"}}
		got, err := st.UpdateStageConfig(ctx, "hello", "prod", func(c *schema.StageConfig) { *c = cfg }, "carol")
		if err != nil {
			t.Fatal(err)
		}
		again, _ := st.GetStage(ctx, "hello", "prod")
		if again.MaxParallelPct != 10 || again.ScriptVariables["PORT"] != "8080" || again.AgentConfigs["RESTARTING.process_timeout"] != "600" || again.LastOperator != "carol" || got.ID != s.ID {
			t.Fatalf("config not stored: %+v", again)
		}
		if again.OnFailure != core.FailureRollback || len(again.Alarms) != 2 || again.Alarms[1] != cfg.Alarms[1] {
			t.Fatalf("failure policy or alarms not stored: %q %+v", again.OnFailure, again.Alarms)
		}
		// A config built without the new fields (older callers) gets WAIT and no alarms.
		if old, err := st.GetStage(ctx, "hello", "canary"); err != nil || old.OnFailure != core.FailureWait || old.Alarms == nil || len(old.Alarms) != 0 {
			t.Fatalf("untouched stage: %+v, %v", old, err)
		}
		tooMany := make([]schema.Alarm, schema.MaxAlarms+1)
		for i := range tooMany {
			tooMany[i] = schema.Alarm{Name: fmt.Sprintf("a%d", i), URL: "https://x.example.com/"}
		}

		for field, mutate := range map[string]func(c *schema.StageConfig){
			"successThreshold":    func(c *schema.StageConfig) { c.SuccessThreshold = 101 },
			"maxParallelPct":      func(c *schema.StageConfig) { c.MaxParallelPct = -1 },
			"maxParallel":         func(c *schema.StageConfig) { c.MaxParallel, c.MaxParallelPct = 0, 0 },
			"stuckTimeoutSeconds": func(c *schema.StageConfig) { c.StuckTimeoutSeconds = 0 },
			"bakeTimeSeconds":     func(c *schema.StageConfig) { c.BakeTimeSeconds = -5 },
			"scriptVariables":     func(c *schema.StageConfig) { c.ScriptVariables = map[string]string{"1BAD": "x"} },
			"agentConfigs":        func(c *schema.StageConfig) { c.AgentConfigs = map[string]string{"RESTARTIN.process_timeout": "1"} },
			"buildName":           func(c *schema.StageConfig) { c.BuildName = "" },
			"onFailure":           func(c *schema.StageConfig) { c.OnFailure = "RETRY" },
			"alarms":              func(c *schema.StageConfig) { c.Alarms = tooMany },
		} {
			c := cfg
			mutate(&c)
			_, err := st.UpdateStageConfig(ctx, "hello", "prod", func(cur *schema.StageConfig) { *cur = c }, "carol")
			mustCode(t, err, core.EINVALID)
			if core.ErrorField(err) != field {
				t.Errorf("invalid %s: error names field %q (%v)", field, core.ErrorField(err), err)
			}
		}
		_, err = st.UpdateStageConfig(ctx, "hello", "nope", func(c *schema.StageConfig) {}, "carol")
		mustCode(t, err, core.ENOTFOUND)

		// Two concurrent changes of different fields both survive.
		errs := make(chan error, 2)
		go func() {
			_, err := st.UpdateStageConfig(ctx, "hello", "canary", func(c *schema.StageConfig) { c.BakeTimeSeconds = 60 }, "dan")
			errs <- err
		}()
		go func() {
			_, err := st.UpdateStageConfig(ctx, "hello", "canary", func(c *schema.StageConfig) { c.SuccessThreshold = 80 }, "erin")
			errs <- err
		}()
		for i := 0; i < 2; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("concurrent update: %v", err)
			}
		}
		canary, _ := st.GetStage(ctx, "hello", "canary")
		if canary.BakeTimeSeconds != 60 || canary.SuccessThreshold != 80 {
			t.Fatalf("a concurrent update was lost: bake %d, threshold %d", canary.BakeTimeSeconds, canary.SuccessThreshold)
		}
		_, err = st.ListConfigHistory(ctx, "hello", "prod", 501)
		mustCode(t, err, core.EINVALID)

		hist, err := st.ListConfigHistory(ctx, "hello", "prod", 10)
		if err != nil || len(hist) != 2 || hist[0].ChangeType != schema.HistoryStageConfig || hist[0].Operator != "carol" || hist[1].ChangeType != schema.HistoryStageCreated {
			t.Fatalf("history = %+v, %v", hist, err)
		}
		if !strings.Contains(string(hist[0].After), `"maxParallelPct":10`) || !strings.Contains(string(hist[0].Before), `"maxParallelPct":0`) {
			t.Fatalf("history snapshots miss the change: before %s after %s", hist[0].Before, hist[0].After)
		}
	})
}

func TestCapacityAndHosts(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		newStage(t, st, "web", "canary")
		newStage(t, st, "web", "prod")
		newStage(t, st, "api", "prod")

		c, err := st.SetCapacity(ctx, "web", "prod", schema.Capacity{Hosts: []string{"web-2", "web-1", "web-1"}, Groups: []string{"web-fleet"}}, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.Hosts, ",") != "web-1,web-2" {
			t.Fatalf("capacity not de-duplicated and sorted: %v", c.Hosts)
		}
		// One stage per environment owns a host or group; other environments may share it.
		_, err = st.SetCapacity(ctx, "web", "canary", schema.Capacity{Hosts: []string{"web-1"}}, "alice")
		mustCode(t, err, core.ECONFLICT)
		if !strings.Contains(err.Error(), "web/prod") {
			t.Fatalf("conflict error %q does not name the owning stage", err)
		}
		_, err = st.SetCapacity(ctx, "web", "canary", schema.Capacity{Groups: []string{"web-fleet"}}, "alice")
		mustCode(t, err, core.ECONFLICT)
		if _, err := st.SetCapacity(ctx, "api", "prod", schema.Capacity{Hosts: []string{"web-1"}}, "alice"); err != nil {
			t.Fatalf("another environment may use the same host: %v", err)
		}
		_, err = st.SetCapacity(ctx, "web", "canary", schema.Capacity{Hosts: []string{"bad host"}}, "alice")
		mustCode(t, err, core.EINVALID)

		got, err := st.GetCapacity(ctx, "web", "prod")
		if err != nil || len(got.Hosts) != 2 || len(got.Groups) != 1 {
			t.Fatalf("GetCapacity = %+v, %v", got, err)
		}

		if err := st.RecordHost(ctx, &schema.Host{ID: "i-1", HostName: "web-1", IP: "10.0.0.1"}); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordHost(ctx, &schema.Host{ID: "i-3", HostName: "web-3", IP: "10.0.0.3", Groups: []string{"web-fleet", "az-a"}}); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordHost(ctx, &schema.Host{ID: "i-9", HostName: "batch-9", Groups: []string{"batch"}}); err != nil {
			t.Fatal(err)
		}
		// A second ping refreshes, it does not duplicate.
		if err := st.RecordHost(ctx, &schema.Host{ID: "i-1", HostName: "web-1", IP: "10.0.0.11"}); err != nil {
			t.Fatal(err)
		}
		hosts, err := st.ListStageHosts(ctx, "web", "prod")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, h := range hosts {
			names = append(names, h.HostName+"="+h.MemberBy)
		}
		if strings.Join(names, ",") != "web-1=host,web-2=host,web-3=group:web-fleet" {
			t.Fatalf("stage hosts = %v", names)
		}
		if hosts[0].IP != "10.0.0.11" || hosts[0].LastPingAt == nil || hosts[1].LastPingAt != nil {
			t.Fatalf("host details wrong: %+v", hosts[:2])
		}
		if strings.Join(hosts[2].Groups, ",") != "az-a,web-fleet" {
			t.Fatalf("groups of web-3 = %v", hosts[2].Groups)
		}
		hist, _ := st.ListConfigHistory(ctx, "web", "prod", 0)
		if hist[0].ChangeType != schema.HistoryCapacity {
			t.Fatalf("capacity change not in history: %+v", hist[0])
		}
	})
}

func TestBuilds(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		var clock = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { clock = clock.Add(time.Second); return clock })
		publish := func(name, branch, commit string) *schema.Build {
			b := &schema.Build{Name: name, ArtifactURL: "https://artifacts.example.com/" + name + ".tar.gz", Branch: branch, Commit: commit, Publisher: "ci"}
			if err := st.PublishBuild(ctx, b); err != nil {
				t.Fatalf("publish %s: %v", name, err)
			}
			return b
		}
		b1 := publish("hello", "main", "ABCDEF0123456789abcdef0123456789abcdef01")
		publish("hello", "feature", "1111111")
		b3 := publish("hello", "main", "2222222")
		publish("other", "main", "")

		if !strings.HasSuffix(b1.ID, "_abcdef0") || b1.CommitShort != "abcdef0" || b1.Commit != "abcdef0123456789abcdef0123456789abcdef01" {
			t.Fatalf("build id/commit not normalised: %+v", b1)
		}
		got, err := st.GetBuild(ctx, b1.ID)
		if err != nil || got.ArtifactURL != b1.ArtifactURL || !got.PublishedAt.Equal(b1.PublishedAt) {
			t.Fatalf("GetBuild = %+v, %v", got, err)
		}
		_, err = st.GetBuild(ctx, "missing")
		mustCode(t, err, core.ENOTFOUND)

		list, err := st.ListBuilds(ctx, schema.BuildFilter{Name: "hello", Branch: "main"})
		if err != nil || len(list) != 2 || list[0].ID != b3.ID || list[1].ID != b1.ID {
			t.Fatalf("ListBuilds(hello, main) = %+v, %v", list, err)
		}
		list, _ = st.ListBuilds(ctx, schema.BuildFilter{Commit: "abcdef"})
		if len(list) != 1 || list[0].ID != b1.ID {
			t.Fatalf("ListBuilds(commit prefix) = %+v", list)
		}
		list, _ = st.ListBuilds(ctx, schema.BuildFilter{Limit: 2})
		if len(list) != 2 {
			t.Fatalf("limit ignored: %d builds", len(list))
		}

		for field, b := range map[string]schema.Build{
			"name":        {Name: "", ArtifactURL: "https://x/y"},
			"artifactUrl": {Name: "x", ArtifactURL: "ftp://x/y"},
			"checksum":    {Name: "x", ArtifactURL: "https://x/y", Checksum: "abc"},
			"commit":      {Name: "x", ArtifactURL: "https://x/y", Commit: "not-hex"},
		} {
			err := st.PublishBuild(ctx, &b)
			mustCode(t, err, core.EINVALID)
			if core.ErrorField(err) != field {
				t.Errorf("bad %s: error names %q (%v)", field, core.ErrorField(err), err)
			}
		}
		ok := &schema.Build{Name: "x", ArtifactURL: "file:///tmp/x.tar.gz", Checksum: "sha256:" + strings.Repeat("AB", 32)}
		if err := st.PublishBuild(ctx, ok); err != nil || ok.Checksum != strings.Repeat("ab", 32) {
			t.Fatalf("checksum with sha256: prefix = %q, %v", ok.Checksum, err)
		}
	})
}

func TestDeploys(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		s := newStage(t, st, "hello", "prod")
		_, err := st.CurrentDeploy(ctx, "hello", "prod")
		mustCode(t, err, core.ENOTFOUND)

		d := &schema.Deploy{ID: schema.NewID(), StageID: s.ID, EnvName: "hello", StageName: "prod", BuildID: "b1", Type: core.TypeRegular, Operator: "alice", WorkflowID: "deploy/x"}
		if err := st.CreateDeploy(ctx, d); err != nil {
			t.Fatal(err)
		}
		if d.State != core.StateRunning || d.AcceptanceStatus != core.AcceptancePendingDeploy {
			t.Fatalf("new deploy defaults: %+v", d)
		}
		// Creating the same id again (a retried activity) keeps the first row.
		retry := &schema.Deploy{ID: d.ID, StageID: s.ID, BuildID: "other", Type: core.TypeRegular}
		if err := st.CreateDeploy(ctx, retry); err != nil || retry.BuildID != "b1" {
			t.Fatalf("idempotent create = %+v, %v", retry, err)
		}
		cur, err := st.CurrentDeploy(ctx, "hello", "prod")
		if err != nil || cur.ID != d.ID {
			t.Fatalf("CurrentDeploy = %+v, %v", cur, err)
		}
		mustCode(t, st.CreateDeploy(ctx, &schema.Deploy{ID: "x", StageID: s.ID, Type: "SIDEWAYS"}), core.EINVALID)
		mustCode(t, st.CreateDeploy(ctx, &schema.Deploy{ID: "y", StageID: "no-such-stage", Type: core.TypeRegular}), core.ENOTFOUND)
		if _, err := st.GetDeploy(ctx, "y"); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("a deploy for a missing stage was stored: %v", err)
		}

		got, err := st.SetDeployState(ctx, d.ID, core.StateSucceeding, "all hosts serving")
		if err != nil || got.State != core.StateSucceeding || got.SucceededAt == nil || got.EndedAt != nil {
			t.Fatalf("SetDeployState(SUCCEEDING) = %+v, %v", got, err)
		}
		got, _ = st.SetDeployState(ctx, d.ID, core.StateAborted, "superseded")
		if got.State != core.StateAborted || got.EndedAt == nil || got.StateReason != "superseded" {
			t.Fatalf("SetDeployState(ABORTED) = %+v", got)
		}
		got, _ = st.SetDeployState(ctx, d.ID, core.StateRunning, "late activity")
		if got.State != core.StateAborted {
			t.Fatalf("a final state must be sticky, got %s", got.State)
		}
		_, err = st.SetDeployState(ctx, "missing", core.StateRunning, "")
		mustCode(t, err, core.ENOTFOUND)
		_, err = st.SetDeployState(ctx, d.ID, "DANCING", "")
		mustCode(t, err, core.EINVALID)
		if err := st.SetDeployCounts(ctx, d.ID, 10, 7, 1); err != nil {
			t.Fatal(err)
		}
		d2 := &schema.Deploy{ID: schema.NewID(), StageID: s.ID, EnvName: "hello", StageName: "prod", BuildID: "b2", Type: core.TypeHotfix}
		if err := st.CreateDeploy(ctx, d2); err != nil {
			t.Fatal(err)
		}
		list, err := st.ListDeploys(ctx, "hello", "prod", schema.DeployFilter{})
		if err != nil || len(list) != 2 || list[1].Total != 10 || list[1].Succeeded != 7 {
			t.Fatalf("ListDeploys = %+v, %v", list, err)
		}
		cur, _ = st.CurrentDeploy(ctx, "hello", "prod")
		if cur.ID != d2.ID {
			t.Fatalf("current deploy = %s, want the newest %s", cur.ID, d2.ID)
		}
	})
}

func TestTokens(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		secret, tok, err := st.CreateToken(ctx, schema.TokenSpec{Name: "ci", Role: schema.RolePublisher, CreatedBy: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "tt_") || tok.Hash == secret || tok.Hash != schema.HashTokenSecret(secret) {
			t.Fatalf("token must be stored hashed: %+v", tok)
		}
		var raw string
		if err := st.DB().NewSelect().Table("tokens").Column("hash").Where("name = 'ci'").Scan(ctx, &raw); err != nil || strings.Contains(raw, secret) {
			t.Fatalf("stored hash %q, %v", raw, err)
		}
		got, err := st.Authenticate(ctx, secret)
		if err != nil || got.Name != "ci" || got.Role != schema.RolePublisher {
			t.Fatalf("Authenticate = %+v, %v", got, err)
		}
		_, err = st.Authenticate(ctx, secret+"x")
		mustCode(t, err, core.EUNAUTHORIZED)
		_, err = st.Authenticate(ctx, "")
		mustCode(t, err, core.EUNAUTHORIZED)
		_, _, err = st.CreateToken(ctx, schema.TokenSpec{Name: "ci", Role: schema.RoleAdmin})
		mustCode(t, err, core.ECONFLICT)
		_, _, err = st.CreateToken(ctx, schema.TokenSpec{Name: "x", Role: "KING"})
		mustCode(t, err, core.EINVALID)

		// Re-creating a token from a saved secret (the dev stack's admin token) is idempotent.
		fixed := "tt_fixed-secret-for-dev-stack"
		for i := 0; i < 2; i++ {
			if _, _, err := st.CreateToken(ctx, schema.TokenSpec{Name: "admin", Role: schema.RoleAdmin, Secret: fixed}); err != nil {
				t.Fatalf("re-create admin token (%d): %v", i, err)
			}
		}
		past := time.Now().Add(-time.Hour)
		old, _, err := st.CreateToken(ctx, schema.TokenSpec{Name: "old", Role: schema.RoleReader, ExpiresAt: &past})
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Authenticate(ctx, old)
		mustCode(t, err, core.EUNAUTHORIZED)

		list, _ := st.ListTokens(ctx)
		if len(list) != 3 {
			t.Fatalf("ListTokens = %d tokens, want 3", len(list))
		}
		if err := st.RevokeToken(ctx, "ci"); err != nil {
			t.Fatal(err)
		}
		_, err = st.Authenticate(ctx, secret)
		mustCode(t, err, core.EUNAUTHORIZED)
		mustCode(t, st.RevokeToken(ctx, "ci"), core.ENOTFOUND)
	})
}
