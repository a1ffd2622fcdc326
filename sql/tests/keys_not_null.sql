-- Keys and the receipt date are never empty.
SELECT ward_code, dossier_code, 'một hồ sơ không có ' ||
       CASE WHEN ward_code IS NULL OR ward_code = '' THEN 'mã đơn vị'
            WHEN dossier_code IS NULL OR dossier_code = '' THEN 'mã hồ sơ'
            ELSE 'ngày tiếp nhận' END AS problem,
       'a dossier has no ' ||
       CASE WHEN ward_code IS NULL OR ward_code = '' THEN 'ward code'
            WHEN dossier_code IS NULL OR dossier_code = '' THEN 'dossier code'
            ELSE 'receipt date' END AS problem_en
FROM dossiers
WHERE ward_code IS NULL OR ward_code = '' OR dossier_code IS NULL OR dossier_code = '' OR received_at IS NULL
