-- The periodic report form (Biểu 06, Circular 01/2020/TT-VPCP) by the rules
-- in DOMAIN.md. Every figure is judged from dates (Vietnam local days), never
-- from the export's status column, so a past period reads the same whenever
-- the export was pulled. Dossiers submitted online but never accepted
-- (status 1) and refused at intake (status 3) count nowhere.

-- counted_status(status): whether a dossier of this status counts in the
-- figures, as the status catalogue says (statuses.counted: submitted online
-- but never accepted, 1, and refused at intake, 3, count nowhere); a
-- dossier with no status counts.
-- vi: hồ sơ có trạng thái này có được tính vào số liệu không, theo danh mục
-- trạng thái (statuses.counted: nộp trực tuyến nhưng chưa tiếp nhận, 1, và
-- từ chối tiếp nhận, 3, không được tính); hồ sơ không có trạng thái được tính.
CREATE OR REPLACE MACRO counted_status(s) AS
    s IS NULL OR s NOT IN (SELECT status FROM statuses WHERE NOT counted);

-- wardstat_today(): today in Vietnam, the day every figure of a period not
-- yet over is judged on (report_form, ward_month and all built on them):
-- the session variable wardstat_today when set (the CLI sets it from its
-- own clock, so its notes and the figures agree; tests set a fixed day),
-- else the real date at UTC+7 (Vietnam keeps no daylight saving), whatever
-- the session's TimeZone.
-- vi: hôm nay theo giờ Việt Nam, ngày dùng để tính mọi số liệu của một kỳ
-- chưa kết thúc: biến phiên wardstat_today nếu có đặt (wardstat đặt theo
-- đồng hồ của chính nó; kiểm thử đặt một ngày cố định), nếu không thì ngày
-- thật theo UTC+7, bất kể TimeZone của phiên.
CREATE OR REPLACE MACRO wardstat_today() AS
    coalesce(try_cast(getvariable('wardstat_today') AS DATE),
             (make_timestamp(epoch_us(get_current_timestamp())) + INTERVAL 7 HOUR)::DATE);

-- dossier_days: each counted dossier with the local days the rules use.
-- vi: mỗi hồ sơ được tính, kèm các ngày theo giờ địa phương mà quy tắc
-- dùng.
CREATE OR REPLACE VIEW dossier_days AS
SELECT d.ward_code, d.dossier_code, d.channel,
       d.received_at::DATE  AS received_day,
       d.due_at::DATE       AS due_day,
       d.completed_at::DATE AS completed_day,
       d.withdrawn_at::DATE AS withdrawn_day
FROM dossiers d
WHERE counted_status(d.status);

-- form_counts(start, end): the form's counted columns per ward for the
-- inclusive local-date period [start, end].
-- vi: các cột đếm của biểu theo từng xã, phường cho kỳ [start, end] theo
-- ngày địa phương, tính cả hai đầu.
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

-- on_time_rate(in_time, resolved): the form's on-time rate, in percent to
-- two decimals: dossiers resolved early or on time over those resolved;
-- NULL when none was resolved. Every on-time rate is this one (the form,
-- the marts and the report's roll-ups pass their counts or sums).
-- vi: tỷ lệ đúng hạn của biểu, tính theo phần trăm, làm tròn hai chữ số
-- thập phân: số hồ sơ giải quyết trước hạn hoặc đúng hạn trên số đã giải
-- quyết; để trống (NULL) khi không có hồ sơ nào được giải quyết.
CREATE OR REPLACE MACRO on_time_rate(in_time, resolved) AS
    CASE WHEN resolved > 0 THEN round(100.0 * in_time / resolved, 2)::DOUBLE END;

-- unit_at(start, end): each unit's registry row valid in the period (the latest).
-- vi: dòng danh mục của mỗi đơn vị có hiệu lực trong kỳ (dòng mới nhất).
CREATE OR REPLACE MACRO unit_at(period_start, period_end) AS TABLE
SELECT code, u.latest.name AS name, u.latest.district AS district, u.latest.province AS province
FROM (
    -- the whole latest row: arg_max of each column alone would skip a NULL
    -- district (a ward whose district was abolished) and pair the new name
    -- with the old district
    SELECT code, arg_max({'name': name, 'district': district, 'province': province},
                         coalesce(valid_from, DATE '1900-01-01')) AS latest
    FROM units
    WHERE coalesce(valid_from, DATE '1900-01-01') <= period_end::DATE
      AND coalesce(valid_to, DATE '9999-12-31') >= period_start::DATE
    GROUP BY code
) u;

-- report_form(start, end): one row per ward, the official form, as of
-- min(end, today) (wardstat_today): a period not yet over is counted as a
-- ward counting by hand today would (a dossier still open is overdue when
-- due before today, not before the period's end); a period starting after
-- today gives no row.
-- vi: mỗi xã, phường một dòng: biểu chính thức, tính đến min(end, hôm nay):
-- kỳ chưa kết thúc được tính đến hôm nay (hồ sơ đang giải quyết quá hạn khi
-- hạn trước hôm nay); kỳ bắt đầu sau hôm nay không có dòng nào.
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
    on_time_rate(f.resolved_early + f.resolved_on_time, f.resolved_total) AS on_time_rate
FROM form_counts(start_date, least(end_date::DATE, wardstat_today())) f
LEFT JOIN unit_at(start_date, least(end_date::DATE, wardstat_today())) u ON u.code = f.ward_code
WHERE start_date::DATE <= wardstat_today()
ORDER BY f.ward_code;

-- ward_month_days: each counted dossier's days as ward_month reads them, as
-- of today (wardstat_today): a completion or withdrawal dated after today
-- has not happened, a dossier received after today is left out; with the
-- day it closed and the day it is overdue from. A view, not a CTE of
-- ward_month: ward_month reads it once for each kind of event, and DuckDB
-- holds a CTE read more than once whole (gigabytes at 100 M dossiers,
-- beyond a read-only session's temporary disk).
-- vi: các ngày của mỗi hồ sơ được tính mà ward_month dùng, tính đến hôm nay
-- (wardstat_today): ngày có kết quả hoặc rút sau hôm nay coi như chưa xảy
-- ra, hồ sơ tiếp nhận sau hôm nay không tính; kèm ngày kết thúc và ngày bắt
-- đầu quá hạn.
CREATE OR REPLACE VIEW ward_month_days AS
WITH today AS (SELECT wardstat_today() AS day),
as_of AS (
    SELECT dd.ward_code, dd.channel, dd.received_day, dd.due_day,
           CASE WHEN dd.completed_day <= t.day THEN dd.completed_day END AS completed_day,
           CASE WHEN dd.withdrawn_day <= t.day THEN dd.withdrawn_day END AS withdrawn_day,
           t.day AS today
    FROM dossier_days dd, today t
    WHERE coalesce(dd.received_day <= t.day, true)
)
SELECT ward_code, channel, received_day, due_day, completed_day, withdrawn_day, today,
       coalesce(completed_day, withdrawn_day) AS closed_day,
       greatest(due_day + 1, received_day) AS overdue_from
FROM as_of;

-- ward_month: the form per ward per calendar month, from each ward's first
-- month with a dossier to the last month with any date. It gives exactly
-- report_form(first day, last day) of each month (a test checks it), but in
-- one pass: each dossier contributes events to the months of its receipt,
-- completion or withdrawal, and of the day it became overdue while open;
-- pending figures are running sums of those events, and carried over is
-- the previous month's pending. As report_form, it counts as of today
-- (wardstat_today): what is dated after today has not happened yet (a
-- dossier received after today is left out, one completed or withdrawn
-- after today is still open, one due before today is overdue only from the
-- day after its due day up to today), so the current month is
-- report_form(first day, today) and no month after it has a row.
-- vi: biểu theo từng xã, phường và từng tháng, từ tháng đầu tiên có hồ sơ
-- của xã, phường đến tháng cuối cùng có ngày nào đó. Cho đúng
-- report_form(ngày đầu, ngày cuối) của mỗi tháng (có kiểm tra), nhưng tính
-- một lượt: mỗi hồ sơ góp sự kiện vào tháng tiếp nhận, tháng có kết quả
-- hoặc rút, và tháng nó trở thành quá hạn khi còn mở; số đang giải quyết là
-- tổng dồn các sự kiện đó, và kỳ trước chuyển qua là số đang giải quyết của
-- tháng trước. Như report_form, tính đến hôm nay: tháng hiện tại là
-- report_form(ngày đầu, hôm nay), không có tháng nào sau đó.
CREATE OR REPLACE VIEW ward_month AS
WITH today AS (SELECT wardstat_today() AS day),
events AS (
    SELECT ward_code, date_trunc('month', received_day)::DATE AS month,
           1 AS received, (channel = 'online')::INT AS new_online, (channel = 'direct')::INT AS new_direct,
           (channel = 'postal')::INT AS new_postal, 0 AS resolved, 0 AS early, 0 AS on_time, 0 AS late,
           0 AS withdrawn, 0 AS closed, 0 AS overdue
    FROM ward_month_days
    UNION ALL
    SELECT ward_code, date_trunc('month', completed_day)::DATE, 0, 0, 0, 0, 1,
           (completed_day < due_day)::INT, (completed_day = due_day)::INT, (completed_day > due_day)::INT, 0, 1, 0
    FROM ward_month_days WHERE completed_day IS NOT NULL
    UNION ALL
    SELECT ward_code, date_trunc('month', withdrawn_day)::DATE, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0
    FROM ward_month_days WHERE withdrawn_day IS NOT NULL
    UNION ALL -- open and overdue from the day after the due day (by today) ...
    SELECT ward_code, date_trunc('month', overdue_from)::DATE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
    FROM ward_month_days WHERE due_day IS NOT NULL AND overdue_from <= today AND (closed_day IS NULL OR overdue_from <= closed_day - 1)
    UNION ALL -- ... until the day it closes
    SELECT ward_code, date_trunc('month', closed_day)::DATE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1
    FROM ward_month_days WHERE due_day IS NOT NULL AND closed_day IS NOT NULL AND overdue_from <= closed_day - 1
),
per_month AS (
    SELECT ward_code, month, sum(received) AS received, sum(new_online) AS new_online, sum(new_direct) AS new_direct,
           sum(new_postal) AS new_postal, sum(resolved) AS resolved, sum(early) AS early, sum(on_time) AS on_time,
           sum(late) AS late, sum(withdrawn) AS withdrawn, sum(closed) AS closed, sum(overdue) AS overdue
    FROM events GROUP BY ALL
),
-- the last month with a receipt, result or withdrawal (not a future due
-- day), and never after today's month
last_month AS (SELECT least(max(month), date_trunc('month', any_value(t.day))::DATE) AS last
               FROM per_month, today t WHERE received + resolved + withdrawn > 0),
grid AS (
    SELECT w.ward_code, m::DATE AS month
    FROM (SELECT ward_code, min(month) AS first FROM per_month GROUP BY ALL) w, last_month,
         range(w.first, last_month.last + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
),
running AS (
    SELECT g.ward_code, g.month,
           coalesce(p.new_online, 0) AS new_online, coalesce(p.new_direct, 0) AS new_direct,
           coalesce(p.new_postal, 0) AS new_postal, coalesce(p.resolved, 0) AS resolved_total,
           coalesce(p.early, 0) AS resolved_early, coalesce(p.on_time, 0) AS resolved_on_time,
           coalesce(p.late, 0) AS resolved_late, coalesce(p.withdrawn, 0) AS withdrawn,
           sum(coalesce(p.received, 0) - coalesce(p.closed, 0)) OVER w AS pending_total,
           sum(coalesce(p.overdue, 0)) OVER w AS pending_overdue
    FROM grid g LEFT JOIN per_month p USING (ward_code, month)
    WINDOW w AS (PARTITION BY g.ward_code ORDER BY g.month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
form AS (
    SELECT *, coalesce(lag(pending_total) OVER (PARTITION BY ward_code ORDER BY month), 0) AS carried_over
    FROM running
)
SELECT
    strftime(f.month, '%Y-%m') AS month,
    f.month AS month_start,
    (f.month + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS month_end,
    f.ward_code,
    u.name AS ward_name, u.district, u.province,
    (f.carried_over + f.new_online + f.new_direct + f.new_postal)::BIGINT AS received_total,
    f.carried_over::BIGINT AS carried_over, f.new_online::BIGINT AS new_online, f.new_direct::BIGINT AS new_direct,
    f.new_postal::BIGINT AS new_postal, f.resolved_total::BIGINT AS resolved_total,
    f.resolved_early::BIGINT AS resolved_early, f.resolved_on_time::BIGINT AS resolved_on_time,
    f.resolved_late::BIGINT AS resolved_late, f.withdrawn::BIGINT AS withdrawn,
    f.pending_total::BIGINT AS pending_total, (f.pending_total - f.pending_overdue)::BIGINT AS pending_in_time,
    f.pending_overdue::BIGINT AS pending_overdue,
    on_time_rate(f.resolved_early + f.resolved_on_time, f.resolved_total) AS on_time_rate
FROM form f
LEFT JOIN (
    SELECT m.month, u.*
    FROM (SELECT DISTINCT month FROM grid) m,
         LATERAL unit_at(m.month, (m.month + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE) u
) u ON u.code = f.ward_code AND u.month = f.month
ORDER BY month, ward_code;
