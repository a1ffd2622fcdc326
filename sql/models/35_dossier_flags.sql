-- dossier_flags: every dossier's yes / no flags (apology letter, paid
-- online, digitised) read as the marts read them. In dossiers a blank cell
-- and a column the export did not have both load as NULL; here a blank in
-- a column the export had is false (exports mark only the yes cells, "x"),
-- and NULL means unknown: the export had no such column (load_flag_columns).
-- mart_apology's without_apology and apology_unknown, and mart_index766's
-- shares, count these values.
-- vi: cờ có / không của mỗi hồ sơ (thư xin lỗi, thanh toán trực tuyến, số hoá)
-- đọc như các mart đọc. Trong bảng dossiers ô trống và cột tệp không có đều là
-- NULL; ở đây ô trống trong cột tệp có là "không" (tệp chỉ đánh dấu ô "có"), còn
-- NULL là không rõ: tệp không có cột đó. mart_apology và mart_index766 đếm theo
-- đúng các giá trị này.
CREATE OR REPLACE VIEW dossier_flags AS
SELECT d.ward_code, d.dossier_code, d.load_id,
       CASE WHEN coalesce(l.has_apology, false) THEN coalesce(d.apology_issued, false) ELSE d.apology_issued END AS apology_issued,
       CASE WHEN coalesce(l.has_paid_online, false) THEN coalesce(d.paid_online, false) ELSE d.paid_online END AS paid_online,
       CASE WHEN coalesce(l.has_digitised, false) THEN coalesce(d.digitised, false) ELSE d.digitised END AS digitised
FROM dossiers d
LEFT JOIN load_flag_columns l USING (load_id);
