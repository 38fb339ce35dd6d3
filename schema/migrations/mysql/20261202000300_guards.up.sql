ALTER TABLE stages
  ADD COLUMN alarm_policy MEDIUMTEXT NOT NULL DEFAULT ('{}'),
  ADD COLUMN webhooks MEDIUMTEXT NOT NULL DEFAULT ('[]');
--bun:split
ALTER TABLE deploys ADD COLUMN failure_reason TEXT NOT NULL DEFAULT ('');
--bun:split
CREATE TABLE IF NOT EXISTS deploy_alarm_checks (
  deploy_id VARCHAR(64) NOT NULL,
  check_id VARCHAR(128) NOT NULL,
  alarm VARCHAR(128) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  source VARCHAR(16) NOT NULL,
  outcome VARCHAR(16) NOT NULL,
  value DOUBLE NULL,
  threshold VARCHAR(64) NOT NULL,
  reason TEXT NOT NULL,
  action VARCHAR(16) NOT NULL,
  checked_at DATETIME(6) NOT NULL,
  PRIMARY KEY (deploy_id, check_id)
);
--bun:split
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id VARCHAR(160) NOT NULL PRIMARY KEY,
  deploy_id VARCHAR(64) NOT NULL,
  hook VARCHAR(128) NOT NULL,
  event VARCHAR(32) NOT NULL,
  attempt INT NOT NULL,
  status_code INT NOT NULL,
  latency_ms BIGINT NOT NULL,
  error TEXT NOT NULL,
  delivered BOOLEAN NOT NULL,
  attempted_at DATETIME(6) NOT NULL,
  KEY webhook_deliveries_deploy (deploy_id, attempted_at)
);
--bun:split
CREATE TABLE IF NOT EXISTS stage_alerts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stage_id VARCHAR(64) NOT NULL,
  deploy_id VARCHAR(64) NOT NULL,
  name VARCHAR(255) NOT NULL,
  status VARCHAR(16) NOT NULL,
  fingerprint VARCHAR(255) NOT NULL,
  summary TEXT NOT NULL,
  action VARCHAR(255) NOT NULL,
  starts_at DATETIME(6) NULL,
  received_at DATETIME(6) NOT NULL,
  KEY stage_alerts_stage (stage_id, id)
);
