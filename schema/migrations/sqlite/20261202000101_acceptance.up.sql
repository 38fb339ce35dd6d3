ALTER TABLE stages ADD COLUMN acceptance TEXT NULL;
--bun:split
ALTER TABLE deploys ADD COLUMN acceptance_reason VARCHAR(1024) NOT NULL DEFAULT '';
--bun:split
ALTER TABLE deploys ADD COLUMN acceptance_evidence TEXT NULL;
--bun:split
ALTER TABLE deploys ADD COLUMN acceptance_by VARCHAR(255) NOT NULL DEFAULT '';
--bun:split
ALTER TABLE deploys ADD COLUMN acceptance_at TIMESTAMP NULL;
