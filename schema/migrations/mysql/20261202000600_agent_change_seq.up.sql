ALTER TABLE agents
  ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 1,
  ADD KEY agents_stage_updated (stage_id, updated_at);
