-- A body run through with_lock is counted in pg_stat_user_functions, as a
-- direct call is.

SET track_functions = 'all';
CREATE FUNCTION counted() RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION counted_sql(n int) RETURNS int LANGUAGE sql AS $$ SELECT n $$;
SELECT pglocks.with_lock('k', false, true, 'counted()') FROM generate_series(1, 5);
SELECT pglocks.with_xact_lock('k', fn => 'counted()');
SELECT pglocks.with_lock('k', false, true, 'counted_sql(int)', 1) FROM generate_series(1, 3);
SELECT counted();

-- A backend reports its counts when it exits: reconnect, and wait for them.
\c
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXIT WHEN (SELECT sum(calls) FROM pg_stat_user_functions
                   WHERE funcname IN ('counted', 'counted_sql')) >= 10;
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT funcname, calls FROM pg_stat_user_functions
WHERE funcname IN ('counted', 'counted_sql') ORDER BY funcname;
