-- pglocks 1.2.0 to 1.2.1
\echo Use "ALTER EXTENSION pglocks UPDATE TO '1.2.1'" to load this file. \quit

-- lock_status (the view pglocks.locks) kept pg_locks rows in a pg_locks[],
-- a type PostgreSQL 13 does not have: they are kept as jsonb instead.
CREATE OR REPLACE FUNCTION @extschema@.lock_status()
RETURNS TABLE (
    key pg_catalog.int8,
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    mode pg_catalog.text,
    granted pg_catalog.bool,
    pid pg_catalog.int4,
    wait_start pg_catalog.timestamptz,
    blocked_by pg_catalog.int4[],
    application_name pg_catalog.text,
    state pg_catalog.text,
    state_change pg_catalog.timestamptz,
    session_scope pg_catalog.bool)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    locks_read_at timestamptz := clock_timestamp();
    held jsonb := (
        SELECT jsonb_agg(l) FROM pg_locks AS l
        WHERE l.locktype = 'advisory'
          AND l.database = (SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database()));
BEGIN
    PERFORM pg_stat_clear_snapshot();
    RETURN QUERY
        SELECT
            CASE WHEN l.objsubid = 1 THEN (l.classid::int8 << 32) | l.objid::int8 END,
            CASE WHEN l.objsubid = 2 THEN l.classid::int4 END,
            CASE WHEN l.objsubid = 2 THEN l.objid::int4 END,
            CASE WHEN l.mode = 'ExclusiveLock' THEN 'exclusive'
                 WHEN l.mode = 'ShareLock' THEN 'shared' END,
            l.granted,
            l.pid,
            (to_jsonb(l) ->> 'waitstart')::timestamptz,
            CASE WHEN NOT l.granted THEN pg_blocking_pids(l.pid) END,
            a.application_name,
            a.state,
            a.state_change,
            -- otherwise the scope cannot be seen from outside (NULL)
            CASE WHEN a.state = 'idle' AND a.state_change < locks_read_at THEN true END
        FROM jsonb_populate_recordset(NULL::pg_locks, held) AS l
        LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid;
END $$;
