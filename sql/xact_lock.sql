-- Transaction-scope locks: released at commit, rollback, or rollback to the
-- savepoint they were taken after; never by unlock().

\set held 'SELECT objsubid, classid, objid, mode, granted FROM pg_locks WHERE locktype = ''advisory'' AND pid = pg_backend_pid() ORDER BY objsubid, classid, objid, mode'

BEGIN;
SELECT pglocks.xact_lock('t1'), pglocks.xact_lock(10), pglocks.xact_lock(1, 1, shared => true);
:held;
SELECT pglocks.is_held('t1') AS held, pglocks.is_held(1, 1, shared => true) AS shared_held;
-- the same lock as pg_advisory_xact_lock
SELECT pg_try_advisory_xact_lock(10) AS core_sees_it_held_by_us;
COMMIT;
:held;

BEGIN;
SELECT pglocks.xact_lock('t2', timeout => '1s');
ROLLBACK;
:held;

-- ROLLBACK TO SAVEPOINT releases what was taken after the savepoint
BEGIN;
SELECT pglocks.xact_lock('before');
SAVEPOINT s;
SELECT pglocks.xact_lock('after', wait => false);
ROLLBACK TO SAVEPOINT s;
SELECT pglocks.is_held('before') AS before_held, pglocks.is_held('after') AS after_held;
COMMIT;

-- unlock() is for session locks: a transaction lock stays
BEGIN;
SELECT pglocks.xact_lock('stays');
SELECT pglocks.unlock('stays');
SELECT pglocks.is_held('stays') AS still_held;
COMMIT;
:held;

-- outside a transaction block the lock lasts for the statement
SELECT pglocks.xact_lock('statement'), pglocks.is_held('statement') AS held_during;
SELECT pglocks.is_held('statement') AS held_after;
