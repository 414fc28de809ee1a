-- with_lock and with_xact_lock check the body before taking the lock:
-- every failure is an ERROR, and no lock is left behind.

\set held 'SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = ''advisory'' AND pid = pg_backend_pid()'

CREATE PROCEDURE a_procedure() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION a_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION an_event_trigger() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION a_set() RETURNS SETOF int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE AGGREGATE an_aggregate(int) (sfunc = int4pl, stype = int);

SELECT pglocks.with_lock('k', false, true, 'a_procedure()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_xact_lock('k', false, true, 'an_aggregate(int)', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'row_number()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'a_set()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'generate_series(int,int)', 1, 2);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'a_trigger()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'an_event_trigger()');
\echo :LAST_ERROR_SQLSTATE

-- functions that only the server can call
SELECT pglocks.with_lock('k', false, true, 'plpgsql_call_handler()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'heap_tableam_handler(internal)', NULL::int);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'array_typanalyze(internal)', 1);
\echo :LAST_ERROR_SQLSTATE

-- functions that do not exist
SELECT pglocks.with_lock('k', false, true, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 4294967295::oid::regprocedure);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'no_such_function()');
\echo :LAST_ERROR_SQLSTATE

-- NULL arguments name themselves (22004), in every form
SELECT pglocks.with_lock(NULL::text, false, true, 'now()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', NULL::boolean, true, 'now()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, NULL::boolean, 'now()');
\echo :LAST_ERROR_SQLSTATE
-- an untyped NULL there could be wait or timeout (the form with a timeout
-- in wait's place): PostgreSQL asks for a cast (42725; its wording varies
-- between majors)
\set VERBOSITY sqlstate
SELECT pglocks.with_lock('k', false, NULL, 'now()');
\set VERBOSITY default
-- a NULL timeout waits without limit, as in the named form
SELECT pglocks.with_lock('k', false, NULL::interval, 'now()');
SELECT pglocks.with_lock('k', false, true, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock(NULL::bigint, fn => 'now()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock(1, NULL::int, fn => 'now()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', fn => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_xact_lock('k', fn => 'now()', shared => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_xact_lock(1, 2, NULL::boolean, true, 'now()');
\echo :LAST_ERROR_SQLSTATE

-- bad timeouts
SELECT pglocks.with_lock('k', fn => 'now()', timeout => '-1s');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_xact_lock('k', fn => 'now()', wait => false, timeout => '1s');
\echo :LAST_ERROR_SQLSTATE

-- none of the failed calls left a lock behind (a session lock would outlive the error)
:held;
