-- Every dossier appears once per ward.
SELECT ward_code, dossier_code, count(*) AS copies,
       'dossier ' || dossier_code || ' of ' || ward_code || ' is stored ' || count(*) || ' times' AS problem
FROM dossiers GROUP BY ward_code, dossier_code HAVING count(*) > 1
