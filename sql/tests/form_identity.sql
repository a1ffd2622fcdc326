-- received = resolved + withdrawn + pending, for every ward and month.
SELECT ward_code, month,
       'in ' || month || ', ' || ward_code || ' received ' || received_total || ' but resolved + withdrawn + pending = '
       || (resolved_total + withdrawn + pending_total) AS problem
FROM ward_month
WHERE received_total <> resolved_total + withdrawn + pending_total
