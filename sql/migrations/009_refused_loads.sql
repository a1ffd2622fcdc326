-- Schema version 9: a file refused whole (not a file, too large, no
-- header, unreadable…) is recorded too, so that `SELECT * FROM loads`
-- shows every file wardstat was given. Such a row has status 'refused',
-- the kind of refusal in reason (a fixed text: never a cell of the file),
-- no rows, and no dossier, history or reject points at it; it is no
-- identity (loading the same file again, once fixed, loads it). (Numbered
-- 9: version 8 is another branch's.)
ALTER TABLE loads ADD COLUMN IF NOT EXISTS status VARCHAR DEFAULT 'loaded';
ALTER TABLE loads ADD COLUMN IF NOT EXISTS reason VARCHAR;
