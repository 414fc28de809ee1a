-- pglocks 1.1.0: advisory locks made safe and easy from SQL and PL/pgSQL.
--
-- This script runs as a superuser even when a database owner installs the
-- (trusted) extension, so every reference in it is schema-qualified.

\echo Use "CREATE EXTENSION pglocks" to load this file. \quit

-- CREATE EXTENSION uses the schema "pglocks" if it exists already. Whoever
-- may create objects in it could add overloads that capture calls meant for
-- pglocks (say pglocks.lock(varchar)), so refuse a schema that anyone but a
-- superuser or the installing role owns or may create in.
DO $$
DECLARE
    schema_owner pg_catalog.regrole;
BEGIN
    SELECT n.nspowner INTO schema_owner FROM pg_catalog.pg_namespace AS n
    WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
      AND NOT EXISTS (
          SELECT FROM pg_catalog.pg_roles AS r
          WHERE r.oid OPERATOR(pg_catalog.=) n.nspowner
            AND (r.rolsuper OR r.oid OPERATOR(pg_catalog.=) (
                SELECT e.extowner FROM pg_catalog.pg_extension AS e
                WHERE e.extname OPERATOR(pg_catalog.=) 'pglocks')));
    IF FOUND THEN
        RAISE EXCEPTION 'schema "@extschema@" already exists and is owned by role "%"', schema_owner
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Drop or rename that schema, or have a superuser take it over, then create the extension again.';
    END IF;
    IF EXISTS (
        SELECT FROM pg_catalog.pg_namespace AS n, pg_catalog.aclexplode(n.nspacl) AS a
        WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
          AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
          AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner) THEN
        RAISE EXCEPTION 'other roles may create objects in schema "@extschema@"'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Revoke CREATE on that schema from everyone but its owner, then create the extension again.';
    END IF;
END $$;

GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

-- Key hashing ---------------------------------------------------------------

CREATE FUNCTION @extschema@.key_id(key pg_catalog.text)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'pglocks_key_id'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.key_id(pg_catalog.text) IS
'lock id of a text key: first 8 bytes of SHA-256 over its UTF-8 bytes, big-endian signed';

CREATE FUNCTION @extschema@.crc32_key_id(key pg_catalog.text)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'pglocks_crc32_key_id'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.crc32_key_id(pg_catalog.text) IS
'lock id django-pglocks 1.x uses for a string: CRC-32 of its UTF-8 bytes as a signed 32-bit value';

-- Session-scope locks ---------------------------------------------------------

CREATE FUNCTION @extschema@.lock(
    key pg_catalog.text,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_lock_text'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.lock(
    key pg_catalog.int8,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_lock_bigint'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.lock(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_lock_pair'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.unlock(key pg_catalog.text, shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_unlock_text'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.unlock(key pg_catalog.int8, shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_unlock_bigint'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.unlock(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_unlock_pair'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.unlock_all()
RETURNS pg_catalog.void
AS 'MODULE_PATHNAME', 'pglocks_unlock_all'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- Transaction-scope locks -----------------------------------------------------

CREATE FUNCTION @extschema@.xact_lock(
    key pg_catalog.text,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_xact_lock_text'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.xact_lock(
    key pg_catalog.int8,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_xact_lock_bigint'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.xact_lock(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_xact_lock_pair'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- Either scope ----------------------------------------------------------------

CREATE FUNCTION @extschema@.is_held(key pg_catalog.text, shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_is_held_text'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.is_held(key pg_catalog.int8, shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_is_held_bigint'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.is_held(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_is_held_pair'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

-- Run a function under a lock ---------------------------------------------------
--
-- Positional: with_lock(key, shared, wait, fn [, args for fn ...]).
-- Named:      with_lock(key, fn => ..., shared => ..., wait => ..., timeout => ...).
-- The positional forms leave their parameters unnamed: named calls then
-- resolve to the named form only, never ambiguously.

CREATE FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_lock(
    key pg_catalog.text,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_named_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_lock(
    key pg_catalog.int8,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_named_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_lock(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_named_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Like with_lock, but the lock is transaction-scoped: it is held after fn
-- returns, until the surrounding transaction ends. Use it when fn writes data
-- that the next holder must see (README, "Session or transaction scope").

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_xact_lock(
    key pg_catalog.text,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_named_text'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_xact_lock(
    key pg_catalog.int8,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_named_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.with_xact_lock(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_named_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

-- Introspection -----------------------------------------------------------------
--
-- Built only on pg_locks and pg_stat_activity, whose functions run with the
-- caller's privileges: it shows no more than they would show the caller.
-- waitstart is read through to_jsonb because pg_locks has it only from
-- PostgreSQL 14 on.

CREATE VIEW @extschema@.locks AS
SELECT
    CASE WHEN l.objsubid OPERATOR(pg_catalog.=) 1 THEN
        (l.classid::pg_catalog.int8 OPERATOR(pg_catalog.<<) 32)
        OPERATOR(pg_catalog.|) l.objid::pg_catalog.int8
    END AS key,
    CASE WHEN l.objsubid OPERATOR(pg_catalog.=) 2 THEN l.classid::pg_catalog.int4 END AS key1,
    CASE WHEN l.objsubid OPERATOR(pg_catalog.=) 2 THEN l.objid::pg_catalog.int4 END AS key2,
    CASE WHEN l.mode OPERATOR(pg_catalog.=) 'ExclusiveLock' THEN 'exclusive'
         WHEN l.mode OPERATOR(pg_catalog.=) 'ShareLock' THEN 'shared' END AS mode,
    l.granted,
    l.pid,
    (pg_catalog.to_jsonb(l) OPERATOR(pg_catalog.->>) 'waitstart')::pg_catalog.timestamptz AS wait_start,
    CASE WHEN NOT l.granted THEN pg_catalog.pg_blocking_pids(l.pid) END AS blocked_by,
    a.application_name,
    a.state,
    a.state_change,
    -- a backend idle outside any transaction can hold only session locks;
    -- otherwise the scope cannot be seen from outside (NULL)
    CASE WHEN a.state OPERATOR(pg_catalog.=) 'idle' THEN true END AS session_scope
FROM pg_catalog.pg_locks AS l
LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid OPERATOR(pg_catalog.=) l.pid
WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'
  AND l.database OPERATOR(pg_catalog.=) (
      SELECT d.oid FROM pg_catalog.pg_database AS d
      WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database());

GRANT SELECT ON @extschema@.locks TO PUBLIC;

-- Session locks whose holder has sat idle, outside any transaction, for
-- longer than older_than: typically taken through a transaction-mode pooler
-- and left on a server connection that no client owns any more.
CREATE FUNCTION @extschema@.orphaned_locks(older_than pg_catalog.interval DEFAULT '1 minute')
RETURNS SETOF @extschema@.locks
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
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
        SELECT * FROM @extschema@.locks AS l
        WHERE l.session_scope AND l.granted
          AND l.state_change <= statement_timestamp() - older_than
        ORDER BY l.state_change, l.pid;
END $$;

COMMENT ON FUNCTION @extschema@.orphaned_locks(pg_catalog.interval) IS
'session locks whose holder has been idle outside a transaction for longer than older_than';
