CREATE TABLE IF NOT EXISTS stages (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  env_name VARCHAR(64) NOT NULL,
  stage_name VARCHAR(64) NOT NULL,
  description VARCHAR(1024) NOT NULL DEFAULT '',
  build_name VARCHAR(128) NOT NULL,
  branch VARCHAR(255) NOT NULL DEFAULT '',
  max_parallel INT NOT NULL DEFAULT 1,
  max_parallel_pct INT NOT NULL DEFAULT 0,
  success_threshold INT NOT NULL DEFAULT 100,
  stuck_timeout_seconds INT NOT NULL DEFAULT 600,
  bake_time_seconds INT NOT NULL DEFAULT 0,
  script_variables TEXT NOT NULL,
  agent_configs TEXT NOT NULL,
  current_deploy_id VARCHAR(64) NOT NULL DEFAULT '',
  last_operator VARCHAR(255) NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS stages_env_stage ON stages (env_name, stage_name);
--bun:split
CREATE TABLE IF NOT EXISTS stage_hosts (
  stage_id VARCHAR(64) NOT NULL,
  host_name VARCHAR(255) NOT NULL,
  PRIMARY KEY (stage_id, host_name)
);
--bun:split
CREATE INDEX IF NOT EXISTS stage_hosts_host ON stage_hosts (host_name);
--bun:split
CREATE TABLE IF NOT EXISTS stage_groups (
  stage_id VARCHAR(64) NOT NULL,
  group_name VARCHAR(255) NOT NULL,
  PRIMARY KEY (stage_id, group_name)
);
--bun:split
CREATE INDEX IF NOT EXISTS stage_groups_group ON stage_groups (group_name);
--bun:split
CREATE TABLE IF NOT EXISTS builds (
  id VARCHAR(96) NOT NULL PRIMARY KEY,
  name VARCHAR(128) NOT NULL,
  artifact_url VARCHAR(2048) NOT NULL,
  checksum VARCHAR(128) NOT NULL DEFAULT '',
  scm_repo VARCHAR(512) NOT NULL DEFAULT '',
  scm_branch VARCHAR(255) NOT NULL DEFAULT '',
  scm_commit VARCHAR(64) NOT NULL DEFAULT '',
  scm_commit_short VARCHAR(16) NOT NULL DEFAULT '',
  commit_info VARCHAR(2048) NOT NULL DEFAULT '',
  commit_date TIMESTAMP NULL,
  publish_info VARCHAR(2048) NOT NULL DEFAULT '',
  publisher VARCHAR(255) NOT NULL DEFAULT '',
  published_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS builds_name_branch ON builds (name, scm_branch, published_at);
--bun:split
CREATE INDEX IF NOT EXISTS builds_commit ON builds (scm_commit);
--bun:split
CREATE TABLE IF NOT EXISTS deploys (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  stage_id VARCHAR(64) NOT NULL,
  env_name VARCHAR(64) NOT NULL,
  stage_name VARCHAR(64) NOT NULL,
  build_id VARCHAR(96) NOT NULL,
  from_build_id VARCHAR(96) NOT NULL DEFAULT '',
  from_deploy_id VARCHAR(64) NOT NULL DEFAULT '',
  alias_deploy_id VARCHAR(64) NOT NULL DEFAULT '',
  type VARCHAR(16) NOT NULL,
  state VARCHAR(16) NOT NULL,
  state_reason VARCHAR(1024) NOT NULL DEFAULT '',
  acceptance_status VARCHAR(32) NOT NULL,
  operator VARCHAR(255) NOT NULL DEFAULT '',
  description VARCHAR(1024) NOT NULL DEFAULT '',
  workflow_id VARCHAR(255) NOT NULL DEFAULT '',
  total INT NOT NULL DEFAULT 0,
  succeeded INT NOT NULL DEFAULT 0,
  failed INT NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  succeeded_at TIMESTAMP NULL,
  ended_at TIMESTAMP NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS deploys_stage_created ON deploys (stage_id, created_at);
--bun:split
CREATE TABLE IF NOT EXISTS hosts (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  host_name VARCHAR(255) NOT NULL,
  ip VARCHAR(64) NOT NULL DEFAULT '',
  availability_zone VARCHAR(64) NOT NULL DEFAULT '',
  agent_version VARCHAR(64) NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  last_ping_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS hosts_name ON hosts (host_name);
--bun:split
CREATE TABLE IF NOT EXISTS host_groups (
  host_id VARCHAR(255) NOT NULL,
  group_name VARCHAR(255) NOT NULL,
  PRIMARY KEY (host_id, group_name)
);
--bun:split
CREATE INDEX IF NOT EXISTS host_groups_group ON host_groups (group_name);
--bun:split
CREATE TABLE IF NOT EXISTS agents (
  host_id VARCHAR(255) NOT NULL,
  stage_id VARCHAR(64) NOT NULL,
  host_name VARCHAR(255) NOT NULL,
  deploy_id VARCHAR(64) NOT NULL DEFAULT '',
  deploy_stage VARCHAR(32) NOT NULL DEFAULT 'UNKNOWN',
  status VARCHAR(32) NOT NULL DEFAULT 'UNKNOWN',
  state VARCHAR(32) NOT NULL DEFAULT 'NORMAL',
  fail_count INT NOT NULL DEFAULT 0,
  error_code INT NOT NULL DEFAULT 0,
  first_deploy BOOLEAN NOT NULL DEFAULT FALSE,
  started_at TIMESTAMP NOT NULL,
  stage_started_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (host_id, stage_id)
);
--bun:split
CREATE INDEX IF NOT EXISTS agents_stage_deploy ON agents (stage_id, deploy_id, deploy_stage);
--bun:split
CREATE TABLE IF NOT EXISTS agent_errors (
  host_id VARCHAR(255) NOT NULL,
  stage_id VARCHAR(64) NOT NULL,
  host_name VARCHAR(255) NOT NULL,
  error_message TEXT NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (host_id, stage_id)
);
--bun:split
CREATE TABLE IF NOT EXISTS tokens (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  hash CHAR(64) NOT NULL,
  role VARCHAR(32) NOT NULL,
  scope VARCHAR(255) NOT NULL DEFAULT '*',
  created_by VARCHAR(255) NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NULL
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS tokens_hash ON tokens (hash);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS tokens_name ON tokens (name);
--bun:split
CREATE TABLE IF NOT EXISTS config_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stage_id VARCHAR(64) NOT NULL,
  change_type VARCHAR(64) NOT NULL,
  operator VARCHAR(255) NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  before_json TEXT NOT NULL,
  after_json TEXT NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS config_history_stage ON config_history (stage_id, id);
