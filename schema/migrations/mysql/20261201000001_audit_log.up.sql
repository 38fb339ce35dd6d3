CREATE TABLE IF NOT EXISTS audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(6) NOT NULL,
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
  request_id VARCHAR(64) NOT NULL DEFAULT '',
  KEY audit_log_env (env_name, stage_name, id),
  KEY audit_log_actor (actor, id),
  KEY audit_log_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
