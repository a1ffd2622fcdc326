-- Every dossier appears once per ward. The keys are grouped by their
-- stored hash first (key_hash, a fixed-size number, which DuckDB spills to
-- disk when the groups outgrow its memory: grouping 100 M pairs of texts
-- did not), and only the keys whose hash repeats are grouped as texts: a
-- hash shared by two different keys is not a finding. key_hash_matches
-- checks the hashes this test trusts.
WITH repeated AS (
    SELECT key_hash FROM dossiers GROUP BY key_hash HAVING count(*) > 1
)
SELECT ward_code, dossier_code, count(*) AS copies,
       'hồ sơ ' || dossier_code || ' của ' || ward_code || ' được lưu ' || count(*) || ' lần' AS problem,
       'dossier ' || dossier_code || ' of ' || ward_code || ' is stored ' || count(*) || ' times' AS problem_en
FROM dossiers
WHERE key_hash IN (SELECT key_hash FROM repeated)
GROUP BY ward_code, dossier_code HAVING count(*) > 1
