-- with_xact_lock: the lock is transaction-scoped and stays after the body
-- returns, until the surrounding transaction ends.

\set held 'SELECT objsubid, mode FROM pg_locks WHERE locktype = ''advisory'' AND pid = pg_backend_pid() ORDER BY objsubid, mode'

CREATE TABLE counter (n int);
INSERT INTO counter VALUES (0);
CREATE FUNCTION bump() RETURNS void LANGUAGE sql AS $$ UPDATE counter SET n = n + 1 $$;

BEGIN;
SELECT pglocks.with_xact_lock('counter', false, true, 'bump()');
:held;
SELECT pglocks.is_held('counter') AS held_after_body;
SELECT pglocks.with_xact_lock(11, fn => 'bump()', shared => true, timeout => '1s');
SELECT pglocks.with_xact_lock(1, 2, false, false, 'bump()');
:held;
COMMIT;
:held;
SELECT n FROM counter;

-- a failing body aborts the transaction, and that releases the lock
CREATE FUNCTION bump_then_fail() RETURNS void LANGUAGE plpgsql AS
$$ BEGIN UPDATE counter SET n = n + 1; RAISE EXCEPTION 'failed after bump' USING ERRCODE = '40001'; END $$;
BEGIN;
SELECT pglocks.with_xact_lock('counter', false, true, 'bump_then_fail()');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
:held;
SELECT n FROM counter;

-- positional arguments pass through as in with_lock
CREATE FUNCTION add(k int) RETURNS void LANGUAGE sql AS $$ UPDATE counter SET n = n + k $$;
SELECT pglocks.with_xact_lock('counter', false, true, 'add(int)', 10);
SELECT n FROM counter;
:held;
