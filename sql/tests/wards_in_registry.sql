-- Every ward is in the unit registry (skipped while the registry is empty).
SELECT DISTINCT ward_code, NULL AS dossier_code,
       'đơn vị ' || ward_code || ' chưa có trong danh mục đơn vị: hãy thêm vào tệp CSV danh mục' AS problem,
       'ward ' || ward_code || ' is not in the unit registry: add it to the units CSV' AS problem_en
FROM dossiers
WHERE ward_code NOT IN (SELECT code FROM units) AND (SELECT count(*) FROM units) > 0
