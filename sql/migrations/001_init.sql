-- Schema version 1: the dossier warehouse.
-- Timestamps are Vietnam local time (UTC+7) without a zone: a period's days
-- are the local dates of these values.

CREATE SEQUENCE IF NOT EXISTS load_id_seq START 1;

-- One row per file loaded (or attempted and refused whole).
-- vi: Mỗi tệp đã nạp (hoặc đã thử nạp mà bị từ chối cả tệp) một dòng.
CREATE TABLE IF NOT EXISTS loads (
    load_id        BIGINT PRIMARY KEY,
    path           VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    ward_code      VARCHAR,          -- --ward given, else the single ward found, else NULL (several)
    source         VARCHAR,
    format         VARCHAR NOT NULL, -- csv | xlsx | json
    loaded_at      TIMESTAMP NOT NULL,
    rows_read      BIGINT NOT NULL,
    rows_loaded    BIGINT NOT NULL,  -- new + changed
    rows_new       BIGINT NOT NULL,
    rows_changed   BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL,
    rows_duplicate BIGINT NOT NULL,  -- repeated in the file, or same state as already stored
    rows_skipped   BIGINT NOT NULL,  -- title, blank, subtotal and footer rows (not data)
    header_map     JSON,             -- source column -> canonical field
    warnings       JSON
);

-- The current state of every dossier. apology_issued, paid_online and
-- digitised are NULL both for a blank cell and for a column the export did
-- not have; a blank in a column the export had means no, as the marts count
-- it: read those flags from dossier_flags (yes, no, or NULL for unknown).
-- vi: Trạng thái hiện tại của mọi hồ sơ. apology_issued, paid_online và
-- digitised là NULL cả khi ô trống lẫn khi tệp không có cột đó; ô trống trong
-- cột tệp có nghĩa là "không", như các mart đếm: hãy đọc các cờ này ở
-- dossier_flags (có, không, hoặc NULL là không rõ).
CREATE TABLE IF NOT EXISTS dossiers (
    ward_code               VARCHAR NOT NULL,
    dossier_code            VARCHAR NOT NULL,
    procedure_code          VARCHAR,
    procedure_name          VARCHAR,
    sector                  VARCHAR,
    channel                 VARCHAR NOT NULL, -- online | direct | postal
    online_level            VARCHAR,          -- full | partial | none
    status                  SMALLINT,         -- national catalogue 0..10
    submitted_at            TIMESTAMP,
    received_at             TIMESTAMP NOT NULL,
    due_at                  TIMESTAMP,
    completed_at            TIMESTAMP,
    returned_at             TIMESTAMP,
    withdrawn_at            TIMESTAMP,
    supplement_requested_at TIMESTAMP,
    supplement_received_at  TIMESTAMP,
    apology_issued          BOOLEAN,
    paid_online             BOOLEAN,
    fee                     DOUBLE,
    digitised               BOOLEAN,
    applicant_key           VARCHAR,          -- HMAC-SHA256 of the applicant's identity, hex (its first 128 bits since schema 5)
    load_id                 BIGINT NOT NULL,  -- the load this state came from
    source_row              BIGINT NOT NULL,  -- its row in that load's file
    state_hash              UBIGINT NOT NULL,
    first_load_id           BIGINT NOT NULL
);

-- Every distinct state ever seen of every dossier.
CREATE TABLE IF NOT EXISTS dossier_versions (
    ward_code               VARCHAR NOT NULL,
    dossier_code            VARCHAR NOT NULL,
    procedure_code          VARCHAR,
    procedure_name          VARCHAR,
    sector                  VARCHAR,
    channel                 VARCHAR NOT NULL,
    online_level            VARCHAR,
    status                  SMALLINT,
    submitted_at            TIMESTAMP,
    received_at             TIMESTAMP NOT NULL,
    due_at                  TIMESTAMP,
    completed_at            TIMESTAMP,
    returned_at             TIMESTAMP,
    withdrawn_at            TIMESTAMP,
    supplement_requested_at TIMESTAMP,
    supplement_received_at  TIMESTAMP,
    apology_issued          BOOLEAN,
    paid_online             BOOLEAN,
    fee                     DOUBLE,
    digitised               BOOLEAN,
    applicant_key           VARCHAR,
    load_id                 BIGINT NOT NULL,
    source_row              BIGINT NOT NULL,
    state_hash              UBIGINT NOT NULL
);

-- Rows that could not be trusted, with the reason.
CREATE TABLE IF NOT EXISTS rejects (
    load_id     BIGINT NOT NULL,
    source_row  BIGINT NOT NULL,
    reason_code VARCHAR NOT NULL,
    column_name VARCHAR,   -- the file's own header
    value       VARCHAR,
    reason      VARCHAR NOT NULL,
    raw_row     JSON       -- the row's recognised, non-personal cells
);

-- The unit registry: wards with their district and province over time.
-- vi: Danh mục đơn vị: xã, phường cùng huyện và tỉnh của chúng theo thời
-- gian.
CREATE TABLE IF NOT EXISTS units (
    code       VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    district   VARCHAR,
    province   VARCHAR,
    valid_from DATE,
    valid_to   DATE
);

-- The national status catalogue.
-- vi: Danh mục trạng thái hồ sơ quốc gia.
CREATE TABLE IF NOT EXISTS statuses (
    status   SMALLINT PRIMARY KEY,
    label_vi VARCHAR NOT NULL,
    label_en VARCHAR NOT NULL,
    counted  BOOLEAN NOT NULL  -- false: excluded from every figure
);
INSERT OR REPLACE INTO statuses VALUES
    (0, 'Chuyển xử lý', 'transferred', true),
    (1, 'Nộp trực tuyến, chưa tiếp nhận', 'submitted online, not accepted', false),
    (2, 'Đã tiếp nhận', 'accepted', true),
    (3, 'Từ chối tiếp nhận', 'refused at intake', false),
    (4, 'Đang xử lý', 'processing', true),
    (5, 'Chờ bổ sung', 'awaiting supplement', true),
    (6, 'Chờ nộp phí', 'awaiting fee', true),
    (7, 'Rút hồ sơ', 'withdrawn', true),
    (8, 'Dừng xử lý', 'processing stopped', true),
    (9, 'Đã có kết quả', 'finished', true),
    (10, 'Đã trả kết quả', 'result returned', true);
