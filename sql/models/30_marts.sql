-- Marts: what district analysts, the nightly report and dashboards read.
-- Each is a view over the warehouse, one row per ward (or unit) and month
-- unless said otherwise; `wardstat build` checks them (sql/tests) and the
-- export writes them as Parquet partitioned by month.

-- dossier_facts: every counted dossier with the measures the marts use.
-- vi: mọi hồ sơ được tính, kèm các đại lượng mà các mart dùng.
CREATE OR REPLACE VIEW dossier_facts AS
SELECT d.ward_code, d.dossier_code, d.procedure_code, d.procedure_name, d.sector, d.channel, d.online_level,
       d.status, d.received_at::DATE AS received_day, d.due_at::DATE AS due_day, d.due_source,
       d.completed_at::DATE AS completed_day, d.withdrawn_at::DATE AS withdrawn_day,
       strftime(d.received_at, '%Y-%m') AS received_month, strftime(d.completed_at, '%Y-%m') AS completed_month,
       d.apology_issued, d.paid_online, d.fee, d.digitised,
       -- working days from the day of receipt to the day of completion
       cc.cum - cr.cum AS working_days_taken,
       -- days the clock stood still waiting for the applicant's supplement
       CASE WHEN d.supplement_requested_at IS NOT NULL AND d.supplement_received_at >= d.supplement_requested_at
            THEN date_diff('day', d.supplement_requested_at::DATE, d.supplement_received_at::DATE)::INTEGER ELSE 0 END AS supplement_days
FROM dossiers d
LEFT JOIN calendar_cum cr ON cr.day = d.received_at::DATE
LEFT JOIN calendar_cum cc ON cc.day = d.completed_at::DATE
WHERE d.status IS NULL OR d.status NOT IN (1, 3);

-- mart_ward_month: the form per ward and month (ward_month) with the unit's
-- names, plus the dossiers resolved in the month whose due date is unknown
-- (counted in resolved_total but in none of early / on time / late).
-- vi: biểu theo xã, phường và tháng (ward_month) kèm tên đơn vị, cộng số hồ
-- sơ giải quyết trong tháng không rõ ngày hẹn (tính vào resolved_total
-- nhưng không vào trước hạn / đúng hạn / quá hạn).
CREATE OR REPLACE VIEW mart_ward_month AS
SELECT wm.*, coalesce(u.resolved_unknown_due, 0) AS resolved_unknown_due
FROM ward_month wm
LEFT JOIN (SELECT ward_code, completed_month AS month, count(*) AS resolved_unknown_due
           FROM dossier_facts WHERE completed_day IS NOT NULL AND due_day IS NULL GROUP BY ALL) u
       USING (ward_code, month);

-- mart_unit_month: the form rolled up by level: 'district' (wards whose
-- district was abolished in 2025 roll up under their province only, with
-- district NULL) and 'province'. The rate is recomputed from the sums.
-- vi: biểu cộng theo cấp: 'district' (xã, phường có huyện bị bỏ năm 2025
-- được cộng thẳng vào tỉnh, district là NULL) và 'province'. Tỷ lệ được
-- tính lại từ các tổng.
CREATE OR REPLACE VIEW mart_unit_month AS
SELECT month, level, district, province,
       sum(received_total)::BIGINT AS received_total, sum(carried_over)::BIGINT AS carried_over,
       sum(new_online)::BIGINT AS new_online, sum(new_direct)::BIGINT AS new_direct, sum(new_postal)::BIGINT AS new_postal,
       sum(resolved_total)::BIGINT AS resolved_total, sum(resolved_early)::BIGINT AS resolved_early,
       sum(resolved_on_time)::BIGINT AS resolved_on_time, sum(resolved_late)::BIGINT AS resolved_late,
       sum(withdrawn)::BIGINT AS withdrawn, sum(pending_total)::BIGINT AS pending_total,
       sum(pending_in_time)::BIGINT AS pending_in_time, sum(pending_overdue)::BIGINT AS pending_overdue,
       CASE WHEN sum(resolved_total) > 0
            THEN round(100.0 * sum(resolved_early + resolved_on_time) / sum(resolved_total), 2)::DOUBLE END AS on_time_rate,
       count(DISTINCT ward_code) AS wards
FROM (
    SELECT 'district' AS level, month, district, province, * EXCLUDE (month, district, province) FROM ward_month
    UNION ALL BY NAME
    SELECT 'province' AS level, month, NULL AS district, province, * EXCLUDE (month, district, province) FROM ward_month
)
GROUP BY month, level, district, province;

-- mart_channel_mix: how new dossiers came in, by ward and month.
-- vi: hồ sơ mới đến qua kênh nào, theo xã, phường và tháng.
CREATE OR REPLACE VIEW mart_channel_mix AS
SELECT month, ward_code, ward_name, new_online, new_direct, new_postal,
       new_online + new_direct + new_postal AS new_total,
       round(100.0 * new_online / nullif(new_online + new_direct + new_postal, 0), 2)::DOUBLE AS online_share,
       round(100.0 * new_postal / nullif(new_online + new_direct + new_postal, 0), 2)::DOUBLE AS postal_share,
       round(100.0 * new_direct / nullif(new_online + new_direct + new_postal, 0), 2)::DOUBLE AS direct_share
FROM ward_month;

-- mart_trends: month over month and year over year, and rolling 3-month
-- on-time rate and online share (from the 3 months' sums).
-- vi: so với tháng trước và cùng kỳ năm trước, và tỷ lệ đúng hạn, tỷ lệ nộp
-- trực tuyến trượt 3 tháng (từ tổng của 3 tháng).
CREATE OR REPLACE VIEW mart_trends AS
WITH base AS (
    SELECT month, month_start, ward_code, ward_name, new_online + new_direct + new_postal AS new_total, new_online,
           resolved_total, resolved_early + resolved_on_time AS resolved_in_time, on_time_rate
    FROM ward_month
)
SELECT month, ward_code, ward_name, new_total, on_time_rate,
       round(100.0 * new_online / nullif(new_total, 0), 2)::DOUBLE AS online_share,
       round(100.0 * (new_total - lag(new_total) OVER w) / nullif(lag(new_total) OVER w, 0), 2)::DOUBLE AS new_mom_pct,
       round(100.0 * (new_total - lag(new_total, 12) OVER w) / nullif(lag(new_total, 12) OVER w, 0), 2)::DOUBLE AS new_yoy_pct,
       round(on_time_rate - lag(on_time_rate) OVER w, 2)::DOUBLE AS on_time_rate_mom_points,
       round(100.0 * sum(resolved_in_time) OVER w3 / nullif(sum(resolved_total) OVER w3, 0), 2)::DOUBLE AS on_time_rate_3m,
       round(100.0 * sum(new_online) OVER w3 / nullif(sum(new_total) OVER w3, 0), 2)::DOUBLE AS online_share_3m
FROM base
WINDOW w AS (PARTITION BY ward_code ORDER BY month_start),
       w3 AS (PARTITION BY ward_code ORDER BY month_start ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);

-- mart_processing_time: working days from receipt to result, by month of
-- completion, sector and procedure.
-- vi: số ngày làm việc từ tiếp nhận đến có kết quả, theo tháng có kết quả,
-- lĩnh vực và thủ tục.
CREATE OR REPLACE VIEW mart_processing_time AS
SELECT completed_month AS month, coalesce(sector, '(không rõ)') AS sector,
       coalesce(procedure_name, procedure_code, '(không rõ)') AS procedure_name,
       count(*) AS resolved,
       quantile_cont(working_days_taken, 0.5)::DOUBLE AS median_working_days,
       quantile_cont(working_days_taken, 0.9)::DOUBLE AS p90_working_days,
       round(avg(working_days_taken), 2)::DOUBLE AS mean_working_days
FROM dossier_facts
WHERE completed_day IS NOT NULL AND working_days_taken IS NOT NULL
GROUP BY ALL;

-- mart_anomalies: ward-months whose on-time rate, online share or volume
-- leave the ward's own range over the six months before (mean ± 2 standard
-- deviations, at least 3 months of history), with the reason in words.
-- vi: các tháng của xã, phường có tỷ lệ đúng hạn, tỷ lệ nộp trực tuyến hoặc
-- số hồ sơ ra ngoài khoảng thường thấy của chính nó trong sáu tháng trước
-- (trung bình ± 2 độ lệch chuẩn, ít nhất 3 tháng dữ liệu), kèm lý do bằng
-- lời.
CREATE OR REPLACE VIEW mart_anomalies AS
WITH m AS (
    SELECT month, month_start, ward_code, ward_name, on_time_rate,
           round(100.0 * new_online / nullif(new_online + new_direct + new_postal, 0), 2) AS online_share,
           (new_online + new_direct + new_postal)::DOUBLE AS new_total
    FROM ward_month
),
stats AS (
    SELECT *,
        count(on_time_rate) OVER h AS n_rate, avg(on_time_rate) OVER h AS avg_rate, stddev_samp(on_time_rate) OVER h AS sd_rate,
        count(online_share) OVER h AS n_online, avg(online_share) OVER h AS avg_online, stddev_samp(online_share) OVER h AS sd_online,
        count(new_total) OVER h AS n_vol, avg(new_total) OVER h AS avg_vol, stddev_samp(new_total) OVER h AS sd_vol
    FROM m
    WINDOW h AS (PARTITION BY ward_code ORDER BY month_start ROWS BETWEEN 6 PRECEDING AND 1 PRECEDING)
),
flags AS (
    SELECT month, ward_code, ward_name, 'on_time_rate' AS metric, on_time_rate AS value,
           avg_rate - 2 * greatest(sd_rate, 0.5) AS low, avg_rate + 2 * greatest(sd_rate, 0.5) AS high
    FROM stats WHERE n_rate >= 3 AND on_time_rate IS NOT NULL
    UNION ALL
    SELECT month, ward_code, ward_name, 'online_share', online_share,
           avg_online - 2 * greatest(sd_online, 1), avg_online + 2 * greatest(sd_online, 1)
    FROM stats WHERE n_online >= 3 AND online_share IS NOT NULL
    UNION ALL
    SELECT month, ward_code, ward_name, 'new_dossiers', new_total,
           avg_vol - 2 * greatest(sd_vol, 0.1 * avg_vol), avg_vol + 2 * greatest(sd_vol, 0.1 * avg_vol)
    FROM stats WHERE n_vol >= 3
)
SELECT month, ward_code, ward_name, metric, value, round(low, 2)::DOUBLE AS usual_low, round(high, 2)::DOUBLE AS usual_high,
       CASE WHEN value < low THEN 'below' ELSE 'above' END AS direction,
       CASE metric
           WHEN 'on_time_rate' THEN 'Tỷ lệ đúng hạn ' || round(value, 2) || '% '
           WHEN 'online_share' THEN 'Tỷ lệ nộp trực tuyến ' || round(value, 2) || '% '
           ELSE 'Số hồ sơ mới ' || value::BIGINT || ' ' END
       || CASE WHEN value < low THEN 'thấp hơn' ELSE 'cao hơn' END
       || ' mức thường thấy của 6 tháng trước (' || round(greatest(low, 0), 1) || '–' || round(high, 1) || ')' AS reason_vi,
       CASE metric
           WHEN 'on_time_rate' THEN 'On-time rate ' || round(value, 2) || '% is '
           WHEN 'online_share' THEN 'Online share ' || round(value, 2) || '% is '
           ELSE 'New dossiers (' || value::BIGINT || ') are ' END
       || CASE WHEN value < low THEN 'below' ELSE 'above' END
       || ' the ward''s usual range of the 6 months before (' || round(greatest(low, 0), 1) || '–' || round(high, 1) || ')' AS reason_en
FROM flags
WHERE value < low OR value > high;

-- mart_index766: the parts of the national service index (Decision
-- 766/QĐ-TTg) computable from dossiers, with their points:
--   progress (20): (resolved on time + pending in time) / (resolved + pending),
--     supplement waiting days added to the due day of resolved dossiers;
--   online (12): online share of new dossiers, full points at 50%;
--   online payment (10): paid online / new dossiers of procedures with a fee;
--   digitisation (22): digitised / new dossiers, full points at 80%.
-- vi: các phần của Bộ chỉ số phục vụ người dân, doanh nghiệp (Quyết định
-- 766/QĐ-TTg) tính được từ hồ sơ, kèm điểm: tiến độ (20): (giải quyết đúng
-- hạn + đang giải quyết trong hạn) / (đã giải quyết + đang giải quyết), số
-- ngày chờ bổ sung cộng vào ngày hẹn của hồ sơ đã giải quyết; trực tuyến
-- (12): tỷ lệ hồ sơ mới nộp trực tuyến, đủ điểm ở 50%; thanh toán trực
-- tuyến (10): đã thanh toán trực tuyến / hồ sơ mới của thủ tục có phí; số
-- hoá (22): đã số hoá / hồ sơ mới, đủ điểm ở 80%.
CREATE OR REPLACE VIEW mart_index766 AS
WITH resolved AS (
    SELECT ward_code, completed_month AS month,
           count(*) FILTER (WHERE due_day IS NOT NULL) AS judged,
           count(*) FILTER (WHERE completed_day <= due_day + supplement_days) AS in_time
    FROM dossier_facts WHERE completed_day IS NOT NULL GROUP BY ALL
),
intake AS (
    SELECT ward_code, received_month AS month, count(*) AS new_total,
           count(*) FILTER (WHERE channel = 'online') AS online,
           count(*) FILTER (WHERE fee > 0) AS with_fee,
           count(*) FILTER (WHERE fee > 0 AND paid_online) AS paid_online,
           count(*) FILTER (WHERE digitised IS NOT NULL) AS digitised_known,
           count(*) FILTER (WHERE digitised) AS digitised
    FROM dossier_facts GROUP BY ALL
),
parts AS (
    SELECT wm.month, wm.ward_code, wm.ward_name,
           round(100.0 * (coalesce(r.in_time, 0) + wm.pending_in_time) / nullif(coalesce(r.judged, 0) + wm.pending_total, 0), 2) AS progress_rate,
           round(100.0 * i.online / nullif(i.new_total, 0), 2) AS online_share,
           round(100.0 * i.paid_online / nullif(i.with_fee, 0), 2) AS online_payment_share,
           round(100.0 * i.digitised / nullif(i.digitised_known, 0), 2) AS digitisation_share
    FROM ward_month wm
    LEFT JOIN resolved r USING (ward_code, month)
    LEFT JOIN intake i USING (ward_code, month)
)
SELECT *,
       round(20 * progress_rate / 100, 2)::DOUBLE AS progress_points,
       round(CASE WHEN online_share IS NOT NULL THEN least(12, 12 * online_share / 50) END, 2)::DOUBLE AS online_points,
       round(10 * online_payment_share / 100, 2)::DOUBLE AS online_payment_points,
       round(CASE WHEN digitisation_share IS NOT NULL THEN least(22, 22 * digitisation_share / 80) END, 2)::DOUBLE AS digitisation_points,
       round(coalesce(20 * progress_rate / 100, 0)
             + coalesce(CASE WHEN online_share IS NOT NULL THEN least(12, 12 * online_share / 50) END, 0)
             + coalesce(10 * online_payment_share / 100, 0)
             + coalesce(CASE WHEN digitisation_share IS NOT NULL THEN least(22, 22 * digitisation_share / 80) END, 0), 2)::DOUBLE AS points,
       (progress_rate IS NOT NULL)::INT * 20 + (online_share IS NOT NULL)::INT * 12
       + (online_payment_share IS NOT NULL)::INT * 10 + (digitisation_share IS NOT NULL)::INT * 22 AS points_possible
FROM parts;

-- mart_apology: late dossiers with and without an apology letter.
-- vi: các hồ sơ quá hạn có và không có thư xin lỗi.
CREATE OR REPLACE VIEW mart_apology AS
SELECT completed_month AS month, ward_code,
       count(*) AS late,
       count(*) FILTER (WHERE apology_issued) AS with_apology,
       count(*) FILTER (WHERE NOT apology_issued) AS without_apology,
       count(*) FILTER (WHERE apology_issued IS NULL) AS apology_unknown,
       round(100.0 * count(*) FILTER (WHERE apology_issued) / count(*), 2)::DOUBLE AS coverage
FROM dossier_facts
WHERE completed_day > due_day
GROUP BY ALL;

-- ward_report_check: wards' own reported forms against the dossiers: the
-- parts that do not add up, and the differences from the dossier counts.
-- vi: biểu xã, phường tự báo cáo so với hồ sơ: các phần không khớp nhau, và
-- chênh lệch so với số đếm từ hồ sơ.
CREATE OR REPLACE VIEW ward_report_check AS
SELECT r.ward_code, r.period_start, r.period_end, r.load_id,
       r.received_total AS reported_received_total,
       r.carried_over + r.new_online + r.new_direct + r.new_postal AS reported_parts_sum,
       r.received_total IS DISTINCT FROM (r.carried_over + r.new_online + r.new_direct + r.new_postal) AS parts_do_not_add_up,
       r.received_total IS DISTINCT FROM (r.resolved_total + r.withdrawn + r.pending_total) AS identity_broken,
       f.received_total AS counted_received_total,
       r.received_total - f.received_total AS received_diff,
       r.resolved_total - f.resolved_total AS resolved_diff,
       r.pending_total - f.pending_total AS pending_diff,
       r.new_online - f.new_online AS online_diff
FROM ward_reports r
LEFT JOIN LATERAL (SELECT * FROM report_form(r.period_start, r.period_end) x WHERE x.ward_code = r.ward_code) f ON true;
