-- reject_reasons: the reason of each reject code in Vietnamese and English,
-- one row per code; {value} is the file's value, {cells} and {columns} the
-- counts of a row with more cells than its header.
-- vi: lý do của mỗi mã loại dòng bằng tiếng Việt và tiếng Anh, mỗi mã một
-- dòng; {value} là giá trị trong tệp, {cells} và {columns} là số ô và số
-- cột của dòng có nhiều ô hơn dòng tiêu đề.
CREATE OR REPLACE VIEW reject_reasons AS
SELECT * FROM (VALUES
    ('missing_code', 'không có mã hồ sơ: không phân biệt được dòng này với các dòng khác',
        'no dossier code: the row cannot be told apart from others'),
    ('missing_received', 'không có ngày tiếp nhận: không xếp được dòng vào kỳ nào',
        'no receipt date: the row cannot be placed in any period'),
    ('bad_date:received_at', 'không đọc được ngày tiếp nhận {value}; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd',
        'unreadable receipt date {value}; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd'),
    ('bad_date:due_at', 'không đọc được ngày hẹn trả {value}; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd',
        'unreadable due date {value}; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd'),
    ('bad_date:completed_at', 'không đọc được ngày có kết quả {value}; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd',
        'unreadable completion date {value}; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd'),
    ('bad_date:withdrawn_at', 'không đọc được ngày rút/dừng {value}; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd',
        'unreadable withdrawal date {value}; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd'),
    ('bad_date:returned_at', 'không đọc được ngày trả kết quả {value}; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd',
        'unreadable return date {value}; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd'),
    ('bad_date:submitted_at', 'không đọc được ngày nộp {value}; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd',
        'unreadable submission date {value}; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd'),
    ('bad_date:supplement_requested_at', 'không đọc được ngày yêu cầu bổ sung {value}; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd',
        'unreadable supplement request date {value}; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd'),
    ('bad_date:supplement_received_at', 'không đọc được ngày nhận bổ sung {value}; hãy ghi dạng dd/mm/yyyy [HH:MM] hoặc yyyy-mm-dd',
        'unreadable supplement date {value}; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd'),
    ('bad_channel', 'không rõ hình thức nộp {value}; cần trực tuyến / trực tiếp / bưu chính hoặc 2 / 1 / 3',
        'unknown channel {value}; expected online / direct / postal (trực tuyến / trực tiếp / bưu chính) or 2 / 1 / 3'),
    ('no_ward', 'không biết hồ sơ thuộc đơn vị nào: tệp không có cột đơn vị và mã hồ sơ không có tiền tố đơn vị; hãy nạp lại với --ward MÃ',
        'cannot tell the ward: the file has no unit column and the dossier code has no unit prefix; ingest it with --ward CODE'),
    ('closed_without_date', 'trạng thái {value} cho biết hồ sơ đã kết thúc nhưng dòng không có ngày có kết quả, ngày trả hay ngày rút, nên không kỳ nào tính được; hãy xuất kèm ngày đó, hoặc chỉ cột bằng --map completed_at=... / --map withdrawn_at=...',
        'the status {value} says the dossier is closed but the row has no completion, return or withdrawal date, so no period can count it; export that date, or name its column with --map completed_at=... / --map withdrawn_at=...'),
    ('completed_before_received', 'ngày có kết quả {date} trước ngày tiếp nhận',
        'completed on {date}, before it was received'),
    ('withdrawn_before_received', 'ngày rút/dừng {date} trước ngày tiếp nhận',
        'withdrawn on {date}, before it was received'),
    ('due_before_received', 'ngày hẹn trả {date} trước ngày tiếp nhận',
        'due on {date}, before it was received'),
    ('unclosed_quote', 'ngoặc kép không đóng: một ô mở dấu " ở dòng này mà không đóng trong vài dòng (hoặc có dấu " lạc trong ô); dòng này không được đọc, các dòng sau vẫn được đọc; hãy sửa dấu ngoặc kép',
        'unclosed quote: a cell opens a quote on this line that does not close within a few lines (or holds a stray quote); this line was not read, the lines after it were; fix its quotes'),
    ('too_long', 'dòng (hoặc một ô của dòng) quá giới hạn kích thước: không được đọc, các dòng sau vẫn được đọc',
        'the line (or one of its cells) is over the size limit: it was not read, the lines after it were'),
    ('extra_cells', 'dòng có {cells} ô, nhiều hơn {columns} cột của dòng tiêu đề: có lẽ một ô chứa dấu phân cách mà không đặt trong ngoặc kép (họ tên, địa chỉ có dấu phẩy); dòng này không được đọc, các dòng sau vẫn được đọc; hãy đặt ô đó trong ngoặc kép',
        'the row has {cells} cells, more than the {columns} columns of the header: a cell probably holds the delimiter unquoted (a name or an address with a comma); this line was not read, the lines after it were; quote that cell'),
    ('bad_encoding', 'dòng có byte không đúng mã hoá UTF-8 của tệp: không được đọc; hãy sửa các ký tự đó hoặc lưu lại tệp dạng UTF-8',
        'the row holds bytes that are not UTF-8, the file''s encoding: it was not read; fix those characters or save the file again as UTF-8')
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
