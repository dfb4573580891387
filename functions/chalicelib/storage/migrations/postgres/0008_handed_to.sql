-- The province's system a dossier was handed over to when it was filed (docs/ban-giao.md),
-- '' for our back office, as every dossier filed before was. The queue index becomes partial:
-- a handed-over dossier is in no office's queue (storage/queue_sql.py reads it with the same
-- literal predicate).
ALTER TABLE dossiers ADD COLUMN handed_to text NOT NULL DEFAULT '';
DROP INDEX dossiers_queue;
CREATE INDEX dossiers_queue ON dossiers (office, status, queue_key) WHERE handed_to = '';
