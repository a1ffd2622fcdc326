-- A load's first step: type the staged text of one file (temp.stage_raw),
-- apply the status rules, and give every row that cannot be trusted a reason.
-- Template data: .WardFlag (SQL literal or NULL), .Header "field" (the file's
-- own column name as an SQL literal), .RawRow (a json_object(...) expression).

CREATE OR REPLACE TEMP TABLE stage_typed AS
WITH unit_names AS (
    -- registry names, to turn a ward-name column into codes; ambiguous names are left out
    SELECT regexp_replace(ws_key(name), '^(ubnd |uy ban nhan dan )?(phuong |xa |thi tran |dac khu )?', '') AS name_key,
           min(code) AS code
    FROM units
    GROUP BY ALL
    HAVING count(DISTINCT code) = 1
),
raw AS (
    SELECT s.*,
           nullif(trim(s.dossier_code), '') AS code_in,
           u.code AS ward_from_name
    FROM stage_raw s
    LEFT JOIN unit_names u
           ON u.name_key = regexp_replace(ws_key(s.ward_name), '^(ubnd |uy ban nhan dan )?(phuong |xa |thi tran |dac khu )?', '')
),
parsed AS (
    SELECT
        source_row,
        code_in AS dossier_code,
        coalesce(nullif(trim(ward_code), ''), ward_from_name, {{.WardFlag}}, ws_dossier_prefix(code_in)) AS ward_code,
        nullif(procedure_code, '') AS procedure_code,
        nullif(procedure_name, '') AS procedure_name,
        nullif(sector, '') AS sector,
        ws_channel(channel) AS channel,
        coalesce(ws_online_level(online_level),
                 CASE WHEN ws_channel(channel) = 'online' THEN ws_online_level(channel)
                      WHEN ws_channel(channel) IN ('direct', 'postal') THEN 'none' END) AS online_level,
        ws_status(status) AS status,
        ws_ts(submitted_at) AS submitted_at,
        ws_ts(received_at) AS received_at,
        ws_ts(due_at) AS due_at,
        ws_ts(completed_at) AS completed_in,
        ws_ts(returned_at) AS returned_at,
        ws_ts(withdrawn_at) AS withdrawn_in,
        ws_ts(supplement_requested_at) AS supplement_requested_at,
        ws_ts(supplement_received_at) AS supplement_received_at,
        ws_bool(apology_issued) AS apology_issued,
        ws_bool(paid_online) AS paid_online,
        ws_fee(fee) AS fee,
        ws_bool(digitised) AS digitised,
        nullif(applicant_key, '') AS applicant_key,
        -- the raw text, for reasons and warnings
        channel AS channel_raw, status AS status_raw, online_level AS online_level_raw,
        submitted_at AS submitted_at_raw, received_at AS received_at_raw, due_at AS due_at_raw,
        completed_at AS completed_at_raw, returned_at AS returned_at_raw, withdrawn_at AS withdrawn_at_raw,
        supplement_requested_at AS supplement_requested_at_raw, supplement_received_at AS supplement_received_at_raw,
        apology_issued AS apology_issued_raw, paid_online AS paid_online_raw, fee AS fee_raw, digitised AS digitised_raw,
        {{.RawRow}} AS raw_row
    FROM raw
),
ruled AS (
    -- Status rules (DOMAIN.md): a result returned is a result ready, so a
    -- missing completion date is the return date; a withdrawn or stopped
    -- dossier ends on its withdrawal date, else on the date the export gives
    -- for its end of processing; a dossier never both completes and withdraws.
    SELECT * EXCLUDE (completed_in, withdrawn_in),
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
    CASE
        WHEN dossier_code IS NULL THEN 'missing_code'
        WHEN coalesce(trim(received_at_raw), '') = '' THEN 'missing_received'
        WHEN received_at IS NULL THEN 'bad_date:received_at'
        WHEN nullif(trim(due_at_raw), '') IS NOT NULL AND due_at IS NULL THEN 'bad_date:due_at'
        WHEN nullif(trim(completed_at_raw), '') IS NOT NULL AND ws_ts(completed_at_raw) IS NULL THEN 'bad_date:completed_at'
        WHEN nullif(trim(withdrawn_at_raw), '') IS NOT NULL AND ws_ts(withdrawn_at_raw) IS NULL THEN 'bad_date:withdrawn_at'
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
