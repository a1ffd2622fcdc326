-- A load's second step (when the catalogue has procedures and some staged
-- dossiers have no due date): catalogue due dates.

-- A dossier whose export gives no due date gets one from the procedure
-- catalogue: its allowed working days counted from the deemed receipt
-- (ws_clock_day and calendar_cum.start_cum: the day of receipt, the next
-- day when received at 15:00 or later, moved to a working day), skipping
-- days off.
UPDATE stage_typed t
SET due_at = c.day::TIMESTAMP, due_source_in = 'catalogue'
FROM (
    SELECT s.rid, coalesce(pc.working_days, pn.working_days) AS n,
           ws_clock_day(s.received_at) AS start_day
    FROM stage_all s
    LEFT JOIN (SELECT procedure_code, min(working_days) AS working_days FROM procedures
               WHERE procedure_code IS NOT NULL GROUP BY 1) pc ON pc.procedure_code = s.procedure_code
    LEFT JOIN (SELECT ws_key(procedure_name) AS name_key, min(working_days) AS working_days FROM procedures
               WHERE procedure_name IS NOT NULL GROUP BY 1) pn ON pc.procedure_code IS NULL AND pn.name_key = ws_key(s.procedure_name)
    WHERE s.due_at IS NULL AND s.due_at_raw IS NULL AND s.received_at IS NOT NULL AND NOT s.non_data
) x
JOIN calendar_cum c0 ON c0.day = x.start_day
JOIN calendar_cum c ON c.working AND c.cum = c0.start_cum + x.n
WHERE t.rowid = x.rid AND x.n IS NOT NULL;
