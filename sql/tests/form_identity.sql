-- received = resolved + withdrawn + pending, for every ward and month.
SELECT ward_code, month,
       'tháng ' || month || ', ' || ward_code || ' tiếp nhận ' || received_total || ' nhưng đã giải quyết + rút + đang giải quyết = '
       || (resolved_total + withdrawn + pending_total) AS problem,
       'in ' || month || ', ' || ward_code || ' received ' || received_total || ' but resolved + withdrawn + pending = '
       || (resolved_total + withdrawn + pending_total) AS problem_en
FROM ward_month
WHERE received_total <> resolved_total + withdrawn + pending_total
