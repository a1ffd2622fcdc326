-- Every dossier appears once per ward. The keys are grouped by their hash
-- first (a fixed-size key, which DuckDB spills to disk when the groups
-- outgrow its memory: grouping 100 M pairs of texts did not), and only the
-- keys whose hash repeats are grouped as texts: a hash shared by two
-- different keys is not a finding.
WITH repeated AS (
    SELECT hash(ward_code, dossier_code) AS h FROM dossiers GROUP BY h HAVING count(*) > 1
)
SELECT ward_code, dossier_code, count(*) AS copies,
       'hồ sơ ' || dossier_code || ' của ' || ward_code || ' được lưu ' || count(*) || ' lần' AS problem,
       'dossier ' || dossier_code || ' of ' || ward_code || ' is stored ' || count(*) || ' times' AS problem_en
FROM dossiers
WHERE hash(ward_code, dossier_code) IN (SELECT h FROM repeated)
GROUP BY ward_code, dossier_code HAVING count(*) > 1
