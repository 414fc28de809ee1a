-- Common mistakes, and what they get. The first three are caught by
-- PostgreSQL while it parses the call, before pglocks runs, so the messages
-- are PostgreSQL's own (README, "Common mistakes"); where their hint is
-- worded differently from 19 on, the message alone is shown.

CREATE FUNCTION refresh_totals() RETURNS void LANGUAGE sql AS '';
CREATE FUNCTION some_number() RETURNS int LANGUAGE sql AS 'SELECT 123456789';

-- fn is a signature: the parentheses (and the argument types) are needed
SELECT pglocks.with_lock('totals', fn => 'refresh_totals');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('totals', fn => 'refresh_totals()');

-- fn in quotes: unquoted, the function is called and its result passed
\set VERBOSITY terse
SELECT pglocks.with_lock('totals', fn => refresh_totals());
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- (a result that is an integer is taken as a function's OID)
SELECT pglocks.with_lock('totals', fn => some_number());
\echo :LAST_ERROR_SQLSTATE

-- timeout is an interval, not a number of milliseconds...
\set VERBOSITY terse
SELECT pglocks.lock('totals', timeout => 2000);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- ... and a string without a unit is a number of seconds
SELECT '2000'::interval AS "'2000'", '2000 ms'::interval AS "'2000 ms'", '2s'::interval AS "'2s'";

-- a driver's untyped parameter (as PREPARE without types) takes the text
-- form: '42' is the text key, not the bigint 42; the cast says which
PREPARE untyped AS SELECT pglocks.lock($1);
PREPARE typed AS SELECT pglocks.lock($1::bigint);
EXECUTE untyped('42');
EXECUTE typed('42');
SELECT id = pglocks.key_id('42') AS text_key_42, id = 42 AS bigint_42
FROM (SELECT (classid::bigint << 32) | objid::bigint AS id FROM pg_locks
      WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objsubid = 1) AS held
ORDER BY 1;
SELECT pglocks.unlock(42), pglocks.unlock('42');
DEALLOCATE untyped;
DEALLOCATE typed;

SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = 'advisory';
