-- Schema version 5: an applicant key is the first 128 bits of its
-- HMAC-SHA256 (32 hex digits) instead of all 256: as unlinkable without the
-- key, and half the bytes to store, write and compare. Stored keys are
-- shortened, and the state hashes that include them recomputed, so that
-- the next load of an unchanged dossier still finds it unchanged.
-- The column list is the dossier's state, as loads hash it (a test keeps
-- the two the same).
UPDATE dossiers SET applicant_key = left(applicant_key, 32) WHERE length(applicant_key) > 32;
UPDATE dossier_history SET applicant_key = left(applicant_key, 32) WHERE length(applicant_key) > 32;
UPDATE dossiers SET state_hash = hash(ward_code, dossier_code, procedure_code, procedure_name, sector, channel, online_level, status, submitted_at, received_at, due_at, due_source, completed_at, returned_at, withdrawn_at, supplement_requested_at, supplement_received_at, apology_issued, paid_online, fee, digitised, applicant_key);
UPDATE dossier_history SET state_hash = hash(ward_code, dossier_code, procedure_code, procedure_name, sector, channel, online_level, status, submitted_at, received_at, due_at, due_source, completed_at, returned_at, withdrawn_at, supplement_requested_at, supplement_received_at, apology_issued, paid_online, fee, digitised, applicant_key);
