-- Schema version 12: a reject's reason is said from its code in the
-- reader's language (the view rejects, sql/models/15_rejects.sql), no
-- longer stored as English text; the rows keep their code and value.

-- The rows that could not be trusted: the load and file row, the reason's
-- code, the file's column and value, and the row's recognised, non-personal
-- cells. The view rejects says each reason in words.
-- vi: các dòng không tin được: lần nạp và dòng trong tệp, mã lý do, cột và
-- giá trị trong tệp, và các ô nhận ra được, không có dữ liệu cá nhân. View
-- rejects nói lý do bằng lời.
ALTER TABLE rejects RENAME TO reject_rows;
ALTER TABLE reject_rows DROP COLUMN reason;
