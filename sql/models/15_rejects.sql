-- reject_reasons: the reason of each reject code in Vietnamese and English,
-- one row per code, made from RejectRules (warehouse/rejectrules.go);
-- {value} is the file's value, {cells} and {columns} the counts of a row
-- with more cells than its header.
-- vi: lý do của mỗi mã loại dòng bằng tiếng Việt và tiếng Anh, mỗi mã một
-- dòng; {value} là giá trị trong tệp, {cells} và {columns} là số ô và số
-- cột của dòng có nhiều ô hơn dòng tiêu đề.
CREATE OR REPLACE VIEW reject_reasons AS
SELECT * FROM (VALUES
    /* RejectRules */ -- the rows: warehouse/rejectrules.go
) AS t(reason_code, reason_vi, reason_en);

-- ws_reject_reason(text, value): a reason's text with the reject's value in it
-- ({date} is the value unquoted).
CREATE OR REPLACE MACRO ws_reject_reason(text, value) AS
    replace(replace(replace(replace(text,
        '{value}', '"' || coalesce(value, '') || '"'),
        '{date}', coalesce(value, '')),
        '{cells}', split_part(coalesce(value, ''), '/', 1)),
        '{columns}', split_part(coalesce(value, ''), '/', 2));

-- rejects: the rows that could not be trusted, with the reason in
-- Vietnamese (reason) and English (reason_en), from reject_reasons.
-- vi: các dòng không tin được, kèm lý do bằng tiếng Việt (reason) và tiếng
-- Anh (reason_en), lấy từ reject_reasons.
CREATE OR REPLACE VIEW rejects AS
SELECT r.load_id, r.source_row, r.reason_code, r.column_name, r.value,
       coalesce(ws_reject_reason(t.reason_vi, r.value), r.reason_code) AS reason,
       coalesce(ws_reject_reason(t.reason_en, r.value), r.reason_code) AS reason_en,
       r.raw_row
FROM reject_rows r
LEFT JOIN reject_reasons t USING (reason_code);
