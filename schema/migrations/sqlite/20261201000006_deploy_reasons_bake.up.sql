CREATE TABLE IF NOT EXISTS deploy_reasons (
  deploy_id VARCHAR(64) NOT NULL,
  seq INT NOT NULL,
  state VARCHAR(16) NOT NULL,
  reason TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (deploy_id, seq)
);
--bun:split
ALTER TABLE deploys ADD COLUMN baking_until TIMESTAMP NULL;
