-- dossier_versions: every distinct state ever seen of every dossier, with
-- the load it came from: the states it has left behind (dossier_history)
-- and its current one (dossiers).
-- vi: mọi trạng thái khác nhau từng thấy của mọi hồ sơ, kèm lần nạp mang nó
-- tới: các trạng thái đã qua (dossier_history) và trạng thái hiện tại
-- (dossiers).
CREATE OR REPLACE VIEW dossier_versions AS
SELECT * FROM dossier_history
UNION ALL BY NAME
SELECT * EXCLUDE (first_load_id, key_hash) FROM dossiers;

-- calendar_cum: each day with the number of working days up to it (cum),
-- and start_cum, the cum of the first working day on or after it: a clock
-- started on the day counts from there (a day off starts it on the next
-- working day).
-- vi: mỗi ngày kèm số ngày làm việc tính đến ngày đó (cum) và start_cum, cum
-- của ngày làm việc đầu tiên từ ngày đó trở đi (nơi bắt đầu tính hạn).
CREATE OR REPLACE VIEW calendar_cum AS
SELECT day, working, sum(working::INTEGER) OVER (ORDER BY day) AS cum,
       sum(working::INTEGER) OVER (ORDER BY day) - working::INTEGER + 1 AS start_cum
FROM calendar_days;

-- ws_clock_day: the day a dossier's clock starts, from its receipt time:
-- the day of receipt, or the next day when received at 15:00 or later.
-- The clock starts on that day's start_cum (calendar_cum): the deemed
-- receipt. The due date a catalogue gives (sql/load/10_due.sql: start_cum
-- + allowed days) and the processing time (dossier_facts: cum of the day
-- of completion - start_cum) both count from it, so a dossier resolved on
-- or before its due day never shows more working days than allowed.
CREATE OR REPLACE MACRO ws_clock_day(received_at) AS
    CASE WHEN hour(received_at) >= 15 THEN received_at::DATE + 1 ELSE received_at::DATE END;

-- Value parsers shared by every load: each takes the raw text of a cell as
-- the ward's system wrote it and returns the typed value, or NULL when the
-- text cannot be read. A load rejects a row whose required value is not NULL
-- in the file but NULL here.

-- ws_key: lower case, no diacritics (đ -> d), words separated by one space.
CREATE OR REPLACE MACRO ws_key(s) AS
    trim(regexp_replace(lower(strip_accents(replace(replace(s, 'đ', 'd'), 'Đ', 'D'))), '[^a-z0-9]+', ' ', 'g'));

-- A timestamp from its parts as text, the day and month in the order o of
-- its column (warehouse/dates.go decides it once per column, from the
-- evidence of its cells): 'd' day first, 'm' month first, 'x' both orders
-- seen in the column, so a cell that reads both ways (03/04/2024) is not
-- read; NULL when there is no column to judge by (ws_ts), so the cell
-- decides: day first unless only month first reads (13 in second place).
CREATE OR REPLACE MACRO ws_month_first(d, mo, o) AS CASE
    WHEN o = 'm' THEN true
    WHEN o = 'd' THEN false
    ELSE mo::BIGINT > 12 AND d::BIGINT <= 12 END;

CREATE OR REPLACE MACRO ws_ts_from(d, mo, y, h, mi, sec, ap, o) AS CASE
    WHEN o = 'x' AND d::BIGINT <= 12 AND mo::BIGINT <= 12 AND d::BIGINT <> mo::BIGINT THEN NULL
    ELSE try(make_timestamp(
    CASE WHEN y::BIGINT < 100 THEN 2000 + y::BIGINT ELSE y::BIGINT END,
    CASE WHEN ws_month_first(d, mo, o) THEN d::BIGINT ELSE mo::BIGINT END,
    CASE WHEN ws_month_first(d, mo, o) THEN mo::BIGINT ELSE d::BIGINT END,
    coalesce(try_cast(h AS BIGINT), 0)
        + CASE WHEN upper(ap) IN ('PM', 'CH') AND try_cast(h AS BIGINT) < 12 THEN 12
               WHEN upper(ap) IN ('AM', 'SA') AND try_cast(h AS BIGINT) = 12 THEN -12
               ELSE 0 END,
    coalesce(try_cast(mi AS BIGINT), 0),
    coalesce(try_cast(sec AS DOUBLE), 0))) END;
CREATE OR REPLACE MACRO ws_ts_struct(p, o) AS ws_ts_from(p.d, p.mo, p.y, p.h, p.mi, p.sec, p.ap, o);

-- ws_offset_ok: an ISO text's offset from UTC is one the world uses, at
-- most 14 hours either way ("+99:00" is a typo, not a time zone).
-- One regular expression for what is not (hours past 14, minutes past 59,
-- 14 and minutes), as the fast style tests every cell of its column.
CREATE OR REPLACE MACRO ws_offset_ok(t) AS
    NOT regexp_matches(t, '[+-](?:1[5-9]|[2-9]\d)(?::?\d{2})?$|[+-]\d{1,2}:?[6-9]\d$|[+-]14:?(?:0[1-9]|[1-5]\d)$');

-- ws_strptime: try_strptime of text t in format f, safe from a DuckDB 1.5.6
-- bug: StrpTimeFormat::Parse compares a format's literal characters with
-- the text without checking that the text has ended, so a text that stops
-- where a literal is due is read one byte past its end (a SIGSEGV when the
-- text ends a mapped page: one load in twenty under CPU load). Text and
-- format both end with chr(31), never in a date and not a space to
-- strptime, so the parse meets it first. strptime accepts trailing spaces,
-- which the mark would now follow, so the text loses them first
-- (ws_strptime_text): the result is unchanged. Every strptime here and in
-- warehouse/dates.go (strptimeSQL) is written so (TestNoBareStrptime); a
-- list of formats gets chr(31) on each.
CREATE OR REPLACE MACRO ws_strptime_text(t) AS rtrim(t, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13));
CREATE OR REPLACE MACRO ws_strptime(t, f) AS try_strptime(ws_strptime_text(t) || chr(31), f || chr(31));

-- The date styles a load may read a whole column in (warehouse/dates.go,
-- fastFormats) that are not strptime formats, one macro each: the value,
-- or NULL when the text is not in that style. The load's sampled styles
-- (styleExpr) and ws_ts_any read them through these.
-- ws_ts_unix_ms / ws_ts_unix_s: Unix milliseconds or seconds (APIs).
CREATE OR REPLACE MACRO ws_ts_unix_ms(t) AS
    CASE WHEN regexp_full_match(t, '\d{13}') THEN try(make_timestamp(t::BIGINT * 1000)) + INTERVAL 7 HOUR END;
CREATE OR REPLACE MACRO ws_ts_unix_s(t) AS
    CASE WHEN regexp_full_match(t, '1\d{9}') THEN try(make_timestamp(t::BIGINT * 1000000)) + INTERVAL 7 HOUR END;
-- ws_ts_dotnet: .NET's JSON date "/Date(1710462600000)/" (its offset aside).
CREATE OR REPLACE MACRO ws_ts_dotnet(t) AS
    CASE WHEN regexp_full_match(t, '/Date\((-?\d+)([+-]\d{4})?\)/')
         THEN try(make_timestamp(regexp_extract(t, '(-?\d+)', 1)::BIGINT * 1000)) + INTERVAL 7 HOUR END;
-- ws_ts_excel: a spreadsheet's serial day number (five digits: every
-- day from 1990 to 2100, the years read, ws_ts_in_range).
CREATE OR REPLACE MACRO ws_ts_excel(t) AS
    CASE WHEN regexp_full_match(t, '\d{5}(\.\d+)?')
         THEN TIMESTAMP '1899-12-30' + to_microseconds(round(t::DOUBLE * 86400000)::BIGINT * 1000) END;

-- ws_ts_any: every date style seen in ward exports, to Vietnam local time.
--   dd/mm/yyyy [HH:MM[:SS]] [SA|CH|AM|PM]  (also - and . separators, 2-digit years)
--   HH:MM[:SS] dd/mm/yyyy                   (time first, as some one-stop systems print)
--   yyyy-mm-dd[ HH:MM[:SS[.fff]]]           (ISO without offset: already local)
--   ISO 8601 with Z or an offset            (converted to UTC+7)
--   yyyyMMddHHmmss, yyyyMMddHHmm, yyyyMMdd  (the national portal's sync format)
--   Excel serial day numbers, Unix seconds or milliseconds, /Date(ms)/
--   "ngày 15 tháng 3 năm 2024", "15-Mar-2024"
CREATE OR REPLACE MACRO ws_ts_any(t, o) AS CASE
    WHEN t IS NULL OR t = '' THEN NULL
    WHEN regexp_full_match(t, '(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T,\-]+(?:l[úu]c\s+)?(\d{1,2})[:hH](\d{1,2})(?:[:mM](\d{1,2}(?:\.\d+)?))?[sS]?\s*([AaPp][Mm]|SA|CH|sa|ch)?)?')
        THEN ws_ts_struct(regexp_extract(t, '^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T,\-]+(?:l[úu]c\s+)?(\d{1,2})[:hH](\d{1,2})(?:[:mM](\d{1,2}(?:\.\d+)?))?[sS]?\s*([AaPp][Mm]|SA|CH|sa|ch)?)?$',
                                         ['d', 'mo', 'y', 'h', 'mi', 'sec', 'ap']), o)
    WHEN regexp_full_match(t, '(\d{1,2})[:hH](\d{1,2})(?::(\d{1,2}))?\s*([AaPp][Mm]|SA|CH|sa|ch)?[ ,]+(?:[Nn]g[àa]y\s+)?(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})')
        THEN ws_ts_struct(regexp_extract(t, '^(\d{1,2})[:hH](\d{1,2})(?::(\d{1,2}))?\s*([AaPp][Mm]|SA|CH|sa|ch)?[ ,]+(?:[Nn]g[àa]y\s+)?(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$',
                                         ['h', 'mi', 'sec', 'ap', 'd', 'mo', 'y']), o)
    WHEN regexp_full_match(t, '(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?)?')
        THEN ws_ts_struct(regexp_extract(t, '^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?)?()$',
                                         ['y', 'mo', 'd', 'h', 'mi', 'sec', 'ap']), 'd')
    WHEN regexp_full_match(t, '\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[Zz]|UTC|GMT|(?:UTC|GMT)?[+-]\d{1,2}(?::?\d{2})?)')
        THEN CASE WHEN ws_offset_ok(t) THEN (try_cast(regexp_replace(regexp_replace(t, '\s*(UTC|GMT)', ''), '([+-])(\d)(:?\d{2})?$', '\1' || '0\2\3') AS TIMESTAMPTZ) AT TIME ZONE 'UTC') + INTERVAL 7 HOUR END
    WHEN regexp_full_match(t, '\d{14}') THEN ws_strptime(t, '%Y%m%d%H%M%S')
    WHEN regexp_full_match(t, '\d{12}') THEN ws_strptime(t, '%Y%m%d%H%M')
    WHEN regexp_full_match(t, '(19|20)\d{6}') THEN ws_strptime(t, '%Y%m%d')
    -- The styles of their own (above), then the rest. A text in one of
    -- their shapes that does not read (an overflow) reads in no later
    -- one either: NULL, as when each was a branch here.
    ELSE coalesce(ws_ts_unix_ms(t), ws_ts_unix_s(t), ws_ts_dotnet(t), ws_ts_excel(t),
        CASE WHEN regexp_full_match(ws_key(t), '(?:ngay )?(\d{1,2}) thang (\d{1,2}) nam (\d{4})')
            THEN ws_ts_struct(regexp_extract(ws_key(t), '^(?:ngay )?(\d{1,2}) thang (\d{1,2}) nam (\d{4})()()()()$',
                                             ['d', 'mo', 'y', 'h', 'mi', 'sec', 'ap']), 'd')
            ELSE try_strptime(ws_strptime_text(t) || chr(31), ['%d-%b-%Y' || chr(31), '%d-%b-%y' || chr(31), '%d %b %Y' || chr(31), '%b %d, %Y' || chr(31),
                              '%d-%b-%Y %H:%M' || chr(31), '%d-%b-%Y %H:%M:%S' || chr(31), '%d %B %Y' || chr(31), '%B %d, %Y' || chr(31),
                              '%a, %d %b %Y %H:%M:%S GMT' || chr(31)]) END)
END;

-- ws_excel_error: a spreadsheet's error value ("#DIV/0!", "#N/A"), as a
-- workbook's error cell or a CSV saved from one holds it: a value that
-- could not be computed, never a date, a fee or a word for none.
CREATE OR REPLACE MACRO ws_excel_error(s) AS
    starts_with(ltrim(s), '#')
    AND regexp_full_match(upper(trim(s)), '#(?:DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|GETTING_DATA)');

-- ws_no_date: a date cell that says there is no date, read as empty:
-- marks alone ("-", "…"), a word for none ("N/A", "null", "Chưa có", "Không
-- có", or a status such as "Đang xử lý", as report-like exports fill the
-- dates a pending dossier lacks), a zero date ("0", "0000-00-00
-- 00:00:00"), or the least date a database writes for none ("01/01/1900",
-- "1/1/0001 12:00:00 AM"). Other text ("hôm qua") stays unreadable, and
-- so does a spreadsheet's error ("#N/A", "#NULL!": no value, not none).
CREATE OR REPLACE MACRO ws_no_date(s) AS NOT ws_excel_error(s) AND (
    (NOT regexp_matches(s, '\d') AND regexp_full_match(ws_key(s), '|n ?a|null|none|nil|empty|tbd|khong|khong co.*|chua.*|dang .*|cho .*'))
    OR regexp_full_match(s, '\s*[0\s/.:\-T]+')
    OR regexp_full_match(s, '\s*(?:0?1[/.\-]0?1[/.\-](?:1900|0001)|(?:1900|0001)[/.\-]0?1[/.\-]0?1)(?:[ T][0-9:. ]*(?:AM|SA|am|sa)?)?\s*'));

-- ws_date_text: a date cell's text, NULL when it is empty or says there is
-- no date. The test runs only on a cell with text: an empty cell is NULL,
-- and NULL AND x evaluates x (tested on every empty completion date, it
-- slows the typing pass: BENCHMARKS.md).
CREATE OR REPLACE MACRO ws_date_text(s) AS
    CASE WHEN coalesce(s <> '', false) AND NOT ws_no_date(s) THEN s END;

-- ws_ts_fast: the common styles through DuckDB's vectorised strptime; NULL
-- for anything else, which ws_ts_any then reads the slow way.
CREATE OR REPLACE MACRO ws_ts_fast(t) AS try_strptime(ws_strptime_text(t) || chr(31), [
    '%d/%m/%Y %H:%M:%S' || chr(31), '%d/%m/%Y %H:%M' || chr(31), '%d/%m/%Y' || chr(31),
    '%Y-%m-%d %H:%M:%S' || chr(31), '%Y-%m-%dT%H:%M:%S' || chr(31), '%Y-%m-%d %H:%M' || chr(31), '%Y-%m-%d' || chr(31)]);

-- ws_ts_in_range: NULL outside 1990..2100 (a misread serial or a typo).
CREATE OR REPLACE MACRO ws_ts_in_range(v) AS
    CASE WHEN v >= TIMESTAMP '1990-01-01' AND v < TIMESTAMP '2101-01-01' THEN v END;

-- ws_ts_o: any date style of a ward export, as Vietnam local time, or
-- NULL; day and month in the order o of its column (see ws_ts_from). As a
-- coalesce, the fast formats run once per text, not tested by a CASE and
-- read again (BENCHMARKS.md). ws_ts: the same without a column to judge by.
CREATE OR REPLACE MACRO ws_ts_o(s, o) AS
    coalesce(CASE WHEN coalesce(o, 'd') = 'd' THEN ws_ts_in_range(ws_ts_fast(trim(s))) END, ws_ts_in_range(ws_ts_any(trim(s), o)));
CREATE OR REPLACE MACRO ws_ts(s) AS ws_ts_o(s, NULL);

-- ws_channel: online | postal | direct; an empty cell is direct (DOMAIN.md),
-- text that names no channel is NULL (the load rejects the row), and so is
-- a spreadsheet's error ("#NULL!" is not "null") and an e-mail address or
-- service ("an@gmail.com", "Hotmail", "E-mail": "mail" counts as postal
-- only as a word of its own, "by mail").
CREATE OR REPLACE MACRO ws_channel_key(k) AS CASE
    WHEN k IS NULL OR k = '' OR k IN ('1', '0', 'null', 'none') THEN 'direct'
    WHEN k = '2' THEN 'online'
    WHEN k = '3' THEN 'postal'
    WHEN regexp_matches(k, '(buu chinh|buu dien|bcci|postal|\bpost\b|\bbc\b|vnpost|chuyen phat|\bmail\b)') AND NOT regexp_matches(k, '\be ?mail\b')
        THEN 'postal'
    WHEN regexp_matches(k, '(truc tuyen|online|muc do [34]|\bmd[34]\b|\bdvc|dich vu cong|internet|qua mang|dien tu|\bweb|portal|cong thong tin|e service|electronic|zalo|app|vneid|ung dung|mobile|toan trinh|mot phan)')
        THEN 'online'
    WHEN regexp_matches(k, '(truc tiep|direct|tai quay|\bquay\b|mot cua|counter|in person|walk in|offline|tai bo phan|tai co quan|tai ubnd|nop giay|paper)')
        THEN 'direct'
    ELSE NULL
END;
CREATE OR REPLACE MACRO ws_channel(s) AS CASE WHEN NOT coalesce(ws_excel_error(s), false) AND NOT coalesce(contains(s, '@'), false) THEN ws_channel_key(ws_key(s)) END;

-- ws_online_level: full | partial | none, from a service-level cell or a
-- channel label ("Trực tuyến toàn trình", "mức độ 4"); NULL when unknown.
CREATE OR REPLACE MACRO ws_online_level_key(k) AS CASE
    WHEN k IS NULL OR k = '' THEN NULL
    WHEN regexp_matches(k, '(toan trinh|muc do 4|\bmd ?4\b|^4$|\bfull|complete)') THEN 'full'
    WHEN regexp_matches(k, '(mot phan|muc do 3|\bmd ?3\b|^3$|partial)') THEN 'partial'
    WHEN regexp_matches(k, '(muc do [12]|^[012]$|khong|\bnone\b|\bno\b|truc tiep|direct|buu|bcci|postal|cung cap thong tin)') THEN 'none'
    ELSE NULL
END;
CREATE OR REPLACE MACRO ws_online_level(s) AS ws_online_level_key(ws_key(s));

-- ws_status: the national catalogue code 0..10 from a code or a label in
-- Vietnamese (with or without diacritics) or English; NULL when unknown.
CREATE OR REPLACE MACRO ws_status_key(k) AS CASE
    WHEN k IS NULL OR k = '' THEN NULL
    WHEN regexp_full_match(k, '\d{1,2}') THEN CASE WHEN k::INT BETWEEN 0 AND 10 THEN k::SMALLINT END
    WHEN regexp_matches(k, '(tu choi tiep nhan|khong tiep nhan|khong duoc tiep nhan|khong du dieu kien tiep nhan|refused at intake|rejected at intake|intake refused)') THEN 3
    WHEN regexp_matches(k, '(chua tiep nhan|cho tiep nhan|moi dang ky|da dang ky|cho xac nhan|da nop|moi nop|nop truc tuyen|submitted|not accepted|pending acceptance|draft)') THEN 1
    WHEN regexp_matches(k, '(rut ho so|da rut|cong dan rut|nguoi dan rut|xin rut|\brut\b|withdraw)') THEN 7
    WHEN regexp_matches(k, '(dung xu ly|ngung xu ly|dung giai quyet|khong giai quyet|tu choi giai quyet|tu choi|tra lai ho so|huy ho so|da huy|\bhuy\b|stopped|cancel|refused|rejected|terminated)') THEN 8
    WHEN regexp_matches(k, '(cho tra ket qua|da co ket qua|co ket qua|da xu ly|da giai quyet|hoan thanh|hoan tat|xu ly xong|giai quyet xong|ket thuc|finished|completed|complete|done|resolved|result ready)') THEN 9
    WHEN regexp_matches(k, '(da tra ket qua|tra ket qua|da tra|returned|delivered|closed)') THEN 10
    WHEN regexp_matches(k, '(cho bo sung|yeu cau bo sung|bo sung|supplement)') THEN 5
    WHEN regexp_matches(k, '(cho nop phi|cho thanh toan|nghia vu tai chinh|cho nop le phi|awaiting fee|awaiting payment|unpaid)') THEN 6
    WHEN regexp_matches(k, '(chuyen|lien thong|transfer)') THEN 0
    WHEN regexp_matches(k, '(dang xu ly|dang giai quyet|dang thu ly|thu ly|xu ly|cho phe duyet|cho ky|cho duyet|tham dinh|processing|in progress|under review|pending)') THEN 4
    WHEN regexp_matches(k, '(da tiep nhan|moi tiep nhan|tiep nhan|accepted|received|new)') THEN 2
    ELSE NULL
END;
CREATE OR REPLACE MACRO ws_status(s) AS ws_status_key(ws_key(s));

-- ws_bool: yes/no in every spelling; NULL when empty or unreadable.
CREATE OR REPLACE MACRO ws_bool_key(k) AS CASE
    WHEN k IS NULL OR k = '' THEN NULL
    WHEN regexp_full_match(k, '(1|true|t|yes|y|x|co|da .*|da|v|ok|checked)') THEN true
    WHEN regexp_full_match(k, '(0|false|f|no|n|khong|khong co|chua|chua .*|unchecked)') THEN false
    ELSE NULL
END;
CREATE OR REPLACE MACRO ws_bool(s) AS ws_bool_key(ws_key(CASE WHEN trim(s) IN ('✓', '✔', '☑') THEN 'x' ELSE s END));

-- ws_fee: an amount in VND from "50.000", "50,000 đ", "1.234,5", "50000.0".
CREATE OR REPLACE MACRO ws_amount(n) AS CASE
    WHEN n IS NULL OR n = '' THEN NULL
    WHEN regexp_full_match(n, '-?\d{1,3}([.,]\d{3})+') AND NOT regexp_full_match(n, '-?\d{1,3}[.,]\d{3}') THEN replace(replace(n, '.', ''), ',', '')::DOUBLE
    WHEN regexp_full_match(n, '-?\d{1,3}\.\d{3}') THEN replace(n, '.', '')::DOUBLE   -- VN thousands: 50.000
    WHEN regexp_full_match(n, '-?\d{1,3},\d{3}') THEN replace(n, ',', '')::DOUBLE    -- US thousands: 50,000
    WHEN regexp_full_match(n, '-?[\d.]*\d,\d+') THEN try_cast(replace(replace(n, '.', ''), ',', '.') AS DOUBLE)
    WHEN regexp_full_match(n, '-?[\d,]*\d\.\d+') THEN try_cast(replace(n, ',', '') AS DOUBLE)
    ELSE try_cast(n AS DOUBLE)
END;
-- ws_fee_in_range: an amount a fee can be: not negative, finite, below
-- 10^15 VND (every whole amount below it is exact in a DOUBLE), else NULL.
CREATE OR REPLACE MACRO ws_fee_in_range(v) AS CASE WHEN v >= 0 AND v < 1e15 THEN v END;
-- ws_fee: one amount, perhaps with words or a currency around it ("50.000
-- đ", "đ 6.000", "6.000 đ/hồ sơ"), or a word for free; NULL (the load notes
-- it) for what is not a fee as its writer wrote it: a sign or brackets
-- ("-5000", "(1.000)"), a second number or an exponent ("1e400" is not
-- 1400), a spreadsheet's error ("#DIV/0!" is not 0), an amount out of
-- range (ws_fee_in_range). Scientific notation as a spreadsheet writes a
-- long number ("5E+04") is read when it is in range.
CREATE OR REPLACE MACRO ws_fee(s) AS CASE
    WHEN s IS NULL OR trim(s) = '' THEN NULL
    WHEN regexp_matches(ws_key(s), '^(mien phi|khong|khong thu|free|none)$') THEN 0
    WHEN regexp_full_match(trim(s), '\+?\d+(?:\.\d+)?[eE][+-]?\d+') THEN ws_fee_in_range(try_cast(trim(s) AS DOUBLE))
    WHEN regexp_full_match(s, '[^\d\-−(#]*(?:\d{1,3}(?:[ \xA0]\d{3})+(?:,\d+)?|\d[\d.,]*)(?:\s*[^\d\s\-−)][^\d]*)?\s*')
        THEN ws_fee_in_range(ws_amount(replace(replace(
            regexp_extract(s, '\d{1,3}(?:[ \xA0]\d{3})+(?:,\d+)?|\d[\d.,]*'), ' ', ''), chr(160), '')))
END;

-- ws_fee_fast: the fees the typing pass reads at once, as ws_fee reads them
-- (ws_amount's branches, in its order, for a text of digits and separators
-- only): whole numbers, plain or in groups of thousands ("50.000", as
-- Vietnamese exports write them, "50,000", "1.234,567"), and decimals
-- ("51.000,00" from a spreadsheet in a Vietnamese locale, "51,000.00",
-- "12,5"), also followed by a currency ("50.000 đ", "50.000 VNĐ"); NULL for
-- the rest ("miễn phí"…), which ws_fee reads afterwards, many times
-- slower (BENCHMARKS.md). Only a fee in range (ws_fee_in_range) is read:
-- whole numbers of at most 15 digits (a cast alone reads "-5000", "0x10"
-- as 16 and "1_000" as 1000), in at most five groups; decimals tested (in
-- their branches only: a macro repeats its argument).
CREATE OR REPLACE MACRO ws_fee_digits(s) AS CASE
    WHEN NOT contains(s, '.') AND NOT contains(s, ',') THEN CASE WHEN regexp_full_match(s, '\d{1,15}') THEN TRY_CAST(s AS BIGINT)::DOUBLE END
    WHEN regexp_full_match(s, '\d{1,3}(?:[.,]\d{3}){1,4}') THEN replace(replace(s, '.', ''), ',', '')::DOUBLE
    WHEN regexp_full_match(s, '[\d.]*\d,\d+') THEN ws_fee_in_range(TRY_CAST(replace(replace(s, '.', ''), ',', '.') AS DOUBLE))
    WHEN regexp_full_match(s, '[\d,]*\d\.\d+') THEN ws_fee_in_range(TRY_CAST(replace(s, ',', '') AS DOUBLE))
END;
CREATE OR REPLACE MACRO ws_fee_fast(s) AS coalesce(ws_fee_digits(s),
    CASE WHEN regexp_full_match(s, '[\d.,]+\s*(?:đ|Đ|₫|vnđ|VNĐ|vnd|VND|đồng|Đồng)')
         THEN ws_fee_digits(regexp_replace(s, '\s*(?:đ|Đ|₫|vnđ|VNĐ|vnd|VND|đồng|Đồng)$', '')) END);

-- ws_dossier_prefix: the unit code that opens a dossier code
-- ("000.31.09.H26-221021-0012" -> "000.31.09.H26"); NULL when there is none.
-- A match, then the last two parts cut (the suffix holds no other dash):
-- half the time of one regexp_extract, which a file without a unit
-- column pays on every row.
CREATE OR REPLACE MACRO ws_dossier_prefix(code) AS
    CASE WHEN regexp_full_match(code, '.+-(?:\d{6}|\d{8})-\d+') THEN regexp_replace(code, '-\d+-\d+$', '') END;

-- ws_non_data: a staged row that is not a dossier: neither a dossier code
-- nor a receipt date, or a total/footer line ("Tổng số", "Cộng", "Người lập
-- biểu", a page number "Trang 2/5"…) that lacks one of them.
CREATE OR REPLACE MACRO ws_is_total(s) AS
    regexp_matches(replace(ws_key(s), ' ', ''), '^(tong|cong|total|sum|subtotal|ghichu|nguoilap|xacnhan|trang\d|page\d)');
CREATE OR REPLACE MACRO ws_non_data(code, received, first_cell) AS CASE
    WHEN nullif(trim(code), '') IS NULL AND nullif(trim(received), '') IS NULL THEN true
    WHEN first_cell IS NULL OR NOT regexp_matches(first_cell, '^\s*[TtCcSsGgNnXxPp]') THEN false
    ELSE coalesce(ws_is_total(first_cell), false)
         AND (nullif(trim(received), '') IS NULL OR nullif(trim(code), '') IS NULL OR coalesce(ws_is_total(code), false))
END;

-- ws_cell: a cell as the Go readers hand it over: trimmed (also of
-- no-break spaces and BOMs), ="000123" and '000123 unwrapped, NULL if empty;
-- a CR alone inside it ("Hộ\rtịch", a stray old-Mac line end) is a space,
-- a CRLF a LF.
CREATE OR REPLACE MACRO ws_cell_trim(s) AS trim(s, ' ' || chr(9) || chr(10) || chr(13) || chr(160) || chr(65279));
CREATE OR REPLACE MACRO ws_cell(s) AS nullif(
    CASE WHEN left(ltrim(s), 1) IN ('=', chr(39))
         THEN regexp_replace(regexp_replace(ws_cell_trim(s), '^="(.*)"$', '\1'), '^' || chr(39), '')
         WHEN contains(s, chr(13)) THEN replace(replace(ws_cell_trim(s), chr(13) || chr(10), chr(10)), chr(13), ' ')
         ELSE ws_cell_trim(s) END, '');

-- ws_clean: whether a cell needs no cleaning (most cells start and end
-- with a printable character and hold no CR). A cell that starts with #
-- is looked at too: it may be a spreadsheet's error (ws_excel_error).
-- (Comparisons, not NOT IN (35, 39, 61, 160, 65279): DuckDB rewrites an IN
-- of five constants or more into a join, and a join in the typing pass
-- cost it its order, so every row of a large file got another's line.)
CREATE OR REPLACE MACRO ws_clean(s) AS
    ord(s) > 32 AND ord(s) <> 35 AND ord(s) <> 39 AND ord(s) <> 61 AND ord(s) <> 160 AND ord(s) <> 65279
    AND NOT contains(s, chr(13))
    AND NOT (ends_with(s, ' ') OR ends_with(s, chr(9)) OR ends_with(s, chr(10))
             OR ends_with(s, chr(160)) OR ends_with(s, chr(65279)));

-- ws_c: ws_cell, with the cleaning only for a cell that needs it.
CREATE OR REPLACE MACRO ws_c(s) AS CASE
    WHEN s IS NULL OR s = '' THEN NULL
    WHEN ws_clean(s) THEN s
    ELSE ws_cell(s) END;

-- ws_c_pre: ws_c of cell s, given ok = ws_clean(s) and t = s, or s with
-- spaces trimmed where not ok, each computed once beforehand (the typing
-- pass does: warehouse/stage.go). A cell padded with spaces only, the
-- commonest dirt, needs nothing more than that trim.
CREATE OR REPLACE MACRO ws_c_pre(s, ok, t) AS CASE
    WHEN ok THEN s
    WHEN t IS NULL OR t = '' THEN NULL
    WHEN ws_clean(t) THEN t
    ELSE ws_cell(s) END;

-- ws_code: a dossier code without control characters, which were kept
-- inside it: a NUL (from a binary file, or a C string), a line break or a
-- tab (a code wrapped in its cell) is dropped, joining the code again.
CREATE OR REPLACE MACRO ws_code(s) AS CASE
    WHEN s IS NULL OR NOT regexp_matches(s, '[\x00-\x1f\x7f]') THEN s
    ELSE nullif(trim(regexp_replace(s, '[\x00-\x1f\x7f]+', '', 'g')), '') END;

-- ws_unit_key: a unit's name without "UBND", "phường", "xã"…, as ws_key.
CREATE OR REPLACE MACRO ws_unit_key(s) AS
    regexp_replace(ws_key(s), '^(ubnd |uy ban nhan dan )?(phuong |xa |thi tran |dac khu )?', '');

-- unit_names: registry names to codes, for files that name their wards
-- instead of coding them; a name two units share is left out.
-- vi: tên trong danh mục ứng với mã, cho các tệp ghi tên đơn vị thay vì mã;
-- tên mà hai đơn vị cùng có thì bị bỏ ra.
CREATE OR REPLACE VIEW unit_names AS
SELECT ws_unit_key(name) AS name_key, min(code) AS code
FROM units
GROUP BY ALL
HAVING count(DISTINCT code) = 1;
