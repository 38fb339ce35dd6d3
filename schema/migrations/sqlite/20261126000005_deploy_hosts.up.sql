CREATE TABLE IF NOT EXISTS deploy_hosts (
  deploy_id VARCHAR(64) NOT NULL,
  host_id VARCHAR(255) NOT NULL,
  host_name VARCHAR(255) NOT NULL,
  wave INT NOT NULL,
  admitted_at TIMESTAMP NOT NULL,
  outcome VARCHAR(16) NOT NULL DEFAULT '',
  error_message TEXT NOT NULL DEFAULT '',
  finished_at TIMESTAMP NULL,
  PRIMARY KEY (deploy_id, host_id)
);
