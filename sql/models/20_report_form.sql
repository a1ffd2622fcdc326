-- The periodic report form (Biểu 06, Circular 01/2020/TT-VPCP) by the rules
-- in DOMAIN.md. Every figure is judged from dates (Vietnam local days), never
-- from the export's status column, so a past period reads the same whenever
-- the export was pulled. Dossiers submitted online but never accepted
-- (status 1) and refused at intake (status 3) count nowhere.

-- dossier_days: each counted dossier with the local days the rules use.
CREATE OR REPLACE VIEW dossier_days AS
SELECT d.ward_code, d.dossier_code, d.channel,
       d.received_at::DATE  AS received_day,
       d.due_at::DATE       AS due_day,
       d.completed_at::DATE AS completed_day,
       d.withdrawn_at::DATE AS withdrawn_day
FROM dossiers d
WHERE d.status IS NULL OR d.status NOT IN (1, 3);

-- form_counts(start, end): the form's counted columns per ward for the
-- inclusive local-date period [start, end].
CREATE OR REPLACE MACRO form_counts(period_start, period_end) AS TABLE
SELECT
    ward_code,
    count(*) FILTER (WHERE received_day < period_start::DATE)                                  AS carried_over,
    count(*) FILTER (WHERE received_day >= period_start::DATE AND channel = 'online')          AS new_online,
    count(*) FILTER (WHERE received_day >= period_start::DATE AND channel = 'direct')          AS new_direct,
    count(*) FILTER (WHERE received_day >= period_start::DATE AND channel = 'postal')          AS new_postal,
    count(*) FILTER (WHERE completed_day <= period_end::DATE)                                  AS resolved_total,
    count(*) FILTER (WHERE completed_day <= period_end::DATE AND completed_day < due_day)      AS resolved_early,
    count(*) FILTER (WHERE completed_day <= period_end::DATE AND completed_day = due_day)      AS resolved_on_time,
    count(*) FILTER (WHERE completed_day <= period_end::DATE AND completed_day > due_day)      AS resolved_late,
    count(*) FILTER (WHERE withdrawn_day <= period_end::DATE)                                  AS withdrawn,
    count(*) FILTER (WHERE coalesce(completed_day > period_end::DATE, true)
                       AND coalesce(withdrawn_day > period_end::DATE, true))                   AS pending_total,
    count(*) FILTER (WHERE coalesce(completed_day > period_end::DATE, true)
                       AND coalesce(withdrawn_day > period_end::DATE, true)
                       AND NOT coalesce(due_day < period_end::DATE, false))                    AS pending_in_time,
    count(*) FILTER (WHERE coalesce(completed_day > period_end::DATE, true)
                       AND coalesce(withdrawn_day > period_end::DATE, true)
                       AND due_day < period_end::DATE)                                         AS pending_overdue
FROM dossier_days
WHERE received_day <= period_end::DATE                  -- received by the end
  AND coalesce(completed_day >= period_start::DATE, true)  -- and not closed before the start
  AND coalesce(withdrawn_day >= period_start::DATE, true)
GROUP BY ward_code;

-- unit_at(start, end): each unit's registry row valid in the period (the latest).
CREATE OR REPLACE MACRO unit_at(period_start, period_end) AS TABLE
SELECT code, arg_max(name, coalesce(valid_from, DATE '1900-01-01')) AS name,
       arg_max(district, coalesce(valid_from, DATE '1900-01-01')) AS district,
       arg_max(province, coalesce(valid_from, DATE '1900-01-01')) AS province
FROM units
WHERE coalesce(valid_from, DATE '1900-01-01') <= period_end::DATE
  AND coalesce(valid_to, DATE '9999-12-31') >= period_start::DATE
GROUP BY code;

-- report_form(start, end): one row per ward, the official form.
CREATE OR REPLACE MACRO report_form(start_date, end_date) AS TABLE
SELECT
    f.ward_code,
    u.name     AS ward_name,
    u.district AS district,
    u.province AS province,
    f.carried_over + f.new_online + f.new_direct + f.new_postal AS received_total,
    f.carried_over, f.new_online, f.new_direct, f.new_postal,
    f.resolved_total, f.resolved_early, f.resolved_on_time, f.resolved_late,
    f.withdrawn,
    f.pending_total, f.pending_in_time, f.pending_overdue,
    CASE WHEN f.resolved_total > 0
         THEN round(100.0 * (f.resolved_early + f.resolved_on_time) / f.resolved_total, 2)::DOUBLE END AS on_time_rate
FROM form_counts(start_date, end_date) f
LEFT JOIN unit_at(start_date, end_date) u ON u.code = f.ward_code
ORDER BY f.ward_code;

-- ward_month: the form per ward per calendar month, from each ward's first
-- month with a dossier to its last month with any date.
CREATE OR REPLACE VIEW ward_month AS
WITH bounds AS (
    SELECT date_trunc('month', min(received_day)) AS first_month,
           date_trunc('month', greatest(max(received_day), max(completed_day), max(withdrawn_day))) AS last_month
    FROM dossier_days
),
months AS (
    SELECT m::DATE AS month_start, (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS month_end
    FROM bounds, range(first_month, last_month + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
)
SELECT strftime(m.month_start, '%Y-%m') AS month, m.month_start, m.month_end, r.*
FROM months m, LATERAL (SELECT * FROM report_form(m.month_start, m.month_end)) r
ORDER BY month, ward_code;
