-- pglocks.locks: the advisory locks of this database, keys decoded.

SELECT pglocks.lock('text key'), pglocks.lock(-1::bigint), pglocks.lock(9223372036854775807),
       pglocks.lock(-5, 6, shared => true);
BEGIN;
SELECT pglocks.xact_lock(7::bigint, shared => true);
SELECT key = pglocks.key_id('text key') AS is_text_key, key, key1, key2, mode, granted,
       pid = pg_backend_pid() AS mine, wait_start, blocked_by, application_name,
       state, state_change IS NOT NULL AS has_state_change, session_scope
FROM pglocks.locks ORDER BY key NULLS FIRST, key1;
COMMIT;

-- the same rows for a role without any privileges: pg_locks and
-- application_name are public, and nothing else is shown
CREATE ROLE regress_pglocks_viewer;
SET ROLE regress_pglocks_viewer;
SELECT count(*) AS rows_visible, bool_and(application_name IS NOT NULL) AS names_visible FROM pglocks.locks;
RESET ROLE;
DROP ROLE regress_pglocks_viewer;

SELECT pglocks.unlock_all();
SELECT count(*) AS rows_left FROM pglocks.locks;

-- orphaned_locks: this session is running, so none of its locks is listed
SELECT pglocks.lock('mine');
SELECT count(*) AS orphans FROM pglocks.orphaned_locks('0');
SELECT pglocks.unlock('mine');
-- and its argument is checked
SELECT * FROM pglocks.orphaned_locks(NULL);
SELECT * FROM pglocks.orphaned_locks('-1 s');

-- columns and their types
SELECT attname, format_type(atttypid, atttypmod)
FROM pg_attribute WHERE attrelid = 'pglocks.locks'::regclass AND attnum > 0 ORDER BY attnum;
