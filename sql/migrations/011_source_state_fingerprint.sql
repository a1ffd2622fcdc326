-- Schema version 11: an HTTP source's validators (ETag, Last-Modified) are
-- kept beside the fingerprint of what decided the load they stand for (the
-- URL as pulled, format, sheet, map, ward, headers, pagination): a pull
-- whose source's configuration changed since sends no conditional request.
-- Rows from before have none (NULL), so their validators are sent no more:
-- one whole download per source after the upgrade.
ALTER TABLE source_state ADD COLUMN IF NOT EXISTS fingerprint VARCHAR;
