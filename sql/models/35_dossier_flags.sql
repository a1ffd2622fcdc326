-- flag_read(flag, had_column): a stored flag as read: a blank (NULL) is
-- false when the export had the column, unknown (NULL) when it had none.
-- The lake's dossiers read their flags through it too (warehouse/lake_facts.go).
-- vi: cờ như được đọc: ô trống là "không" khi tệp có cột đó, NULL khi không có.
CREATE OR REPLACE MACRO flag_read(flag, had_column) AS
    CASE WHEN coalesce(had_column, false) THEN coalesce(flag, false) ELSE flag END;

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
       flag_read(d.apology_issued, l.has_apology) AS apology_issued,
       flag_read(d.paid_online, l.has_paid_online) AS paid_online,
       flag_read(d.digitised, l.has_digitised) AS digitised
FROM dossiers d
LEFT JOIN load_flag_columns l USING (load_id);
