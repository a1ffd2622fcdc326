-- A load's last step, inside the load's transaction: classify the good
-- rows against the stored state, move the states they replace to history,
-- write the new states, and record the rejects. Template data: .LoadID,
-- .Columns (the dossier's state columns), .ColumnsOf "alias", .Header "field",
-- .RawCells and .RawRow (a rejected row's texts).

-- Dossiers the file holds more than once: the last row of each wins. Only
-- a dossier code the file holds more than once can be one (most files
-- have none), and grouping a number is much cheaper than grouping texts:
-- codes are grouped by their hash first, and the rows are looked at only
-- where it repeats.
CREATE OR REPLACE TEMP TABLE stage_twice AS
SELECT hash(dossier_code) AS h FROM stage_typed GROUP BY h HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE stage_repeats AS
SELECT ward_code, dossier_code, max(rid) AS last_rid, count(*) AS n
FROM stage_checked
WHERE reject_code IS NULL AND hash(dossier_code) IN (SELECT h FROM stage_twice)
GROUP BY ward_code, dossier_code
HAVING count(*) > 1;

-- The dossiers of this file already stored: the file's row (rid), where
-- the dossier is stored (drow), its stored state and first load, and the
-- state this file gives it (new_hash). Only the key hashes of the
-- warehouse are read whole here: reading every column of every stored row
-- made this step grow with history, and even its two key texts cost three
-- times the fixed-size key_hash (BENCHMARKS.md).
-- The keys are matched first by their hash (key_hash, as keyhash.go
-- computes it), carrying nothing but row numbers; the stored texts of the
-- rows found are then read by row id and compared with the file's, as two
-- keys may share a hash: DuckDB reads only the row groups those rows span,
-- and a night's rows are mostly the newest (a changed state is written at
-- the table's end). The states of the matched rows are hashed after.
--
-- A state that would reopen a dossier the stored state closed (completed
-- or withdrawn there, neither here) is an older export's: loaded after a
-- newer one (a clerk's last month's file, a drop folder out of order, a
-- --reload), it would undo a result and change a closed month's form. Such
-- a state does not replace the stored one (older: counted as unchanged
-- and said in a warning).
--
-- The pairs keep the key hash: the load's check for codes stored under
-- another ward (warehouse/load_twins.go) reads its stored side here, so
-- that a load scans the stored key hashes once.
CREATE OR REPLACE TEMP TABLE stage_hashed AS
SELECT s.rid, d.rowid AS drow, s.key_hash
FROM (SELECT rid, hash(dossier_code) AS key_hash FROM stage_checked WHERE reject_code IS NULL) s
JOIN dossiers d ON d.key_hash = s.key_hash;

CREATE OR REPLACE TEMP TABLE stage_found AS
WITH matched AS (
    SELECT h.rid, h.drow, d.state_hash, d.first_load_id, d.ward_code, d.dossier_code,
           d.completed_at IS NOT NULL OR d.withdrawn_at IS NOT NULL AS stored_closed
    FROM dossiers d
    JOIN stage_hashed h ON d.rowid = h.drow
)
SELECT m.rid, m.drow, m.state_hash, m.first_load_id,
       m.stored_closed AND s.completed_at IS NULL AND s.withdrawn_at IS NULL AS older,
       hash({{.ColumnsOf "s"}}) AS new_hash
FROM matched m
JOIN stage_checked s ON s.rid = m.rid AND s.ward_code = m.ward_code AND s.dossier_code = m.dossier_code
LEFT JOIN stage_repeats r ON r.ward_code = s.ward_code AND r.dossier_code = s.dossier_code
WHERE r.last_rid IS NULL OR s.rid = r.last_rid;

-- The stored states this file changes, fetched whole by row id: the only
-- whole rows of the warehouse a load reads. A nightly re-export of every
-- dossier changes few: the unchanged ones are never fetched.
CREATE OR REPLACE TEMP TABLE stage_existing AS
SELECT d.*, f.drow, f.new_hash
FROM dossiers d
JOIN stage_found f ON d.rowid = f.drow
WHERE f.new_hash <> f.state_hash AND NOT f.older;

-- The state a changed dossier leaves behind goes to its history, naming
-- this load as the one that replaced it: if this transaction never
-- commits yet some of its rows survive (DuckDB replays a WAL whose commit
-- marker was cut short), opening the warehouse finds and removes them by
-- that id, and puts back any state whose deletion survived.
INSERT INTO dossier_history BY NAME
SELECT {{.ColumnsOf "e"}}, e.load_id, e.source_row, e.state_hash, {{.LoadID}} AS replaced_by
FROM stage_existing e;

DELETE FROM dossiers
WHERE rowid IN (SELECT drow FROM stage_existing);

-- New dossiers and the new states of changed ones. Stored dossiers are
-- told apart by the file's row number, not by their texts: joining the
-- codes again costs a re-export (BENCHMARKS.md).
INSERT INTO dossiers ({{.Columns}}, load_id, source_row, state_hash, first_load_id, key_hash)
SELECT {{.ColumnsOf "s"}}, {{.LoadID}}, s.source_row, hash({{.ColumnsOf "s"}}), coalesce(f.first_load_id, {{.LoadID}}),
       hash(s.dossier_code)
FROM stage_checked s
LEFT JOIN stage_repeats r ON r.ward_code = s.ward_code AND r.dossier_code = s.dossier_code
LEFT JOIN stage_found f ON f.rid = s.rid
WHERE s.reject_code IS NULL AND (r.last_rid IS NULL OR s.rid = r.last_rid)
  AND (f.rid IS NULL OR (f.new_hash <> f.state_hash AND NOT f.older));

INSERT INTO reject_rows
SELECT {{.LoadID}}, source_row, reject_code,
    {{.RejectColumn}} AS column_name,
    -- A cell is kept as written only when shaped like its field, else
    -- masked (ws_mask): a name slid into a date column, an ID number in the
    -- status column, an e-mail anywhere is never written in clear, while
    -- the clerk still reads "31/02/2025" or "Fax".
    {{.RejectValue}} AS value,
    {{.RawRow}} AS raw_row
FROM (
    SELECT *, ws_mask('status', status_raw) AS status_text, {{.RawCells}} AS raw_cells
    FROM stage_checked
    WHERE raw_row IS NOT NULL AND reject_code IS NOT NULL
);
