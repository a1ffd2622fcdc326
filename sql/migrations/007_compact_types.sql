-- Schema version 7: the closed vocabularies as ENUM types, and the applicant
-- key as the 128-bit number it is (shown as a UUID) instead of 32 hex
-- digits. Writing a short text costs DuckDB about as much as a long one;
-- a one-byte code or a 16-byte number costs a tenth of it, and the nightly
-- load of millions of dossiers writes three such columns and the key for
-- every row (BENCHMARKS.md). Queries need not change: an ENUM compares with
-- text ('online'), and applicant_key still tells applicants apart.
-- The ENUMs are spelled out, not named (CREATE TYPE): DuckDB 1.5 cannot
-- replay an ALTER to a named type from its write-ahead log, so a crash
-- before the next checkpoint would leave a file that does not open. Loads
-- spell them the same way (warehouse/stage.go, vocabularies).
ALTER TABLE dossiers ALTER channel TYPE ENUM ('online', 'direct', 'postal');
ALTER TABLE dossiers ALTER online_level TYPE ENUM ('full', 'partial', 'none');
ALTER TABLE dossiers ALTER due_source TYPE ENUM ('export', 'catalogue');
ALTER TABLE dossiers ALTER applicant_key TYPE UUID;
ALTER TABLE dossier_history ALTER channel TYPE ENUM ('online', 'direct', 'postal');
ALTER TABLE dossier_history ALTER online_level TYPE ENUM ('full', 'partial', 'none');
ALTER TABLE dossier_history ALTER due_source TYPE ENUM ('export', 'catalogue');
ALTER TABLE dossier_history ALTER applicant_key TYPE UUID;
-- A state hash hashes the stored values, which changed type: recomputed,
-- so that the next load of an unchanged dossier still finds it unchanged.
-- (The column list is the dossier's state, as loads hash it; a test keeps
-- the two the same.)
UPDATE dossiers SET state_hash = hash(ward_code, dossier_code, procedure_code, procedure_name, sector, channel, online_level, status, submitted_at, received_at, due_at, due_source, completed_at, returned_at, withdrawn_at, supplement_requested_at, supplement_received_at, apology_issued, paid_online, fee, digitised, applicant_key);
UPDATE dossier_history SET state_hash = hash(ward_code, dossier_code, procedure_code, procedure_name, sector, channel, online_level, status, submitted_at, received_at, due_at, due_source, completed_at, returned_at, withdrawn_at, supplement_requested_at, supplement_received_at, apology_issued, paid_online, fee, digitised, applicant_key);
