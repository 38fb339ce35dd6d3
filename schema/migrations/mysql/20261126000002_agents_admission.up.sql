CREATE TABLE IF NOT EXISTS host_admissions (
  stage_id VARCHAR(64) NOT NULL,
  host_id VARCHAR(255) NOT NULL,
  deploy_id VARCHAR(64) NOT NULL,
  admitted_at DATETIME(6) NOT NULL,
  PRIMARY KEY (stage_id, host_id),
  KEY host_admissions_admitted (admitted_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
--bun:split
CREATE INDEX stages_updated ON stages (updated_at);
