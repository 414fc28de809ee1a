-- pglocks 1.2.1 to 2.0.0
\echo Use "ALTER EXTENSION pglocks UPDATE TO '2.0.0'" to load this file. \quit

-- key_id reads the digest's first 8 bytes little-endian, as django-pglock
-- does, and so does every function that takes a text key. The 2.0 library
-- does this under new symbols: those of 1.x raise an error, so that a
-- database not yet updated never locks other ids than it used to.
CREATE OR REPLACE FUNCTION @extschema@.key_id(key pg_catalog.text)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'pglocks_key_id2'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OR REPLACE FUNCTION @extschema@.lock(
    key pg_catalog.text,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_lock_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION @extschema@.unlock(key pg_catalog.text, shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_unlock_text2'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE OR REPLACE FUNCTION @extschema@.xact_lock(
    key pg_catalog.text,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_xact_lock_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION @extschema@.is_held(key pg_catalog.text, shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_is_held_text2'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE OR REPLACE FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION @extschema@.with_lock(
    key pg_catalog.text,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_named_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE OR REPLACE FUNCTION @extschema@.with_xact_lock(
    key pg_catalog.text,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_named_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.key_id(pg_catalog.text) IS
'lock id of a text key: first 8 bytes of SHA-256 over its UTF-8 bytes, little-endian signed';

-- lock_status (the view pglocks.locks) keeps the columns it needs in arrays
-- rather than whole pg_locks rows as jsonb (1.2.1): three times faster with
-- many locks.
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
    classids oid[];
    objids oid[];
    objsubids int2[];
    modes text[];
    grants bool[];
    pids int4[];
    waitstarts timestamptz[];
BEGIN
    EXECUTE format(
        'SELECT array_agg(l.classid), array_agg(l.objid), array_agg(l.objsubid), array_agg(l.mode),
                array_agg(l.granted), array_agg(l.pid), array_agg(%s)
         FROM pg_locks AS l
         WHERE l.locktype = ''advisory''
           AND l.database = (SELECT d.oid FROM pg_database AS d WHERE d.datname = current_database())',
        CASE WHEN EXISTS (SELECT FROM pg_attribute AS a
                          WHERE a.attrelid = 'pg_locks'::regclass AND a.attname = 'waitstart')
             THEN 'l.waitstart' ELSE 'NULL::timestamptz' END)
    INTO classids, objids, objsubids, modes, grants, pids, waitstarts;
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
            l.waitstart,
            CASE WHEN NOT l.granted THEN pg_blocking_pids(l.pid) END,
            a.application_name,
            a.state,
            a.state_change,
            -- otherwise the scope cannot be seen from outside (NULL)
            CASE WHEN a.state = 'idle' AND a.state_change < locks_read_at THEN true END
        FROM unnest(classids, objids, objsubids, modes, grants, pids, waitstarts)
             AS l(classid, objid, objsubid, mode, granted, pid, waitstart)
        LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid;
END $$;
