-- Parallel queries. lock and xact_lock are PARALLEL UNSAFE, since a wait
-- with a timeout runs in an internal subtransaction: a query that calls them
-- never gets a parallel plan, and never runs in parallel mode.

CREATE TABLE par AS SELECT g FROM generate_series(1, 10000) AS g;
ANALYZE par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;

EXPLAIN (COSTS OFF) SELECT pglocks.lock(g, timeout => '1s') FROM par WHERE g < 3;
EXPLAIN (COSTS OFF) SELECT pglocks.xact_lock(g, timeout => '1s') FROM par WHERE g < 3;
-- is_held and unlock may run in a parallel query's leader
EXPLAIN (COSTS OFF) SELECT pglocks.is_held(g) FROM par WHERE g < 3;

-- debug_parallel_query (force_parallel_mode before 16) runs in parallel
-- mode every query that may run so
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000
                  THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'on', false) AS parallel;
SELECT pglocks.lock(1, timeout => '1s') AS session, pglocks.xact_lock(2, timeout => '1s') AS xact;
SELECT pglocks.unlock(1);

-- A function labelled PARALLEL RESTRICTED (wrongly) that waits with a
-- timeout in parallel mode gets an error, whether or not the lock is free,
-- rather than a subtransaction parallel mode does not allow.
CREATE FUNCTION restricted_lock(timeout interval) RETURNS boolean
LANGUAGE plpgsql PARALLEL RESTRICTED AS $$ BEGIN RETURN pglocks.lock(1, timeout => timeout); END $$;
SELECT restricted_lock('1s');
\echo :LAST_ERROR_SQLSTATE
-- a try, or a wait without a timeout, needs no subtransaction
SELECT restricted_lock('0'), restricted_lock(NULL);
SELECT pglocks.unlock_all();
