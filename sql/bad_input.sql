-- Bad input: a clear error with a proper SQLSTATE, before anything is locked.

\set held 'SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = ''advisory'' AND pid = pg_backend_pid()'

-- NULL keys and options name the argument (22004)
SELECT pglocks.lock(NULL::text);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock(NULL::bigint);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock(NULL::int, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock(1, NULL::int);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock('k', shared => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock('k', wait => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.xact_lock(NULL::text);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.xact_lock(1::bigint, shared => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.unlock(NULL::text);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.unlock('k', NULL::boolean);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.unlock(1, 2, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.is_held(NULL::bigint);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.is_held('k', shared => NULL);
\echo :LAST_ERROR_SQLSTATE
-- an untyped NULL in second place also fits the (key1 int, key2 int) form:
-- PostgreSQL cannot choose, as for any overloaded function (its hint is
-- worded differently from 19 on: the message alone is shown)
\set VERBOSITY terse
SELECT pglocks.is_held('k', NULL);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default

-- a NULL timeout means no limit
SELECT pglocks.lock('k', timeout => NULL);
SELECT pglocks.unlock('k');

-- negative timeouts (22023), whatever the interval's fields say
SELECT pglocks.lock('k', timeout => '-1 microsecond');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.xact_lock(1, 2, timeout => '1 day -25 hours');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock('k', timeout => '-178000000 years');
\echo :LAST_ERROR_SQLSTATE

-- a timeout with wait => false asks for two different things (22023)
SELECT pglocks.lock('k', wait => false, timeout => '1s');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock('k', wait => false, timeout => '0');
\echo :LAST_ERROR_SQLSTATE

-- the largest intervals are accepted: waits are capped at lock_timeout's limit
SELECT pglocks.lock('k', timeout => '178000000 years'), pglocks.lock('k', timeout => '1 mon');
SELECT pglocks.unlock('k'), pglocks.unlock('k');

-- none of the failed calls left a lock behind
:held;
