-- No statement reads dossiers by procedure or by status across offices (the queue and its
-- counts read dossiers_queue, the lookup and the chain the primary key): the two indexes only
-- cost every filing and transition their pages. The SQLite store dropped them too
-- (storage/sqlite.py, _UNUSED_INDEXES).
DROP INDEX IF EXISTS dossiers_by_procedure;
DROP INDEX IF EXISTS dossiers_by_status;
