-- A load's first step: type the staged text of one file (temp.stage_raw),
-- apply the status rules, and give every row that cannot be trusted a reason.
-- Template data: .WardFlag (SQL literal or NULL), .Fast "field" and
-- .SlowDates (see warehouse/dates.go).

CREATE OR REPLACE TEMP TABLE stage_typed AS
WITH
-- Categorical cells hold few distinct texts: parse each text once.
channel_map AS MATERIALIZED (
    SELECT raw, ws_channel(raw) AS channel, ws_online_level(raw) AS level_from_channel
    FROM (SELECT DISTINCT coalesce(channel, '') AS raw FROM stage_raw)
),
level_map AS (
    SELECT raw, ws_online_level(raw) AS online_level
    FROM (SELECT DISTINCT coalesce(online_level, '') AS raw FROM stage_raw)
),
status_map AS (
    SELECT raw, ws_status(raw) AS status
    FROM (SELECT DISTINCT coalesce(status, '') AS raw FROM stage_raw)
),
flag_map AS MATERIALIZED (
    SELECT raw, ws_bool(raw) AS flag
    FROM (SELECT DISTINCT coalesce(apology_issued, '') AS raw FROM stage_raw
          UNION SELECT DISTINCT coalesce(paid_online, '') FROM stage_raw
          UNION SELECT DISTINCT coalesce(digitised, '') FROM stage_raw)
),
fee_map AS (
    SELECT raw, ws_fee(raw) AS fee
    FROM (SELECT DISTINCT coalesce(fee, '') AS raw FROM stage_raw)
),
-- Registry names, to turn a ward-name column into codes; ambiguous names are left out.
unit_names AS (
    SELECT regexp_replace(ws_key(name), '^(ubnd |uy ban nhan dan )?(phuong |xa |thi tran |dac khu )?', '') AS name_key,
           min(code) AS code
    FROM units
    GROUP BY ALL
    HAVING count(DISTINCT code) = 1
),
ward_map AS (
    SELECT raw, u.code
    FROM (SELECT DISTINCT coalesce(ward_name, '') AS raw FROM stage_raw) n
    JOIN unit_names u
      ON u.name_key = regexp_replace(ws_key(n.raw), '^(ubnd |uy ban nhan dan )?(phuong |xa |thi tran |dac khu )?', '')
),
-- Dates: each column's usual style (picked from a sample, .Fast) goes
-- through vectorised strptime; every other distinct text (ISO with an
-- offset, serials, portal stamps, a stray style…) is read once by the full
-- parser.
slow_dates AS MATERIALIZED (
    SELECT field, raw, ws_ts_in_range(ws_ts_any(raw)) AS ts
    FROM ({{.SlowDates}})
),
parsed AS (
    SELECT
        s.source_row,
        ws_cell(s.dossier_code) AS dossier_code,
        coalesce(ws_cell(s.ward_code), wm.code, {{.WardFlag}}, ws_dossier_prefix(ws_cell(s.dossier_code))) AS ward_code,
        ws_cell(s.procedure_code) AS procedure_code,
        ws_cell(s.procedure_name) AS procedure_name,
        ws_cell(s.sector) AS sector,
        cm.channel,
        coalesce(lm.online_level,
                 CASE WHEN cm.channel = 'online' THEN cm.level_from_channel
                      WHEN cm.channel IN ('direct', 'postal') THEN 'none' END) AS online_level,
        sm.status,
        coalesce({{.Fast "submitted_at"}}, d0.ts) AS submitted_at,
        coalesce({{.Fast "received_at"}}, d1.ts) AS received_at,
        coalesce({{.Fast "due_at"}}, d2.ts) AS due_at,
        coalesce({{.Fast "completed_at"}}, d3.ts) AS completed_in,
        coalesce({{.Fast "returned_at"}}, d4.ts) AS returned_at,
        coalesce({{.Fast "withdrawn_at"}}, d5.ts) AS withdrawn_in,
        coalesce({{.Fast "supplement_requested_at"}}, d6.ts) AS supplement_requested_at,
        coalesce({{.Fast "supplement_received_at"}}, d7.ts) AS supplement_received_at,
        fa.flag AS apology_issued,
        fp.flag AS paid_online,
        fm.fee,
        fd.flag AS digitised,
        nullif(s.applicant_key, '') AS applicant_key,
        -- the raw text, for reasons and warnings
        s.channel AS channel_raw, s.status AS status_raw, s.online_level AS online_level_raw,
        s.submitted_at AS submitted_at_raw, s.received_at AS received_at_raw, s.due_at AS due_at_raw,
        s.completed_at AS completed_at_raw, s.returned_at AS returned_at_raw, s.withdrawn_at AS withdrawn_at_raw,
        s.supplement_requested_at AS supplement_requested_at_raw, s.supplement_received_at AS supplement_received_at_raw,
        s.apology_issued AS apology_issued_raw, s.paid_online AS paid_online_raw, s.fee AS fee_raw, s.digitised AS digitised_raw
    FROM stage_raw s
    LEFT JOIN channel_map cm ON cm.raw = coalesce(s.channel, '')
    LEFT JOIN level_map lm ON lm.raw = coalesce(s.online_level, '')
    LEFT JOIN status_map sm ON sm.raw = coalesce(s.status, '')
    LEFT JOIN flag_map fa ON fa.raw = coalesce(s.apology_issued, '')
    LEFT JOIN flag_map fp ON fp.raw = coalesce(s.paid_online, '')
    LEFT JOIN flag_map fd ON fd.raw = coalesce(s.digitised, '')
    LEFT JOIN fee_map fm ON fm.raw = coalesce(s.fee, '')
    LEFT JOIN ward_map wm ON wm.raw = coalesce(s.ward_name, '')
    LEFT JOIN (SELECT raw, ts FROM slow_dates WHERE field = 'submitted_at') d0 ON d0.raw = trim(s.submitted_at)
    LEFT JOIN (SELECT raw, ts FROM slow_dates WHERE field = 'received_at') d1 ON d1.raw = trim(s.received_at)
    LEFT JOIN (SELECT raw, ts FROM slow_dates WHERE field = 'due_at') d2 ON d2.raw = trim(s.due_at)
    LEFT JOIN (SELECT raw, ts FROM slow_dates WHERE field = 'completed_at') d3 ON d3.raw = trim(s.completed_at)
    LEFT JOIN (SELECT raw, ts FROM slow_dates WHERE field = 'returned_at') d4 ON d4.raw = trim(s.returned_at)
    LEFT JOIN (SELECT raw, ts FROM slow_dates WHERE field = 'withdrawn_at') d5 ON d5.raw = trim(s.withdrawn_at)
    LEFT JOIN (SELECT raw, ts FROM slow_dates WHERE field = 'supplement_requested_at') d6 ON d6.raw = trim(s.supplement_requested_at)
    LEFT JOIN (SELECT raw, ts FROM slow_dates WHERE field = 'supplement_received_at') d7 ON d7.raw = trim(s.supplement_received_at)
    -- Title, subtotal and footer lines are not dossiers: the load counts them as skipped.
    WHERE NOT ws_non_data(s.dossier_code, s.received_at, s.first_cell)
),
ruled AS (
    -- Status rules (DOMAIN.md): a result returned is a result ready, so a
    -- missing completion date is the return date; a withdrawn or stopped
    -- dossier ends on its withdrawal date, else on the date the export gives
    -- for its end of processing; a dossier never both completes and withdraws.
    SELECT *,
        CASE
            WHEN status IN (7, 8) THEN NULL
            WHEN withdrawn_in IS NOT NULL AND coalesce(status, -1) NOT IN (9, 10) THEN NULL
            ELSE coalesce(completed_in, returned_at)
        END AS completed_at,
        CASE
            WHEN status IN (7, 8) THEN coalesce(withdrawn_in, completed_in, returned_at)
            WHEN status IN (9, 10) THEN NULL
            ELSE withdrawn_in
        END AS withdrawn_at
    FROM parsed
)
SELECT *,
    CASE WHEN due_at IS NOT NULL THEN 'export' END AS due_source,
    CASE
        WHEN dossier_code IS NULL THEN 'missing_code'
        WHEN coalesce(trim(received_at_raw), '') = '' THEN 'missing_received'
        WHEN received_at IS NULL THEN 'bad_date:received_at'
        WHEN nullif(trim(due_at_raw), '') IS NOT NULL AND due_at IS NULL THEN 'bad_date:due_at'
        WHEN nullif(trim(completed_at_raw), '') IS NOT NULL AND completed_in IS NULL THEN 'bad_date:completed_at'
        WHEN nullif(trim(withdrawn_at_raw), '') IS NOT NULL AND withdrawn_in IS NULL THEN 'bad_date:withdrawn_at'
        WHEN nullif(trim(returned_at_raw), '') IS NOT NULL AND returned_at IS NULL THEN 'bad_date:returned_at'
        WHEN nullif(trim(submitted_at_raw), '') IS NOT NULL AND submitted_at IS NULL THEN 'bad_date:submitted_at'
        WHEN nullif(trim(supplement_requested_at_raw), '') IS NOT NULL AND supplement_requested_at IS NULL THEN 'bad_date:supplement_requested_at'
        WHEN nullif(trim(supplement_received_at_raw), '') IS NOT NULL AND supplement_received_at IS NULL THEN 'bad_date:supplement_received_at'
        WHEN channel IS NULL THEN 'bad_channel'
        WHEN ward_code IS NULL THEN 'no_ward'
        WHEN status IN (7, 8) AND withdrawn_at IS NULL THEN 'closed_without_date'
        WHEN status IN (9, 10) AND completed_at IS NULL THEN 'closed_without_date'
        WHEN completed_at::DATE < received_at::DATE THEN 'completed_before_received'
        WHEN withdrawn_at::DATE < received_at::DATE THEN 'withdrawn_before_received'
        WHEN due_at::DATE < received_at::DATE THEN 'due_before_received'
    END AS reject_code
FROM ruled;

-- A dossier whose export gives no due date gets one from the procedure
-- catalogue: its allowed working days counted from the day of receipt (from
-- the next day when received at 15:00 or later), skipping days off.
UPDATE stage_typed t
SET due_at = c.day::TIMESTAMP, due_source = 'catalogue'
FROM (
    SELECT s.source_row, coalesce(pc.working_days, pn.working_days) AS n,
           CASE WHEN hour(s.received_at) >= 15 THEN s.received_at::DATE + 1 ELSE s.received_at::DATE END AS start_day
    FROM stage_typed s
    LEFT JOIN (SELECT procedure_code, min(working_days) AS working_days FROM procedures
               WHERE procedure_code IS NOT NULL GROUP BY 1) pc ON pc.procedure_code = s.procedure_code
    LEFT JOIN (SELECT ws_key(procedure_name) AS name_key, min(working_days) AS working_days FROM procedures
               WHERE procedure_name IS NOT NULL GROUP BY 1) pn ON pc.procedure_code IS NULL AND pn.name_key = ws_key(s.procedure_name)
    WHERE s.due_at IS NULL AND s.received_at IS NOT NULL AND s.reject_code IS NULL
) x
JOIN calendar_cum c0 ON c0.day = x.start_day - 1
JOIN calendar_cum c ON c.working AND c.cum = c0.cum + 1 + x.n
WHERE t.source_row = x.source_row AND x.n IS NOT NULL;
