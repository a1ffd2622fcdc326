-- Schema version 10: every row a load writes names that load, so that the
-- rows of a load that never committed can be found and removed when the
-- warehouse opens (warehouse/repair.go). A state moved to dossier_history
-- keeps the load it came from (load_id); replaced_by is the load that
-- replaced it. States replaced before schema 10 have none (NULL).
ALTER TABLE dossier_history ADD COLUMN IF NOT EXISTS replaced_by BIGINT;
