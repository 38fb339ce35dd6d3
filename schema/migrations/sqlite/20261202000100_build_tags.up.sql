CREATE TABLE IF NOT EXISTS build_tags (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  build_id VARCHAR(96) NOT NULL,
  build_name VARCHAR(128) NOT NULL,
  value VARCHAR(16) NOT NULL,
  comment VARCHAR(1024) NOT NULL DEFAULT '',
  operator VARCHAR(255) NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS build_tags_name ON build_tags (build_name, created_at);
--bun:split
CREATE INDEX IF NOT EXISTS build_tags_build ON build_tags (build_id, created_at);
