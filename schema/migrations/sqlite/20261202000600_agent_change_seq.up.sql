ALTER TABLE agents ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
--bun:split
CREATE INDEX IF NOT EXISTS agents_stage_updated ON agents (stage_id, updated_at);
