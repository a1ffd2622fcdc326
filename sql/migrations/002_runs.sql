-- Schema version 2: the scheduler's run ledger and per-source pull state.

CREATE SEQUENCE IF NOT EXISTS run_id_seq START 1;

-- One row per run of a job (pull of a source, build, export, report).
-- vi: Mỗi lần chạy một việc (kéo một nguồn, build, export, report) một
-- dòng.
CREATE TABLE IF NOT EXISTS job_runs (
    run_id        BIGINT PRIMARY KEY,
    job           VARCHAR NOT NULL,   -- pull | build | export | report
    source        VARCHAR,            -- the source of a pull
    trigger       VARCHAR NOT NULL,   -- schedule | catch-up | manual | backfill
    scheduled_for TIMESTAMP,          -- the cron time the run stands for (local)
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    status        VARCHAR NOT NULL,   -- running | ok | unchanged | failed | interrupted
    files         INTEGER,
    rows_loaded   BIGINT,
    rows_rejected BIGINT,
    error         VARCHAR
);

-- What the last pull of each HTTP source saw, to skip an unchanged export.
-- vi: Những gì lần kéo gần nhất của mỗi nguồn HTTP đã thấy, để bỏ qua tệp
-- xuất không đổi.
CREATE TABLE IF NOT EXISTS source_state (
    source        VARCHAR PRIMARY KEY,
    etag          VARCHAR,
    last_modified VARCHAR,
    checked_at    TIMESTAMP
);
