ALTER TABLE stages ADD COLUMN secret_variables TEXT NOT NULL DEFAULT '[]';
