CREATE TABLE IF NOT EXISTS deploy_hosts (
  deploy_id VARCHAR(64) NOT NULL,
  host_id VARCHAR(255) NOT NULL,
  host_name VARCHAR(255) NOT NULL,
  wave INT NOT NULL,
  admitted_at DATETIME(6) NOT NULL,
  outcome VARCHAR(16) NOT NULL DEFAULT '',
  error_message TEXT NOT NULL,
  finished_at DATETIME(6) NULL,
  PRIMARY KEY (deploy_id, host_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
