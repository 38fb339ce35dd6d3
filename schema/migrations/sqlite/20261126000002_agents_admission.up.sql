CREATE TABLE IF NOT EXISTS host_admissions (
  stage_id VARCHAR(64) NOT NULL,
  host_id VARCHAR(255) NOT NULL,
  deploy_id VARCHAR(64) NOT NULL,
  admitted_at TIMESTAMP NOT NULL,
  PRIMARY KEY (stage_id, host_id)
);
--bun:split
CREATE INDEX IF NOT EXISTS host_admissions_admitted ON host_admissions (admitted_at);
--bun:split
CREATE INDEX IF NOT EXISTS stages_updated ON stages (updated_at);
