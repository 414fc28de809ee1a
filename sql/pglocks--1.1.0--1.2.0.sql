-- pglocks 1.1.0 to 1.2.0
\echo Use "ALTER EXTENSION pglocks UPDATE TO '1.2.0'" to load this file. \quit

-- lock and xact_lock: a wait with a timeout runs in an internal
-- subtransaction, which parallel mode does not allow.
ALTER FUNCTION @extschema@.lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) PARALLEL UNSAFE;
ALTER FUNCTION @extschema@.lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) PARALLEL UNSAFE;
ALTER FUNCTION @extschema@.lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) PARALLEL UNSAFE;
ALTER FUNCTION @extschema@.xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) PARALLEL UNSAFE;
ALTER FUNCTION @extschema@.xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) PARALLEL UNSAFE;
ALTER FUNCTION @extschema@.xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) PARALLEL UNSAFE;

-- \df+ explains every function
COMMENT ON FUNCTION @extschema@.lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'take a session lock on a text key (its id is key_id(key)): true once held, false if it is busy and wait is false or the timeout runs out';
COMMENT ON FUNCTION @extschema@.lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'take a session lock on a bigint key: true once held, false if it is busy and wait is false or the timeout runs out';
COMMENT ON FUNCTION @extschema@.lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'take a session lock on a pair of integer keys: true once held, false if it is busy and wait is false or the timeout runs out';
COMMENT ON FUNCTION @extschema@.unlock(pg_catalog.text, pg_catalog.bool) IS
'release one session hold of the lock on a text key (its id is key_id(key)): false, with a warning, if this session has none';
COMMENT ON FUNCTION @extschema@.unlock(pg_catalog.int8, pg_catalog.bool) IS
'release one session hold of the lock on a bigint key: false, with a warning, if this session has none';
COMMENT ON FUNCTION @extschema@.unlock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool) IS
'release one session hold of the lock on a pair of integer keys: false, with a warning, if this session has none';
COMMENT ON FUNCTION @extschema@.unlock_all() IS
'release every session-level advisory lock of this session';
COMMENT ON FUNCTION @extschema@.xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'take a transaction lock on a text key (its id is key_id(key)), held until the transaction ends: true once held, false if it is busy and wait is false or the timeout runs out';
COMMENT ON FUNCTION @extschema@.xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'take a transaction lock on a bigint key, held until the transaction ends: true once held, false if it is busy and wait is false or the timeout runs out';
COMMENT ON FUNCTION @extschema@.xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'take a transaction lock on a pair of integer keys, held until the transaction ends: true once held, false if it is busy and wait is false or the timeout runs out';
COMMENT ON FUNCTION @extschema@.is_held(pg_catalog.text, pg_catalog.bool) IS
'whether this session holds the lock on a text key (its id is key_id(key)) in that mode, in either scope';
COMMENT ON FUNCTION @extschema@.is_held(pg_catalog.int8, pg_catalog.bool) IS
'whether this session holds the lock on a bigint key in that mode, in either scope';
COMMENT ON FUNCTION @extschema@.is_held(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool) IS
'whether this session holds the lock on a pair of integer keys in that mode, in either scope';
COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure) IS
'run fn under a session lock, released when fn returns or raises, on a text key (its id is key_id(key)): false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a session lock, released when fn returns or raises, on a text key (its id is key_id(key)), passing it the arguments given after fn: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'run fn under a session lock, released when fn returns or raises, on a text key (its id is key_id(key)), with named parameters and an optional timeout: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure) IS
'run fn under a session lock, released when fn returns or raises, on a bigint key: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a session lock, released when fn returns or raises, on a bigint key, passing it the arguments given after fn: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'run fn under a session lock, released when fn returns or raises, on a bigint key, with named parameters and an optional timeout: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure) IS
'run fn under a session lock, released when fn returns or raises, on a pair of integer keys: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a session lock, released when fn returns or raises, on a pair of integer keys, passing it the arguments given after fn: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'run fn under a session lock, released when fn returns or raises, on a pair of integer keys, with named parameters and an optional timeout: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure) IS
'run fn under a transaction lock, held until the transaction ends, on a text key (its id is key_id(key)): false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a transaction lock, held until the transaction ends, on a text key (its id is key_id(key)), passing it the arguments given after fn: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'run fn under a transaction lock, held until the transaction ends, on a text key (its id is key_id(key)), with named parameters and an optional timeout: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure) IS
'run fn under a transaction lock, held until the transaction ends, on a bigint key: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a transaction lock, held until the transaction ends, on a bigint key, passing it the arguments given after fn: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'run fn under a transaction lock, held until the transaction ends, on a bigint key, with named parameters and an optional timeout: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure) IS
'run fn under a transaction lock, held until the transaction ends, on a pair of integer keys: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a transaction lock, held until the transaction ends, on a pair of integer keys, passing it the arguments given after fn: false, without running fn, if the lock was not taken';
COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval) IS
'run fn under a transaction lock, held until the transaction ends, on a pair of integer keys, with named parameters and an optional timeout: false, without running fn, if the lock was not taken';

-- pglocks.locks and orphaned_locks: consistent within a call
--
-- pg_locks is read live, but pg_stat_activity from a snapshot taken once per
-- transaction. So lock_status() reads the locks first, then a fresh
-- snapshot of the activity (pg_stat_clear_snapshot()): a holder that was
-- idle outside any transaction since before the locks were read held only
-- session locks then. waitstart is read through to_jsonb because pg_locks
-- has it only from PostgreSQL 14 on.

CREATE FUNCTION @extschema@.lock_status()
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
    held pg_locks[] := ARRAY(
        SELECT l FROM pg_locks AS l
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
        FROM unnest(held) AS l
        LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid;
END $$;

COMMENT ON FUNCTION @extschema@.lock_status() IS
'the rows of the view pglocks.locks: read in an order that keeps them consistent, and with a fresh snapshot of pg_stat_activity';

CREATE OR REPLACE VIEW @extschema@.locks AS SELECT * FROM @extschema@.lock_status();

COMMENT ON VIEW @extschema@.locks IS
'advisory locks of this database, held or awaited, keys decoded, with what pg_stat_activity shows of their holder';

-- Reads pglocks.lock_status(), and is VOLATILE as that is.
CREATE OR REPLACE FUNCTION @extschema@.orphaned_locks(older_than pg_catalog.interval DEFAULT '1 minute')
RETURNS SETOF @extschema@.locks
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF older_than IS NULL THEN
        RAISE EXCEPTION 'argument "older_than" of pglocks.orphaned_locks must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass how long the holder must have been idle, for example ''1 minute''.';
    END IF;
    IF older_than < '0'::interval THEN
        RAISE EXCEPTION 'argument "older_than" of pglocks.orphaned_locks must not be negative'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass how long the holder must have been idle, for example ''1 minute''.';
    END IF;
    RETURN QUERY
        SELECT * FROM @extschema@.lock_status() AS l
        WHERE l.session_scope AND l.granted
          AND l.state_change <= clock_timestamp() - older_than
        ORDER BY l.state_change, l.pid;
END $$;

