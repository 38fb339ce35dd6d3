CREATE TABLE IF NOT EXISTS build_tags (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  build_id VARCHAR(96) NOT NULL,
  build_name VARCHAR(128) NOT NULL,
  value VARCHAR(16) NOT NULL,
  comment VARCHAR(1024) NOT NULL DEFAULT '',
  operator VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  KEY build_tags_name (build_name, created_at),
  KEY build_tags_build (build_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
