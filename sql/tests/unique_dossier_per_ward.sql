-- Every dossier appears once per ward.
SELECT ward_code, dossier_code, count(*) AS copies,
       'hồ sơ ' || dossier_code || ' của ' || ward_code || ' được lưu ' || count(*) || ' lần' AS problem,
       'dossier ' || dossier_code || ' of ' || ward_code || ' is stored ' || count(*) || ' times' AS problem_en
FROM dossiers GROUP BY ward_code, dossier_code HAVING count(*) > 1
