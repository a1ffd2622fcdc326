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
       d.apology_issued, d.paid_online, d.fee, d.digitised, d.load_id,
       -- working days from the deemed receipt (ws_clock_day) to the day of completion
       CASE WHEN cc.cum < cr.start_cum THEN 0 ELSE cc.cum - cr.start_cum END AS working_days_taken
FROM dossiers d
LEFT JOIN calendar_cum cr ON cr.day = ws_clock_day(d.received_at)
LEFT JOIN calendar_cum cc ON cc.day = d.completed_at::DATE
WHERE counted_status(d.status);

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

-- province_code_of(code): the province a unit code names (QCVN 102: H37
-- in 000.11.27.H37; the lake's province partitions too), NULL for none.
-- vi: mã tỉnh trong mã đơn vị (QCVN 102: H37 trong 000.11.27.H37; cũng là
-- phân vùng tỉnh của kho dữ liệu hồ), NULL khi không có.
CREATE OR REPLACE MACRO province_code_of(code) AS
    nullif(regexp_extract(code, '(^|\.)([HG][0-9]{2})(\.|$)', 2), '');

-- placed_forms(forms): the form's rows of the relation named forms, each
-- ward the unit registry lacks (no ward_name, no province) placed in the
-- province its code names, with no district: under the name its province's
-- registered wards have in the same period's rows, else the registry's
-- latest name for that province, else the code itself. Wards of several
-- provinces missing from the registry are then never one blank row, and
-- every ward counts once. Only a code naming no province stays NULL.
-- vi: các dòng biểu của quan hệ forms, xã, phường chưa có trong danh mục
-- được đặt vào tỉnh mà mã của nó chỉ ra (không có huyện): theo tên tỉnh của
-- các xã đã đăng ký trong cùng kỳ, nếu không thì tên mới nhất trong danh
-- mục, nếu không nữa thì chính mã tỉnh.
CREATE OR REPLACE MACRO placed_forms(forms) AS TABLE
WITH f AS (SELECT *, province_code_of(ward_code) AS province_code FROM query_table(forms)),
same_period AS (
    SELECT period, province_code, province FROM f
    WHERE ward_name IS NOT NULL AND province IS NOT NULL AND province_code IS NOT NULL
    GROUP BY period, province_code, province
    QUALIFY row_number() OVER (PARTITION BY period, province_code ORDER BY count(*) DESC, province) = 1),
registry AS (
    SELECT province_code_of(code) AS province_code, province
    FROM unit_at(DATE '0001-01-01', DATE '9999-12-31')
    WHERE province IS NOT NULL AND province_code_of(code) IS NOT NULL
    GROUP BY province_code, province
    QUALIFY row_number() OVER (PARTITION BY province_code ORDER BY count(*) DESC, province) = 1)
SELECT f.* EXCLUDE (province_code) REPLACE (
    CASE WHEN f.ward_name IS NULL AND f.province IS NULL
         THEN coalesce(p.province, r.province, f.province_code) ELSE f.province END AS province)
FROM f
LEFT JOIN same_period p ON f.ward_name IS NULL AND p.period IS NOT DISTINCT FROM f.period AND p.province_code = f.province_code
LEFT JOIN registry r ON f.ward_name IS NULL AND r.province_code = f.province_code;

-- unit_rollup(forms): the form's rows of the relation named forms (a CTE,
-- table or view with a period, ward_code, ward_name, district, province
-- and the form's figures) rolled up by level, wards missing from the
-- registry placed by placed_forms: 'district' (wards whose district was
-- abolished in 2025 roll up under their province only, with district NULL)
-- and 'province', per period; the rate recomputed from the sums, and the
-- wards counted. mart_unit_month and the report's district and province
-- levels (warehouse/report.go) both roll up through it.
-- vi: các dòng biểu của quan hệ có tên forms (CTE, bảng hoặc view có
-- period, ward_code, ward_name, district, province và các số liệu của biểu)
-- cộng theo cấp, xã chưa có trong danh mục được đặt theo placed_forms:
-- 'district' (xã, phường có huyện bị bỏ năm 2025 được cộng thẳng vào tỉnh,
-- district là NULL) và 'province', theo từng kỳ; tỷ lệ được tính lại từ các
-- tổng, kèm số xã, phường.
CREATE OR REPLACE MACRO unit_rollup(forms) AS TABLE
WITH placed AS (SELECT * FROM placed_forms(forms))
SELECT period, level, district, province,
       sum(received_total)::BIGINT AS received_total, sum(carried_over)::BIGINT AS carried_over,
       sum(new_online)::BIGINT AS new_online, sum(new_direct)::BIGINT AS new_direct, sum(new_postal)::BIGINT AS new_postal,
       sum(resolved_total)::BIGINT AS resolved_total, sum(resolved_early)::BIGINT AS resolved_early,
       sum(resolved_on_time)::BIGINT AS resolved_on_time, sum(resolved_late)::BIGINT AS resolved_late,
       sum(withdrawn)::BIGINT AS withdrawn, sum(pending_total)::BIGINT AS pending_total,
       sum(pending_in_time)::BIGINT AS pending_in_time, sum(pending_overdue)::BIGINT AS pending_overdue,
       on_time_rate(sum(resolved_early + resolved_on_time), sum(resolved_total)) AS on_time_rate,
       count(DISTINCT ward_code) AS wards
FROM (
    SELECT 'district' AS level, period, district, province, * EXCLUDE (period, district, province) FROM placed
    UNION ALL BY NAME
    SELECT 'province' AS level, period, NULL AS district, province, * EXCLUDE (period, district, province) FROM placed
)
GROUP BY period, level, district, province;

-- mart_unit_month: the form rolled up by level (unit_rollup of ward_month):
-- 'district' (wards whose district was abolished in 2025 roll up under
-- their province only, with district NULL) and 'province'. The rate is
-- recomputed from the sums.
-- vi: biểu cộng theo cấp: 'district' (xã, phường có huyện bị bỏ năm 2025
-- được cộng thẳng vào tỉnh, district là NULL) và 'province'. Tỷ lệ được
-- tính lại từ các tổng.
CREATE OR REPLACE VIEW mart_unit_month AS
WITH forms AS (SELECT month AS period, * EXCLUDE (month) FROM ward_month)
SELECT period AS month, * EXCLUDE (period) FROM unit_rollup('forms');

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
       on_time_rate(sum(resolved_in_time) OVER w3, sum(resolved_total) OVER w3) AS on_time_rate_3m,
       round(100.0 * sum(new_online) OVER w3 / nullif(sum(new_total) OVER w3, 0), 2)::DOUBLE AS online_share_3m
FROM base
WINDOW w AS (PARTITION BY ward_code ORDER BY month_start),
       w3 AS (PARTITION BY ward_code ORDER BY month_start ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);

-- histogram_value_at(days, p): the value at 0-based position p (0 ≤ p <
-- n) of the n values that days, a histogram() map of value -> count,
-- counts, in ascending order: one pass over the distinct values, carrying
-- the count so far and the value whose run of positions holds p.
-- vi: giá trị ở vị trí p (đếm từ 0) trong n giá trị mà days (bản đồ giá trị
-- -> số lần của histogram()) đếm, theo thứ tự tăng dần.
CREATE OR REPLACE MACRO histogram_value_at(days, p) AS
    list_reduce(list_transform(list_sort(map_entries(days)), lambda e: {'n': e.value, 'v': e.key}),
                lambda acc, e: {'n': acc.n + e.n, 'v': CASE WHEN acc.n <= p AND p < acc.n + e.n THEN e.v ELSE acc.v END}).v;

-- histogram_rank(days, q): where quantile q falls among the values days
-- counts, (n - 1) * q in DOUBLE, as DuckDB's quantile_cont places it.
-- vi: vị trí của phân vị q trong các giá trị days đếm: (n - 1) * q.
CREATE OR REPLACE MACRO histogram_rank(days, q) AS (list_sum(map_values(days)) - 1)::DOUBLE * q::DOUBLE;

-- histogram_quantile_cont(days, q): quantile_cont(x, q) of the values
-- days = histogram(x) counts, to the last bit: the two order statistics
-- around histogram_rank, each as DOUBLE, interpolated as DuckDB does (lo *
-- (1 - d) + hi * d; the lower one alone when the rank is whole); NULL when
-- days counts nothing. Memory follows the distinct values, not the rows:
-- quantile_cont keeps every value of a group until the group is done.
-- vi: quantile_cont(x, q) tính từ days = histogram(x), đúng đến từng bit:
-- hai giá trị quanh vị trí histogram_rank, nội suy như DuckDB; bộ nhớ theo
-- số giá trị khác nhau chứ không theo số dòng.
CREATE OR REPLACE MACRO histogram_quantile_cont(days, q) AS
    CASE WHEN list_sum(map_values(days)) > 0 THEN
        CASE WHEN floor(histogram_rank(days, q)) = ceil(histogram_rank(days, q))
             THEN histogram_value_at(days, floor(histogram_rank(days, q)))::DOUBLE
             ELSE histogram_value_at(days, floor(histogram_rank(days, q)))::DOUBLE * (1 - (histogram_rank(days, q) - floor(histogram_rank(days, q))))
                  + histogram_value_at(days, ceil(histogram_rank(days, q)))::DOUBLE * (histogram_rank(days, q) - floor(histogram_rank(days, q))) END
    END;

-- mart_processing_time: working days from receipt to result, by month of
-- completion, sector and procedure. The percentiles are quantile_cont's,
-- computed from each group's histogram of days (histogram_quantile_cont).
-- vi: số ngày làm việc từ tiếp nhận đến có kết quả, theo tháng có kết quả,
-- lĩnh vực và thủ tục.
CREATE OR REPLACE VIEW mart_processing_time AS
SELECT month, sector, procedure_name, resolved,
       histogram_quantile_cont(days, 0.5) AS median_working_days,
       histogram_quantile_cont(days, 0.9) AS p90_working_days,
       mean_working_days
FROM (
    SELECT completed_month AS month, coalesce(sector, '(không rõ)') AS sector,
           coalesce(procedure_name, procedure_code, '(không rõ)') AS procedure_name,
           count(*) AS resolved,
           histogram(working_days_taken) AS days,
           round(avg(working_days_taken), 2)::DOUBLE AS mean_working_days
    FROM dossier_facts
    WHERE completed_day IS NOT NULL AND working_days_taken IS NOT NULL
    GROUP BY ALL
);

-- mart_processing_time_unit: working days from the deemed receipt to the
-- result, by month of completion and unit: level 'ward' (ward_code set),
-- 'district' and 'province' (percentiles over the dossiers of every ward
-- under it, never averaged from the wards'); names and districts as the
-- registry has them in that month (ward_month), so wards whose district was
-- abolished in 2025 form a district row with district NULL. The
-- percentiles are quantile_cont's, computed from each unit's histogram of
-- days (histogram_quantile_cont). The dossiers are first counted by month,
-- ward and number of days (a few rows a ward-month), and only those counts
-- meet ward_month's names and are rolled up: joined whole, the dossiers
-- became a hash table of every resolved dossier (out of memory at 100 M).
-- vi: số ngày làm việc từ ngày được coi là tiếp nhận đến khi có kết quả, theo
-- tháng có kết quả và theo đơn vị: cấp 'ward' (có ward_code), 'district' và
-- 'province' (phân vị tính trên hồ sơ của mọi xã, phường thuộc cấp đó, không
-- lấy trung bình của các xã); tên và huyện theo danh mục của tháng đó.
CREATE OR REPLACE VIEW mart_processing_time_unit AS
WITH per_value AS (
    SELECT completed_month AS month, ward_code, working_days_taken AS d, count(*) AS n
    FROM dossier_facts
    WHERE completed_day IS NOT NULL AND working_days_taken IS NOT NULL
    GROUP BY ALL
),
named AS (
    SELECT p.*, wm.ward_name, wm.district, wm.province
    FROM per_value p LEFT JOIN ward_month wm ON wm.ward_code = p.ward_code AND wm.month = p.month
),
rolled AS (
    SELECT month,
           CASE WHEN grouping(ward_code) = 0 THEN 'ward' WHEN grouping(district) = 0 THEN 'district' ELSE 'province' END AS level,
           ward_code, CASE WHEN grouping(ward_code) = 0 THEN any_value(ward_name) END AS ward_name, district, province,
           d, sum(n) AS n, list(DISTINCT ward_code) AS ward_codes
    FROM named
    GROUP BY GROUPING SETS ((month, ward_code, district, province, d),
                            (month, district, province, d),
                            (month, province, d))
),
unit AS (
    SELECT month, level, ward_code, any_value(ward_name) AS ward_name, district, province,
           sum(n)::BIGINT AS resolved,
           map_from_entries(list({'key': d, 'value': n::UBIGINT})) AS days,
           round(sum(d * n)::DOUBLE / sum(n)::DOUBLE, 2)::DOUBLE AS mean_working_days,
           max(d)::BIGINT AS max_working_days,
           len(list_distinct(flatten(list(ward_codes)))) AS wards
    FROM rolled
    GROUP BY month, level, ward_code, district, province
)
SELECT month, level, ward_code, ward_name, district, province, resolved,
       histogram_quantile_cont(days, 0.5) AS median_working_days,
       histogram_quantile_cont(days, 0.9) AS p90_working_days,
       mean_working_days, max_working_days, wards
FROM unit;

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

-- load_flag_columns: which of the optional columns (paid online, digitised,
-- apology letter, fee) each load's file had. A dossier's flag is
-- known when the export its state came from had the column (or gave a
-- value): a blank cell there is a no, as exports mark the yes cells ("x")
-- and leave the others blank. Without the column the flag is unknown, and
-- so is every figure made from it: NULL with a note, never 0.
-- vi: mỗi lần nạp, tệp có các cột tuỳ chọn nào (thanh toán trực tuyến, số hoá,
-- thư xin lỗi, phí). Cờ của hồ sơ chỉ biết được khi tệp có cột đó (ô trống là
-- "không"); tệp không có cột thì cờ không rõ, và mọi số liệu tính từ nó để trống
-- (NULL) kèm ghi chú, không bao giờ là 0.
CREATE OR REPLACE VIEW load_flag_columns AS
SELECT load_id,
       coalesce(list_contains(fields, 'paid_online'), false) AS has_paid_online,
       coalesce(list_contains(fields, 'digitised'), false) AS has_digitised,
       coalesce(list_contains(fields, 'apology_issued'), false) AS has_apology,
       coalesce(list_contains(fields, 'fee'), false) AS has_fee
FROM (SELECT load_id, json_extract_string(header_map, '$.*') AS fields FROM loads);

-- supplement_requests: every supplement request a dossier's history holds,
-- one row per day requested, with the day the applicant answered (the
-- latest seen). It reads dossier_versions, every state ever loaded: an
-- export shows only a dossier's last request, and the 766 rule makes a
-- dossier with more than one request late.
-- vi: mọi lần yêu cầu bổ sung mà lịch sử của hồ sơ có, mỗi ngày yêu cầu một
-- dòng, kèm ngày người nộp bổ sung (muộn nhất đã thấy). Đọc dossier_versions,
-- mọi trạng thái từng nạp: tệp xuất chỉ ghi lần yêu cầu cuối, còn quy tắc 766
-- coi hồ sơ bị yêu cầu bổ sung quá một lần là trễ hạn.
CREATE OR REPLACE VIEW supplement_requests AS
SELECT ward_code, dossier_code, supplement_requested_at::DATE AS requested_day,
       max(supplement_received_at::DATE) FILTER (WHERE supplement_received_at >= supplement_requested_at) AS answered_day
FROM dossier_versions
WHERE supplement_requested_at IS NOT NULL
GROUP BY ALL;

-- mart_index766: the parts of the national service index (Decision
-- 766/QĐ-TTg) computable from dossiers, with their points:
--   progress (20): (resolved by the due day + open and not yet overdue) /
--     (resolved with a due day + open), where the due day moves by the
--     working days the clock stood still waiting for the applicant's
--     supplements (every request the history holds; an open request stops
--     the clock until the month's end), and a dossier with more than one
--     supplement request is late;
--   online (12): online share of new dossiers, full points at 50%;
--   online payment (10): paid online / new dossiers with a fee;
--   digitisation (22): digitised / new dossiers, full points at 80%.
-- A part whose inputs the exports lack (no paid-online or digitised
-- column, no dossier to judge) is NULL, says why in note_vi / note_en, and
-- is left out of points and points_possible.
-- vi: các phần của Bộ chỉ số phục vụ người dân, doanh nghiệp (Quyết định
-- 766/QĐ-TTg) tính được từ hồ sơ, kèm điểm: tiến độ (20): (giải quyết đúng
-- hạn + đang giải quyết chưa quá hạn) / (đã giải quyết có ngày hẹn + đang
-- giải quyết), ngày hẹn lùi thêm số ngày làm việc chờ bổ sung (mọi lần yêu
-- cầu bổ sung trong lịch sử; hồ sơ bị yêu cầu bổ sung quá một lần là trễ
-- hạn); trực tuyến (12): tỷ lệ hồ sơ mới nộp trực tuyến, đủ điểm ở 50%;
-- thanh toán trực tuyến (10): đã thanh toán trực tuyến / hồ sơ mới có phí;
-- số hoá (22): đã số hoá / hồ sơ mới, đủ điểm ở 80%. Phần nào tệp xuất
-- không có dữ liệu đầu vào thì để trống (NULL), ghi lý do ở note_vi và không
-- tính vào points_possible.
CREATE OR REPLACE VIEW mart_index766 AS
WITH wm AS MATERIALIZED (SELECT *, least(month_end, wardstat_today()) AS as_of FROM ward_month),
cal AS MATERIALIZED (SELECT * FROM calendar_cum),
-- the n-th working day, to move a due day by n working days
working_days AS MATERIALIZED (SELECT cum, day FROM cal WHERE working),
requests AS (
    SELECT r.ward_code, r.dossier_code, r.requested_day, r.answered_day,
           cq.cum AS requested_cum, ca.cum AS answered_cum
    FROM supplement_requests r
    LEFT JOIN cal cq ON cq.day = r.requested_day
    LEFT JOIN cal ca ON ca.day = r.answered_day
),
-- resolved dossiers: their requests and the working days waited
resolved_waits AS (
    SELECT f.ward_code, strftime(f.completed_day, '%Y-%m') AS month, f.completed_day, f.due_day,
           coalesce(s.requests, 0) AS requests, s.wait,
           CASE WHEN s.wait > 0 THEN f.due_day END AS moved_due -- the due day, when the wait moves it
    FROM dossier_days f
    LEFT JOIN (SELECT ward_code, dossier_code, count(*) AS requests,
                      sum(coalesce(answered_cum - requested_cum, 0)) AS wait
               FROM requests GROUP BY ALL) s USING (ward_code, dossier_code)
    WHERE f.completed_day IS NOT NULL
),
resolved AS (
    SELECT r.ward_code, r.month,
           count(*) FILTER (WHERE r.due_day IS NOT NULL OR r.requests > 1) AS judged,
           count(*) FILTER (WHERE r.requests <= 1 AND r.completed_day <= coalesce(wd.day, r.due_day)) AS in_time
    FROM resolved_waits r
    LEFT JOIN cal cd ON cd.day = r.moved_due
    LEFT JOIN working_days wd ON wd.cum = cd.cum + r.wait
    GROUP BY ALL
),
-- open dossiers with a supplement request, at the end of each month they
-- are open (today for the current month, as ward_month): the requests made
-- by then and the working days waited by then
pending_waits AS (
    SELECT m.ward_code, m.month, m.as_of AS e, f.dossier_code, f.due_day,
           count(*) FILTER (WHERE r.requested_day <= m.as_of) AS requests,
           coalesce(sum(CASE WHEN r.answered_day <= m.as_of THEN r.answered_cum ELSE ce.cum END - r.requested_cum)
                        FILTER (WHERE r.requested_day <= m.as_of), 0) AS wait
    FROM dossier_days f
    JOIN requests r USING (ward_code, dossier_code)
    JOIN wm m ON m.ward_code = f.ward_code AND f.received_day <= m.as_of
         AND coalesce(f.completed_day > m.as_of, true) AND coalesce(f.withdrawn_day > m.as_of, true)
    LEFT JOIN cal ce ON ce.day = m.as_of
    GROUP BY ALL
),
-- how the rule changes the form's open-in-time count (due day not before
-- the month's end) for those dossiers
pending_change AS (
    SELECT p.ward_code, p.month,
           sum((p.requests <= 1 AND NOT coalesce(coalesce(wd.day, p.due_day) < p.e, false))::INT)
           - sum((NOT coalesce(p.due_day < p.e, false))::INT) AS in_time_change
    FROM pending_waits p
    LEFT JOIN cal cd ON cd.day = CASE WHEN p.wait > 0 THEN p.due_day END
    LEFT JOIN working_days wd ON wd.cum = cd.cum + p.wait
    GROUP BY ALL
),
intake AS (
    SELECT f.ward_code, f.received_month AS month, count(*) AS new_total,
           count(*) FILTER (WHERE f.channel = 'online') AS online,
           count(*) FILTER (WHERE l.has_fee OR f.fee IS NOT NULL) AS fee_known,
           count(*) FILTER (WHERE f.fee > 0) AS with_fee,
           count(*) FILTER (WHERE f.fee > 0 AND (l.has_paid_online OR f.paid_online IS NOT NULL)) AS with_fee_payment_known,
           count(*) FILTER (WHERE f.fee > 0 AND f.paid_online) AS paid_online,
           count(*) FILTER (WHERE l.has_digitised OR f.digitised IS NOT NULL) AS digitised_known,
           count(*) FILTER (WHERE f.digitised) AS digitised
    FROM dossier_facts f
    LEFT JOIN load_flag_columns l USING (load_id)
    GROUP BY ALL
),
parts AS (
    SELECT wm.month, wm.ward_code, wm.ward_name,
           round(100.0 * (coalesce(r.in_time, 0) + wm.pending_in_time + coalesce(pc.in_time_change, 0))
                 / nullif(coalesce(r.judged, 0) + wm.pending_total, 0), 2) AS progress_rate,
           round(100.0 * i.online / nullif(i.new_total, 0), 2) AS online_share,
           round(100.0 * i.paid_online / nullif(i.with_fee_payment_known, 0), 2) AS online_payment_share,
           round(100.0 * i.digitised / nullif(i.digitised_known, 0), 2) AS digitisation_share,
           coalesce(i.new_total, 0) AS new_total, coalesce(i.fee_known, 0) AS fee_known, coalesce(i.with_fee, 0) AS with_fee
    FROM wm
    LEFT JOIN resolved r USING (ward_code, month)
    LEFT JOIN pending_change pc USING (ward_code, month)
    LEFT JOIN intake i USING (ward_code, month)
)
SELECT * EXCLUDE (new_total, fee_known, with_fee),
       round(20 * progress_rate / 100, 2)::DOUBLE AS progress_points,
       round(CASE WHEN online_share IS NOT NULL THEN least(12, 12 * online_share / 50) END, 2)::DOUBLE AS online_points,
       round(10 * online_payment_share / 100, 2)::DOUBLE AS online_payment_points,
       round(CASE WHEN digitisation_share IS NOT NULL THEN least(22, 22 * digitisation_share / 80) END, 2)::DOUBLE AS digitisation_points,
       round(CASE WHEN coalesce(progress_rate, online_share, online_payment_share, digitisation_share) IS NOT NULL
             THEN coalesce(20 * progress_rate / 100, 0)
                + coalesce(CASE WHEN online_share IS NOT NULL THEN least(12, 12 * online_share / 50) END, 0)
                + coalesce(10 * online_payment_share / 100, 0)
                + coalesce(CASE WHEN digitisation_share IS NOT NULL THEN least(22, 22 * digitisation_share / 80) END, 0) END, 2)::DOUBLE AS points,
       (progress_rate IS NOT NULL)::INT * 20 + (online_share IS NOT NULL)::INT * 12
       + (online_payment_share IS NOT NULL)::INT * 10 + (digitisation_share IS NOT NULL)::INT * 22 AS points_possible,
       nullif(concat_ws('; ',
           CASE WHEN progress_rate IS NULL THEN 'tiến độ: không có hồ sơ nào để xét hạn' END,
           CASE WHEN online_share IS NULL THEN 'trực tuyến: không có hồ sơ mới' END,
           CASE WHEN online_payment_share IS NULL THEN CASE
                WHEN new_total = 0 THEN 'thanh toán trực tuyến: không có hồ sơ mới'
                WHEN fee_known = 0 THEN 'thanh toán trực tuyến: tệp xuất không có cột phí, lệ phí'
                WHEN with_fee = 0 THEN 'thanh toán trực tuyến: không có hồ sơ mới nào có phí'
                ELSE 'thanh toán trực tuyến: tệp xuất không có cột thanh toán trực tuyến' END END,
           CASE WHEN digitisation_share IS NULL THEN CASE WHEN new_total = 0
                THEN 'số hóa: không có hồ sơ mới'
                ELSE 'số hóa: tệp xuất không có cột số hóa' END END), '') AS note_vi,
       nullif(concat_ws('; ',
           CASE WHEN progress_rate IS NULL THEN 'progress: no dossier to judge' END,
           CASE WHEN online_share IS NULL THEN 'online: no new dossier' END,
           CASE WHEN online_payment_share IS NULL THEN CASE
                WHEN new_total = 0 THEN 'online payment: no new dossier'
                WHEN fee_known = 0 THEN 'online payment: the export has no fee column'
                WHEN with_fee = 0 THEN 'online payment: no new dossier with a fee'
                ELSE 'online payment: the export has no paid-online column' END END,
           CASE WHEN digitisation_share IS NULL THEN CASE WHEN new_total = 0
                THEN 'digitisation: no new dossier'
                ELSE 'digitisation: the export has no digitised column' END END), '') AS note_en
FROM parts;

-- mart_apology: late dossiers with and without an apology letter. A late
-- dossier whose export has no apology-letter column is unknown, and the
-- coverage is over the known ones: NULL (with a note) when none is known.
-- vi: hồ sơ trễ hạn có và không có thư xin lỗi. Hồ sơ trễ hạn mà tệp xuất
-- không có cột thư xin lỗi là chưa rõ (apology_unknown), và tỷ lệ (coverage)
-- chỉ tính trên các hồ sơ đã rõ: để trống (kèm ghi chú) khi không hồ sơ nào rõ.
CREATE OR REPLACE VIEW mart_apology AS
SELECT month, ward_code,
       count(*) AS late,
       count(*) FILTER (WHERE known AND apology_issued) AS with_apology,
       count(*) FILTER (WHERE known AND NOT coalesce(apology_issued, false)) AS without_apology,
       count(*) FILTER (WHERE NOT known) AS apology_unknown,
       round(100.0 * count(*) FILTER (WHERE known AND apology_issued) / nullif(count(*) FILTER (WHERE known), 0), 2)::DOUBLE AS coverage,
       CASE WHEN count(*) FILTER (WHERE known) = 0 THEN 'tệp xuất không có cột thư xin lỗi' END AS note_vi,
       CASE WHEN count(*) FILTER (WHERE known) = 0 THEN 'the export has no apology-letter column' END AS note_en
FROM (
    SELECT f.completed_month AS month, f.ward_code, f.apology_issued,
           coalesce(l.has_apology, false) OR f.apology_issued IS NOT NULL AS known
    FROM dossier_facts f
    LEFT JOIN load_flag_columns l USING (load_id)
    WHERE f.completed_day > f.due_day
)
GROUP BY month, ward_code;

-- ward_report_check: every column of each ward's own reported form (the
-- last imported for a ward and period) compared, one row per ward, period,
-- check and column (form_column, in the form's order: column_no):
--   counted     the reported figure against the dossiers' count for the
--               same ward and period (report_form);
--   parts       a total against the sum of its own reported parts: received
--               = carried over + new online + direct + postal; resolved =
--               early + on time + late; pending = in time + overdue;
--   identity    received against resolved + withdrawn + pending;
--   missing     the form left the column blank (expected: the dossiers'
--               count, when the warehouse holds the ward);
--   no_dossiers the warehouse holds no dossier of the ward (one row).
-- difference = reported - expected; agrees is NULL when the form left a
-- figure out, so nothing could be compared.
-- vi: mọi cột của biểu mỗi xã, phường tự báo cáo (biểu nhập sau cùng của một
-- đơn vị và một kỳ) được so, mỗi đơn vị, kỳ, phép so và cột một dòng: counted
-- (số báo cáo so với số đếm từ hồ sơ), parts (số tổng so với tổng các phần
-- của nó), identity (tiếp nhận so với đã giải quyết + rút/dừng + đang giải
-- quyết), missing (biểu bỏ trống cột đó), no_dossiers (kho không có hồ sơ nào
-- của đơn vị). difference = số báo cáo - số đúng ra; agrees để trống khi biểu
-- bỏ trống số đó.
CREATE OR REPLACE VIEW ward_report_check AS
WITH forms AS (
    SELECT * FROM ward_reports
    QUALIFY load_id = max(load_id) OVER (PARTITION BY ward_code, period_start, period_end)
),
periods AS (SELECT DISTINCT period_start, period_end FROM forms),
counted AS (
    SELECT p.period_start, p.period_end, c.*
    FROM periods p, LATERAL (SELECT * FROM report_form(p.period_start, p.period_end)) c
),
figures AS (
    SELECT ['received_total', 'carried_over', 'new_online', 'new_direct', 'new_postal', 'resolved_total',
            'resolved_early', 'resolved_on_time', 'resolved_late', 'withdrawn', 'pending_total',
            'pending_in_time', 'pending_overdue'] AS names
),
form_figures AS (
    SELECT ward_code, period_start, period_end, load_id, received_total, carried_over, new_online, new_direct,
           new_postal, resolved_total, resolved_early, resolved_on_time, resolved_late, withdrawn, pending_total,
           pending_in_time, pending_overdue
    FROM forms
),
reported AS (
    SELECT * FROM form_figures UNPIVOT INCLUDE NULLS (reported FOR form_column IN (
        received_total, carried_over, new_online, new_direct, new_postal, resolved_total, resolved_early,
        resolved_on_time, resolved_late, withdrawn, pending_total, pending_in_time, pending_overdue))
),
counted_figures AS (
    SELECT ward_code, period_start, period_end, received_total, carried_over, new_online, new_direct, new_postal,
           resolved_total, resolved_early, resolved_on_time, resolved_late, withdrawn, pending_total,
           pending_in_time, pending_overdue
    FROM counted
),
dossier_counts AS (
    UNPIVOT counted_figures
    ON received_total, carried_over, new_online, new_direct, new_postal, resolved_total, resolved_early,
       resolved_on_time, resolved_late, withdrawn, pending_total, pending_in_time, pending_overdue
    INTO NAME form_column VALUE counted
),
known_wards AS (SELECT DISTINCT ward_code FROM dossier_days),
checks AS (
    SELECT r.ward_code, r.period_start, r.period_end, r.load_id, 'counted' AS check_kind, r.form_column,
           r.reported::BIGINT AS reported, coalesce(c.counted, 0)::BIGINT AS expected
    FROM reported r
    SEMI JOIN known_wards k ON k.ward_code = r.ward_code
    LEFT JOIN dossier_counts c USING (ward_code, period_start, period_end, form_column)
    WHERE r.reported IS NOT NULL
    UNION ALL
    -- A figure the form left blank is its own finding (missing), not a
    -- difference and not an agreement: expected is the dossiers' count
    -- when the warehouse holds the ward.
    SELECT r.ward_code, r.period_start, r.period_end, r.load_id, 'missing', r.form_column, NULL,
           CASE WHEN r.ward_code IN (SELECT ward_code FROM known_wards) THEN coalesce(c.counted, 0) END::BIGINT
    FROM reported r
    LEFT JOIN dossier_counts c USING (ward_code, period_start, period_end, form_column)
    WHERE r.reported IS NULL
    UNION ALL
    SELECT ward_code, period_start, period_end, load_id, 'parts', 'received_total',
           received_total, carried_over + new_online + new_direct + new_postal FROM forms
    UNION ALL
    SELECT ward_code, period_start, period_end, load_id, 'parts', 'resolved_total',
           resolved_total, resolved_early + resolved_on_time + resolved_late FROM forms
    UNION ALL
    SELECT ward_code, period_start, period_end, load_id, 'parts', 'pending_total',
           pending_total, pending_in_time + pending_overdue FROM forms
    UNION ALL
    SELECT ward_code, period_start, period_end, load_id, 'identity', 'received_total',
           received_total, resolved_total + withdrawn + pending_total FROM forms
    UNION ALL
    SELECT ward_code, period_start, period_end, load_id, 'no_dossiers', NULL, NULL, NULL
    FROM forms ANTI JOIN known_wards USING (ward_code)
)
SELECT ward_code, period_start, period_end, load_id, check_kind, form_column,
       list_position(figures.names, form_column) AS column_no,
       reported, expected, reported - expected AS difference,
       CASE WHEN check_kind = 'no_dossiers' THEN false ELSE reported = expected END AS agrees
FROM checks, figures;
