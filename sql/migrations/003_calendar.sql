-- Schema version 3: the working-day calendar, the procedure catalogue,
-- where a dossier's due date came from, and figures wards report themselves.

-- Every day with whether it is a working day (filled by wardstat for
-- 2015-2035 from the Labour Code's rules; `wardstat calendar import`
-- adds the government's yearly swaps).
-- vi: Mọi ngày, có phải ngày làm việc hay không (wardstat điền các năm
-- 2015-2035 theo Bộ luật Lao động; `wardstat calendar import` thêm các ngày
-- hoán đổi hằng năm của Chính phủ).
CREATE TABLE IF NOT EXISTS calendar_days (
    day     DATE PRIMARY KEY,
    working BOOLEAN NOT NULL,
    note    VARCHAR
);

-- The procedure catalogue: allowed working days, to compute a due date an
-- export lacks.
-- vi: Danh mục thủ tục: số ngày làm việc được phép, để tính ngày hẹn trả
-- khi tệp xuất thiếu.
CREATE TABLE IF NOT EXISTS procedures (
    procedure_code VARCHAR,
    procedure_name VARCHAR,
    sector         VARCHAR,
    working_days   INTEGER NOT NULL
);

-- export | catalogue; NULL when the due date is unknown.
ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS due_source VARCHAR;
ALTER TABLE dossier_versions ADD COLUMN IF NOT EXISTS due_source VARCHAR;

-- The form as a ward reported it itself, to reconcile with the dossiers.
-- vi: Biểu do xã, phường tự báo cáo, để đối chiếu với hồ sơ.
CREATE TABLE IF NOT EXISTS ward_reports (
    load_id          BIGINT NOT NULL,
    ward_code        VARCHAR NOT NULL,
    period_start     DATE NOT NULL,
    period_end       DATE NOT NULL,
    received_total   BIGINT,
    carried_over     BIGINT,
    new_online       BIGINT,
    new_direct       BIGINT,
    new_postal       BIGINT,
    resolved_total   BIGINT,
    resolved_early   BIGINT,
    resolved_on_time BIGINT,
    resolved_late    BIGINT,
    withdrawn        BIGINT,
    pending_total    BIGINT,
    pending_in_time  BIGINT,
    pending_overdue  BIGINT
);
