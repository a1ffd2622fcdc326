-- Channel, online level and status hold only the catalogue's values. (The
-- first two are ENUMs since schema 7: a load cannot store another.)
SELECT ward_code, dossier_code,
       'giá trị lạ: hình thức nộp ' || coalesce(channel, 'NULL') || ', mức độ trực tuyến ' || coalesce(online_level, 'NULL')
       || ', trạng thái ' || coalesce(status::VARCHAR, 'NULL') AS problem,
       'unexpected value: channel ' || coalesce(channel, 'NULL') || ', online level ' || coalesce(online_level, 'NULL')
       || ', status ' || coalesce(status::VARCHAR, 'NULL') AS problem_en
FROM dossiers
WHERE channel NOT IN ('online', 'direct', 'postal')
   OR (online_level IS NOT NULL AND online_level NOT IN ('full', 'partial', 'none'))
   OR (status IS NOT NULL AND status NOT BETWEEN 0 AND 10)
