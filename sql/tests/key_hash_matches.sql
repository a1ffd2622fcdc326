-- Every dossier's key_hash is the hash of its dossier_code as
-- warehouse/keyhash.go computes it: a load finds the
-- stored dossier by it, and unique_dossier_per_ward groups by it, so a
-- wrong or missing one would let a dossier be stored twice unseen.
SELECT ward_code, dossier_code,
       'hồ sơ ' || dossier_code || ' của ' || ward_code || ' có key_hash không khớp với mã của nó' AS problem,
       'dossier ' || dossier_code || ' of ' || ward_code || ' has a key_hash that does not match its codes' AS problem_en
FROM dossiers
WHERE key_hash IS DISTINCT FROM hash(dossier_code)
