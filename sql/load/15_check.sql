-- A load's third step, after the typing pass (warehouse/stage.go) filled
-- temp.stage_typed (seen whole through stage_all): the status rules, and a
-- reason for every row that cannot be trusted. Template data: .RowOf "alias".

-- stage_checked: the staged dossiers (not title or footer lines) as they
-- will be stored, each with its row in the file and, if it cannot be
-- trusted, why.
CREATE OR REPLACE TEMP VIEW stage_checked AS
WITH ruled AS (
    -- Status rules (DOMAIN.md): a result returned is a result ready, so a
    -- missing completion date is the return date; a withdrawn or stopped
    -- dossier ends on its withdrawal date, else on the date the export gives
    -- for its end of processing; a dossier never both completes and withdraws.
    SELECT t.*,
        {{.RowOf "t"}} AS source_row,
        coalesce(t.ward_code, t.ward_from_name, t.ward_fallback) AS ward,
        coalesce(t.online_level_in,
                 CASE WHEN t.channel = 'online' THEN t.channel_level
                      WHEN t.channel IN ('direct', 'postal') THEN 'none' END)::{{.Vocabulary "online_level"}} AS online_level,
        CASE
            WHEN t.status IN (7, 8) THEN NULL
            WHEN t.withdrawn_in IS NOT NULL AND coalesce(t.status, -1) NOT IN (9, 10) THEN NULL
            ELSE coalesce(t.completed_in, t.returned_at)
        END AS completed_at,
        CASE
            WHEN t.status IN (7, 8) THEN coalesce(t.withdrawn_in, t.completed_in, t.returned_at)
            WHEN t.status IN (9, 10) THEN NULL
            ELSE t.withdrawn_in
        END AS withdrawn_at,
        coalesce(t.due_source_in, CASE WHEN t.due_at IS NOT NULL THEN 'export' END)::{{.Vocabulary "due_source"}} AS due_source
    FROM stage_all t
    WHERE NOT t.non_data
)
SELECT * EXCLUDE (ward_code) RENAME (ward AS ward_code),
    CASE
        -- Only a row the typing pass kept the text of can fail a check
        -- (warehouse/stage.go tests the same things with what it read).
        WHEN raw_row IS NULL THEN NULL
        -- A row its reader could not read as written (unclosed_quote,
        -- too_long, bad_encoding, extra_cells:<cells>:<columns>): its
        -- cells are not what the file meant.
        -- Then each rule's test, in order (warehouse/rejectrules.go).
        {{.RejectCode}}
    END AS reject_code
FROM ruled;
