-- Schema version 4: a dossier's current state is written once, in
-- dossiers; dossier_history keeps the states it has left behind, and the
-- view dossier_versions (sql/models) shows both: every distinct state ever
-- seen. (Before, every state was also copied into dossier_versions.)
ALTER TABLE dossier_versions RENAME TO dossier_history;
DELETE FROM dossier_history h USING dossiers d
WHERE h.ward_code = d.ward_code AND h.dossier_code = d.dossier_code
  AND h.state_hash = d.state_hash AND h.load_id = d.load_id;
