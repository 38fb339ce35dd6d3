# Convenience targets; each is a plain go command, so nothing here is required.
.PHONY: dev test ci build lint fuzz record-histories chaos docs

dev:
	go run ./cmd/teletraan dev

test:
	go test ./...

ci:
	bash .ci/run

build:
	mkdir -p bin
	go build -o bin/teletraan ./cmd/teletraan

lint:
	go vet ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"

# Fuzz each target for FUZZTIME (CI runs each for 10 s); a failing input lands in the
# package's testdata/fuzz/<target>/ and then runs with every go test, so commit it with the fix.
FUZZTIME ?= 2m
fuzz:
	go test ./api/ -run '^$$' -fuzz '^FuzzPing$$' -fuzztime $(FUZZTIME)
	go test ./api/ -run '^$$' -fuzz '^FuzzStageConfig$$' -fuzztime $(FUZZTIME)
	go test ./api/ -run '^$$' -fuzz '^FuzzPublishBuild$$' -fuzztime $(FUZZTIME)
	go test ./api/ -run '^$$' -fuzz '^FuzzAlerts$$' -fuzztime $(FUZZTIME)
	go test ./agent/ -run '^$$' -fuzz '^FuzzExtract$$' -fuzztime $(FUZZTIME)

# Re-record the replay corpus (workflows/testdata/histories) from real runs; see
# ARCHITECTURE.md, "Changing a workflow". New files are dated, old ones are kept.
RECORD_TESTS = TestDevStackDeploysThroughTemporalAndSurvivesRestart|TestPausedDeployStartsNoNewHostUntilResumed|TestFailingDeployRollsBackByPolicy|TestTerminatedHotfixDoesNotStickTheStage|TestRollbackAliasRunsNothingOnHostsAlreadyOnTheTarget|TestContinuedStageWatchesTheDeployItInherited|TestDeployContinuesAsNewAndFinishes|TestRestartHotfixAndRetryRunOnRealAgents|TestStopOneHostRunsItsStoppingScript|TestAlarmFiringMidRolloutHoldsTheDeploy|TestPrometheusAlarmPausesFailsAndRollsBack|TestAlertsAndWebhooksOnRealAgents|TestAcceptanceOnRealAgents|TestPipelinePromotesCanaryStagingProd
record-histories:
	TELETRAAN_RECORD_HISTORIES=$(CURDIR)/workflows/testdata/histories go test ./cmd/teletraan/ -count=1 -run '$(RECORD_TESTS)'

# The long chaos test: N operations (deploys, rollbacks, restarts) with kill -9 of the worker,
# the service and agents on the schedule SEED draws (random when unset; the run prints it).
SEED ?= random
N ?= 20
chaos:
	TELETRAAN_CHAOS_SEED=$(SEED) TELETRAAN_CHAOS_N=$(N) go test ./cmd/teletraan/ -count=1 -v -timeout 60m -run '^TestChaos$$'

# Regenerate the generated tables of docs/configuration.md from the commands' flags and
# environment variables (TestConfigurationReferenceIsCurrent fails when they drift).
docs:
	TELETRAAN_UPDATE_DOCS=1 go test ./cmd/teletraan/ ./cmd/teletraan-agent/ -count=1 -run '^TestConfigurationReferenceIsCurrent$$'
