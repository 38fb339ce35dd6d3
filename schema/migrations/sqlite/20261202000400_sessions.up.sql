CREATE TABLE IF NOT EXISTS sessions (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  subject VARCHAR(255) NOT NULL DEFAULT '',
  email VARCHAR(255) NOT NULL DEFAULT '',
  display_name VARCHAR(255) NOT NULL DEFAULT '',
  groups_json TEXT NOT NULL,
  token_id VARCHAR(64) NOT NULL DEFAULT '',
  via VARCHAR(16) NOT NULL,
  csrf VARCHAR(64) NOT NULL,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
--bun:split
ALTER TABLE audit_log ADD COLUMN detail VARCHAR(1024) NOT NULL DEFAULT '';
