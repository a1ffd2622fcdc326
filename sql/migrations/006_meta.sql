-- Schema version 6: facts about the warehouse itself, such as the
-- fingerprint of the applicant-hash key its loads used (a load with another
-- key is refused: every applicant would get a new key and every dossier
-- would look changed).
-- vi: thông tin về chính kho, như dấu vân tay của khóa băm người nộp mà các
-- lần nạp đã dùng (lần nạp với khóa khác bị từ chối: mọi người nộp sẽ có mã
-- mới và mọi hồ sơ trông như đã thay đổi).
CREATE TABLE IF NOT EXISTS meta (
    name  VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
