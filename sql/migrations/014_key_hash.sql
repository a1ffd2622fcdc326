-- Schema version 14: each dossier's code as a fixed-size number,
-- key_hash = hash(dossier_code) (a code is the country's): a load
-- matches its file's dossiers against the stored ones on this number
-- before it reads any stored text, and the uniqueness test groups by it.
-- DuckDB does not promise hash() the same from one version to the next:
-- opening the warehouse for writing fills the column whenever the hash of
-- a fixed pair differs from the one kept in meta (key_hash_probe), which
-- is missing after this migration (warehouse/keyhash.go).
ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS key_hash UBIGINT;
