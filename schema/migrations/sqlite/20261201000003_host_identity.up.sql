ALTER TABLE hosts ADD COLUMN secret_hash TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE hosts ADD COLUMN pending_secret_hash TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE hosts ADD COLUMN bound_token TEXT NOT NULL DEFAULT '';
