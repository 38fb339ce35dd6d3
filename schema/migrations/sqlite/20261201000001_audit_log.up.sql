CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TIMESTAMP NOT NULL,
  actor VARCHAR(255) NOT NULL DEFAULT '',
  role VARCHAR(32) NOT NULL DEFAULT '',
  remote_addr VARCHAR(64) NOT NULL DEFAULT '',
  method VARCHAR(8) NOT NULL,
  route VARCHAR(255) NOT NULL,
  path VARCHAR(1024) NOT NULL,
  env_name VARCHAR(64) NOT NULL DEFAULT '',
  stage_name VARCHAR(64) NOT NULL DEFAULT '',
  status INT NOT NULL,
  error_code VARCHAR(32) NOT NULL DEFAULT '',
  request_id VARCHAR(64) NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX IF NOT EXISTS audit_log_env ON audit_log (env_name, stage_name, id);
--bun:split
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, id);
--bun:split
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
