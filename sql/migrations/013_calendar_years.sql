-- Schema version 13: where each year of the working-day calendar comes from.

-- calendar_years: one row per year of calendar_days. source is 'announced'
-- (the government's announced schedule for public servants, built into
-- wardstat), 'imported' (`wardstat calendar import`, which replaced the
-- year) or 'rule' (the Labour Code's rules: a guess, for a year not yet
-- announced). detail cites the announcements; fingerprint identifies the
-- days written, so that a build with a new announcement writes the year
-- again (an imported year is kept).
-- vi: mỗi năm của calendar_days một dòng. source là 'announced' (lịch nghỉ
-- Chính phủ thông báo cho cán bộ, công chức, có sẵn trong wardstat),
-- 'imported' (nhập bằng wardstat calendar import, thay cho cả năm) hoặc 'rule'
-- (theo quy tắc của Bộ luật Lao động: ước đoán, cho năm chưa có thông báo).
CREATE TABLE IF NOT EXISTS calendar_years (
    year        INTEGER PRIMARY KEY,
    source      VARCHAR NOT NULL,
    detail      VARCHAR,
    fingerprint VARCHAR NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- Every day with whether it is a working day, 2015-2035: each year as
-- calendar_years says (the announced schedule, an imported year, or the
-- rule's guess). Made by migration 003; this states what it now holds.
-- vi: mọi ngày 2015-2035, có phải ngày làm việc hay không: mỗi năm theo
-- calendar_years (lịch thông báo, năm đã nhập, hoặc ước đoán của quy tắc).
CREATE TABLE IF NOT EXISTS calendar_days (
    day     DATE PRIMARY KEY,
    working BOOLEAN NOT NULL,
    note    VARCHAR
);
