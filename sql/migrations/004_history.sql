-- Schema version 4: a dossier's current state is written once, in
-- dossiers; before, every state was also copied into dossier_versions.

-- dossier_history: the states a dossier has left behind; its current state
-- is in dossiers, and the view dossier_versions (sql/models) shows both.
-- vi: các trạng thái hồ sơ đã đi qua; trạng thái hiện tại nằm trong
-- dossiers, và view dossier_versions cho thấy cả hai.
ALTER TABLE dossier_versions RENAME TO dossier_history;
DELETE FROM dossier_history h USING dossiers d
WHERE h.ward_code = d.ward_code AND h.dossier_code = d.dossier_code
  AND h.state_hash = d.state_hash AND h.load_id = d.load_id;
