-- A load's second step, inside the load's transaction: classify the good
-- rows against the stored state, move the states they replace to history,
-- write the current state, and record the rejects. Template data: .LoadID,
-- .Columns (the dossier's state columns), .Header "field".

-- Dossiers the file holds more than once: the last row of each wins. (A
-- grouping finds them; a window over every row would sort the whole file.)
CREATE OR REPLACE TEMP TABLE stage_repeats AS
SELECT ward_code, dossier_code, max(source_row) AS last_row
FROM stage_typed
WHERE reject_code IS NULL
GROUP BY ward_code, dossier_code
HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE stage_class AS
WITH ok AS (
    SELECT {{.ColumnsOf "t"}}, t.source_row,
           hash({{.ColumnsOf "t"}}) AS state_hash,
           coalesce(t.source_row <> r.last_row, false) AS repeated
    FROM stage_typed t
    LEFT JOIN stage_repeats r ON r.ward_code = t.ward_code AND r.dossier_code = t.dossier_code
    WHERE t.reject_code IS NULL
)
SELECT ok.*,
    CASE
        WHEN ok.repeated THEN 'repeated'
        WHEN d.state_hash IS NULL THEN 'new'
        WHEN d.state_hash = ok.state_hash THEN 'unchanged'
        ELSE 'changed'
    END AS class
FROM ok
LEFT JOIN dossiers d ON d.ward_code = ok.ward_code AND d.dossier_code = ok.dossier_code;

-- The state a changed dossier leaves behind goes to its history.
INSERT INTO dossier_history BY NAME
SELECT {{.ColumnsOf "d"}}, d.load_id, d.source_row, d.state_hash
FROM dossiers d
JOIN stage_class s ON s.ward_code = d.ward_code AND s.dossier_code = d.dossier_code
WHERE s.class = 'changed';

MERGE INTO dossiers d
USING (SELECT * FROM stage_class WHERE class IN ('new', 'changed')) s
ON d.ward_code = s.ward_code AND d.dossier_code = s.dossier_code
WHEN MATCHED THEN UPDATE SET {{.UpdateSet}}, load_id = {{.LoadID}}, source_row = s.source_row, state_hash = s.state_hash
WHEN NOT MATCHED THEN INSERT ({{.Columns}}, load_id, source_row, state_hash, first_load_id)
    VALUES ({{.InsertCols}}, {{.LoadID}}, s.source_row, s.state_hash, {{.LoadID}});

INSERT INTO rejects
SELECT {{.LoadID}}, source_row, reject_code,
    CASE split_part(reject_code, ':', 1)
        WHEN 'missing_code' THEN {{.Header "dossier_code"}}
        WHEN 'missing_received' THEN {{.Header "received_at"}}
        WHEN 'bad_date' THEN CASE split_part(reject_code, ':', 2)
            WHEN 'received_at' THEN {{.Header "received_at"}}
            WHEN 'due_at' THEN {{.Header "due_at"}}
            WHEN 'completed_at' THEN {{.Header "completed_at"}}
            WHEN 'withdrawn_at' THEN {{.Header "withdrawn_at"}}
            WHEN 'returned_at' THEN {{.Header "returned_at"}}
            WHEN 'submitted_at' THEN {{.Header "submitted_at"}}
            WHEN 'supplement_requested_at' THEN {{.Header "supplement_requested_at"}}
            WHEN 'supplement_received_at' THEN {{.Header "supplement_received_at"}}
        END
        WHEN 'bad_channel' THEN {{.Header "channel"}}
        WHEN 'no_ward' THEN {{.Header "dossier_code"}}
        WHEN 'closed_without_date' THEN {{.Header "status"}}
        WHEN 'completed_before_received' THEN {{.Header "completed_at"}}
        WHEN 'withdrawn_before_received' THEN {{.Header "withdrawn_at"}}
        WHEN 'due_before_received' THEN {{.Header "due_at"}}
    END AS column_name,
    CASE split_part(reject_code, ':', 1)
        WHEN 'bad_date' THEN CASE split_part(reject_code, ':', 2)
            WHEN 'received_at' THEN received_at_raw
            WHEN 'due_at' THEN due_at_raw
            WHEN 'completed_at' THEN completed_at_raw
            WHEN 'withdrawn_at' THEN withdrawn_at_raw
            WHEN 'returned_at' THEN returned_at_raw
            WHEN 'submitted_at' THEN submitted_at_raw
            WHEN 'supplement_requested_at' THEN supplement_requested_at_raw
            WHEN 'supplement_received_at' THEN supplement_received_at_raw
        END
        WHEN 'bad_channel' THEN channel_raw
        WHEN 'no_ward' THEN dossier_code
        WHEN 'closed_without_date' THEN status_raw
        WHEN 'completed_before_received' THEN strftime(completed_at, '%d/%m/%Y')
        WHEN 'withdrawn_before_received' THEN strftime(withdrawn_at, '%d/%m/%Y')
        WHEN 'due_before_received' THEN strftime(due_at, '%d/%m/%Y')
    END AS value,
    CASE split_part(reject_code, ':', 1)
        WHEN 'missing_code' THEN 'no dossier code: the row cannot be told apart from others'
        WHEN 'missing_received' THEN 'no receipt date: the row cannot be placed in any period'
        WHEN 'bad_date' THEN 'unreadable date; write it as dd/mm/yyyy [HH:MM] or yyyy-mm-dd'
        WHEN 'bad_channel' THEN 'unknown channel; expected online / direct / postal (trực tuyến / trực tiếp / bưu chính) or 2 / 1 / 3'
        WHEN 'no_ward' THEN 'cannot tell the ward: the file has no unit column and the dossier code has no unit prefix; ingest it with --ward CODE'
        WHEN 'closed_without_date' THEN 'the status says the dossier is closed (' || status_raw || ') but the row has no completion, return or withdrawal date, so no period can count it; export that date, or name its column with --map completed_at=... / --map withdrawn_at=...'
        WHEN 'completed_before_received' THEN 'completed on ' || strftime(completed_at, '%d/%m/%Y') || ', before it was received on ' || strftime(received_at, '%d/%m/%Y')
        WHEN 'withdrawn_before_received' THEN 'withdrawn on ' || strftime(withdrawn_at, '%d/%m/%Y') || ', before it was received on ' || strftime(received_at, '%d/%m/%Y')
        WHEN 'due_before_received' THEN 'due on ' || strftime(due_at, '%d/%m/%Y') || ', before it was received on ' || strftime(received_at, '%d/%m/%Y')
    END AS reason,
    raw_row
FROM (
    SELECT t.*, {{.RawRow}} AS raw_row
    FROM stage_typed t JOIN stage_raw USING (source_row)
    WHERE t.reject_code IS NOT NULL
);
