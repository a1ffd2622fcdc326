-- Keys and the receipt date are never empty.
SELECT ward_code, dossier_code, 'a dossier has no ' ||
       CASE WHEN ward_code IS NULL OR ward_code = '' THEN 'ward code'
            WHEN dossier_code IS NULL OR dossier_code = '' THEN 'dossier code'
            ELSE 'receipt date' END AS problem
FROM dossiers
WHERE ward_code IS NULL OR ward_code = '' OR dossier_code IS NULL OR dossier_code = '' OR received_at IS NULL
