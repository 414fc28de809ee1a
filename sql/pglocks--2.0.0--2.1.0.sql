-- pglocks 2.0.0 -> 2.1.0: semaphores, several keys at once, who holds a key,
-- on_busy => 'error', a timeout together with body arguments, and no lock
-- on a hot standby unless pglocks.allow_on_standby is on.

\echo Use "ALTER EXTENSION pglocks UPDATE TO '2.1.0'" to load this file. \quit

-- The objects re-created below come back with their initial privileges:
-- name those whose privileges were changed, so that they can be set again.
DO $$
DECLARE
    changed text;
BEGIN
    SELECT pg_catalog.string_agg(o.name, ', ' ORDER BY o.name) INTO changed
    FROM (
        SELECT p.oid::pg_catalog.regprocedure::pg_catalog.text AS name, p.proacl AS acl,
               'pg_catalog.pg_proc'::pg_catalog.regclass AS classid, p.oid
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
          AND (p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['lock', 'xact_lock', 'lock_status', 'orphaned_locks'])
               OR (p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['with_lock', 'with_xact_lock'])
                   AND 'pg_catalog.interval'::pg_catalog.regtype::pg_catalog.oid
                       OPERATOR(pg_catalog.=) ANY (p.proargtypes::pg_catalog.oid[])))
        UNION ALL
        SELECT 'view @extschema@.locks', c.relacl, 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid
        FROM pg_catalog.pg_class AS c
        WHERE c.oid OPERATOR(pg_catalog.=) '@extschema@.locks'::pg_catalog.regclass
    ) AS o
    WHERE o.acl IS DISTINCT FROM (
        SELECT i.initprivs FROM pg_catalog.pg_init_privs AS i
        WHERE i.objoid OPERATOR(pg_catalog.=) o.oid AND i.classoid OPERATOR(pg_catalog.=) o.classid
          AND i.objsubid OPERATOR(pg_catalog.=) 0);
    IF changed IS NOT NULL THEN
        RAISE WARNING 'this update resets the privileges of %', changed
            USING HINT = 'It re-creates them with their initial privileges: grant or revoke again what you had changed.';
    END IF;
END $$;

-- lock, xact_lock and the named forms of with_lock and with_xact_lock gain
-- on_busy. Dropped and created again: an overload beside the old signature
-- would make calls that leave on_busy out ambiguous.
DROP FUNCTION @extschema@.lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);
DROP FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval);

-- pglocks.locks gains kind, slot and backend_start.
DROP FUNCTION @extschema@.orphaned_locks(pg_catalog.interval);
DROP VIEW @extschema@.locks;
DROP FUNCTION @extschema@.lock_status();

CREATE FUNCTION @extschema@.lock(
    key pg_catalog.text,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_lock_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a session lock on a text key (its id is key_id(key)): true once held, false (or with on_busy => ''error'' an error) if it is busy and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.lock(
    key pg_catalog.int8,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_lock_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a session lock on a bigint key: true once held, false (or with on_busy => ''error'' an error) if it is busy and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.lock(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_lock_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a session lock on a pair of integer keys: true once held, false (or with on_busy => ''error'' an error) if it is busy and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.xact_lock(
    key pg_catalog.text,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_xact_lock_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a transaction lock on a text key (its id is key_id(key)), held until the transaction ends: true once held, false (or with on_busy => ''error'' an error) if it is busy and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.xact_lock(
    key pg_catalog.int8,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_xact_lock_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a transaction lock on a bigint key, held until the transaction ends: true once held, false (or with on_busy => ''error'' an error) if it is busy and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.xact_lock(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_xact_lock_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a transaction lock on a pair of integer keys, held until the transaction ends: true once held, false (or with on_busy => ''error'' an error) if it is busy and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.is_free(key pg_catalog.text, shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_is_free_text2'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.is_free(pg_catalog.text, pg_catalog.bool) IS
'whether this session could take the lock on a text key (its id is key_id(key)) in that mode now, without waiting; nothing is taken';

CREATE FUNCTION @extschema@.is_free(key pg_catalog.int8, shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_is_free_bigint'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.is_free(pg_catalog.int8, pg_catalog.bool) IS
'whether this session could take the lock on a bigint key in that mode now, without waiting; nothing is taken';

CREATE FUNCTION @extschema@.is_free(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_is_free_pair'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.is_free(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool) IS
'whether this session could take the lock on a pair of integer keys in that mode now, without waiting; nothing is taken';

CREATE FUNCTION @extschema@.with_lock(
    key pg_catalog.text,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_named_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'run fn under a session lock, released when fn returns or raises, on a text key (its id is key_id(key)), with named parameters and an optional timeout: false (or with on_busy => ''error'' an error), without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_lock(
    key pg_catalog.int8,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_named_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'run fn under a session lock, released when fn returns or raises, on a bigint key, with named parameters and an optional timeout: false (or with on_busy => ''error'' an error), without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_lock(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_named_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'run fn under a session lock, released when fn returns or raises, on a pair of integer keys, with named parameters and an optional timeout: false (or with on_busy => ''error'' an error), without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_xact_lock(
    key pg_catalog.text,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_named_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'run fn under a transaction lock, held until the transaction ends, on a text key (its id is key_id(key)), with named parameters and an optional timeout: false (or with on_busy => ''error'' an error), without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_xact_lock(
    key pg_catalog.int8,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_named_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'run fn under a transaction lock, held until the transaction ends, on a bigint key, with named parameters and an optional timeout: false (or with on_busy => ''error'' an error), without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_xact_lock(
    key1 pg_catalog.int4,
    key2 pg_catalog.int4,
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_named_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'run fn under a transaction lock, held until the transaction ends, on a pair of integer keys, with named parameters and an optional timeout: false (or with on_busy => ''error'' an error), without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_timed_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure) IS
'run fn under a session lock, released when fn returns or raises, on a text key (its id is key_id(key)), waiting at most timeout: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_timed_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a session lock, released when fn returns or raises, on a text key (its id is key_id(key)), waiting at most timeout, passing it the arguments given after fn: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_timed_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure) IS
'run fn under a session lock, released when fn returns or raises, on a bigint key, waiting at most timeout: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_timed_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a session lock, released when fn returns or raises, on a bigint key, waiting at most timeout, passing it the arguments given after fn: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_timed_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure) IS
'run fn under a session lock, released when fn returns or raises, on a pair of integer keys, waiting at most timeout: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_lock_timed_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a session lock, released when fn returns or raises, on a pair of integer keys, waiting at most timeout, passing it the arguments given after fn: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_timed_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure) IS
'run fn under a transaction lock, held until the transaction ends, on a text key (its id is key_id(key)), waiting at most timeout: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_timed_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.text, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a transaction lock, held until the transaction ends, on a text key (its id is key_id(key)), waiting at most timeout, passing it the arguments given after fn: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_timed_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure) IS
'run fn under a transaction lock, held until the transaction ends, on a bigint key, waiting at most timeout: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_timed_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int8, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a transaction lock, held until the transaction ends, on a bigint key, waiting at most timeout, passing it the arguments given after fn: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_timed_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure) IS
'run fn under a transaction lock, held until the transaction ends, on a pair of integer keys, waiting at most timeout: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_xact_lock_timed_pair'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_xact_lock(pg_catalog.int4, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under a transaction lock, held until the transaction ends, on a pair of integer keys, waiting at most timeout, passing it the arguments given after fn: false, without running fn, if the lock was not taken';

CREATE FUNCTION @extschema@.acquire_slot(
    key pg_catalog.text,
    slots pg_catalog.int4,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'pglocks_acquire_slot_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.acquire_slot(pg_catalog.text, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a free slot of the semaphore on a text key (its id is key_id(key)) in session scope: the slot number (0 .. slots - 1), or NULL (or with on_busy => ''error'' an error) if none is free and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.acquire_slot(
    key pg_catalog.int8,
    slots pg_catalog.int4,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'pglocks_acquire_slot_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.acquire_slot(pg_catalog.int8, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a free slot of the semaphore on a bigint key in session scope: the slot number (0 .. slots - 1), or NULL (or with on_busy => ''error'' an error) if none is free and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.xact_acquire_slot(
    key pg_catalog.text,
    slots pg_catalog.int4,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'pglocks_xact_acquire_slot_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.xact_acquire_slot(pg_catalog.text, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a free slot of the semaphore on a text key (its id is key_id(key)) until the transaction ends: the slot number, or NULL (or with on_busy => ''error'' an error) if none is free and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.xact_acquire_slot(
    key pg_catalog.int8,
    slots pg_catalog.int4,
    wait pg_catalog.bool DEFAULT true,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.int4
AS 'MODULE_PATHNAME', 'pglocks_xact_acquire_slot_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.xact_acquire_slot(pg_catalog.int8, pg_catalog.int4, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take a free slot of the semaphore on a bigint key until the transaction ends: the slot number, or NULL (or with on_busy => ''error'' an error) if none is free and wait is false or the timeout runs out';

CREATE FUNCTION @extschema@.release_slot(key pg_catalog.text, slot pg_catalog.int4)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_release_slot_text2'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.release_slot(pg_catalog.text, pg_catalog.int4) IS
'release one session hold of a slot of the semaphore on a text key (its id is key_id(key)): false, with a warning, if this session has none';

CREATE FUNCTION @extschema@.release_slot(key pg_catalog.int8, slot pg_catalog.int4)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_release_slot_bigint'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.release_slot(pg_catalog.int8, pg_catalog.int4) IS
'release one session hold of a slot of the semaphore on a bigint key: false, with a warning, if this session has none';

CREATE FUNCTION @extschema@.with_semaphore(
    key pg_catalog.text,
    slots pg_catalog.int4,
    fn pg_catalog.regprocedure,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_semaphore_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_semaphore(pg_catalog.text, pg_catalog.int4, pg_catalog.regprocedure, pg_catalog.interval, pg_catalog.text) IS
'run fn holding a slot of the semaphore on a text key (its id is key_id(key)), released when fn returns or raises: false (or with on_busy => ''error'' an error), without running fn, if no slot was taken in time';

CREATE FUNCTION @extschema@.with_semaphore(pg_catalog.text, pg_catalog.int4, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_semaphore_timed_text2'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_semaphore(pg_catalog.text, pg_catalog.int4, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn holding a slot of the semaphore on a text key (its id is key_id(key)), waiting at most timeout, passing it the arguments given after fn: false, without running fn, if no slot was taken in time';

CREATE FUNCTION @extschema@.with_semaphore(
    key pg_catalog.int8,
    slots pg_catalog.int4,
    fn pg_catalog.regprocedure,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_semaphore_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_semaphore(pg_catalog.int8, pg_catalog.int4, pg_catalog.regprocedure, pg_catalog.interval, pg_catalog.text) IS
'run fn holding a slot of the semaphore on a bigint key, released when fn returns or raises: false (or with on_busy => ''error'' an error), without running fn, if no slot was taken in time';

CREATE FUNCTION @extschema@.with_semaphore(pg_catalog.int8, pg_catalog.int4, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_semaphore_timed_bigint'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_semaphore(pg_catalog.int8, pg_catalog.int4, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn holding a slot of the semaphore on a bigint key, waiting at most timeout, passing it the arguments given after fn: false, without running fn, if no slot was taken in time';

CREATE FUNCTION @extschema@.lock_all(
    keys pg_catalog.text[],
    shared pg_catalog.bool DEFAULT false,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_lock_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.lock_all(pg_catalog.text[], pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take session locks on every text key (ids key_id(key)), in ascending id order: true once all are held, false (or with on_busy => ''error'' an error) holding none of them if the timeout runs out';

CREATE FUNCTION @extschema@.lock_all(
    keys pg_catalog.int8[],
    shared pg_catalog.bool DEFAULT false,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_lock_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.lock_all(pg_catalog.int8[], pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take session locks on every bigint key, in ascending order: true once all are held, false (or with on_busy => ''error'' an error) holding none of them if the timeout runs out';

CREATE FUNCTION @extschema@.xact_lock_all(
    keys pg_catalog.text[],
    shared pg_catalog.bool DEFAULT false,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_xact_lock_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.xact_lock_all(pg_catalog.text[], pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take transaction locks on every text key (ids key_id(key)), in ascending id order: true once all are held, false (or with on_busy => ''error'' an error) holding none of them if the timeout runs out';

CREATE FUNCTION @extschema@.xact_lock_all(
    keys pg_catalog.int8[],
    shared pg_catalog.bool DEFAULT false,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_xact_lock_all'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.xact_lock_all(pg_catalog.int8[], pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'take transaction locks on every bigint key, in ascending order: true once all are held, false (or with on_busy => ''error'' an error) holding none of them if the timeout runs out';

CREATE FUNCTION @extschema@.unlock_keys(keys pg_catalog.text[], shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_unlock_keys'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.unlock_keys(pg_catalog.text[], pg_catalog.bool) IS
'release one session hold of the lock on each distinct text key: false, with a warning for each, if this session had none of some';

CREATE FUNCTION @extschema@.unlock_keys(keys pg_catalog.int8[], shared pg_catalog.bool DEFAULT false)
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_unlock_keys'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION @extschema@.unlock_keys(pg_catalog.int8[], pg_catalog.bool) IS
'release one session hold of the lock on each distinct bigint key: false, with a warning for each, if this session had none of some';

CREATE FUNCTION @extschema@.with_locks(
    keys pg_catalog.text[],
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_locks'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_locks(pg_catalog.text[], pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'run fn under session locks on every text key, taken as lock_all takes them and released when fn returns or raises: false (or with on_busy => ''error'' an error), without running fn, if they were not all taken';

CREATE FUNCTION @extschema@.with_locks(pg_catalog.text[], pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_locks_timed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_locks(pg_catalog.text[], pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under session locks on every text key, taken as lock_all takes them, waiting at most timeout, passing it the arguments given after fn: false, without running fn, if they were not all taken';

CREATE FUNCTION @extschema@.with_locks(
    keys pg_catalog.int8[],
    fn pg_catalog.regprocedure,
    shared pg_catalog.bool DEFAULT false,
    timeout pg_catalog.interval DEFAULT NULL,
    on_busy pg_catalog.text DEFAULT 'false')
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_locks'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_locks(pg_catalog.int8[], pg_catalog.regprocedure, pg_catalog.bool, pg_catalog.interval, pg_catalog.text) IS
'run fn under session locks on every bigint key, taken as lock_all takes them and released when fn returns or raises: false (or with on_busy => ''error'' an error), without running fn, if they were not all taken';

CREATE FUNCTION @extschema@.with_locks(pg_catalog.int8[], pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any")
RETURNS pg_catalog.bool
AS 'MODULE_PATHNAME', 'pglocks_with_locks_timed'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION @extschema@.with_locks(pg_catalog.int8[], pg_catalog.bool, pg_catalog.interval, pg_catalog.regprocedure, VARIADIC "any") IS
'run fn under session locks on every bigint key, taken as lock_all takes them, waiting at most timeout, passing it the arguments given after fn: false, without running fn, if they were not all taken';

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
    session_scope pg_catalog.bool,
    kind pg_catalog.text,
    slot pg_catalog.int4,
    backend_start pg_catalog.timestamptz)
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
            CASE WHEN l.objsubid = 1 OR l.objsubid BETWEEN 3 AND 10003
                 THEN (l.classid::int8 << 32) | l.objid::int8 END,
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
            CASE WHEN a.state = 'idle' AND a.state_change < locks_read_at THEN true END,
            CASE WHEN l.objsubid IN (1, 2) THEN 'lock'
                 WHEN l.objsubid = 3 THEN 'gate'
                 WHEN l.objsubid BETWEEN 4 AND 10003 THEN 'slot' END,
            CASE WHEN l.objsubid BETWEEN 4 AND 10003 THEN l.objsubid::int4 - 4 END,
            a.backend_start
        FROM unnest(classids, objids, objsubids, modes, grants, pids, waitstarts)
             AS l(classid, objid, objsubid, mode, granted, pid, waitstart)
        LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid;
END $$;

COMMENT ON FUNCTION @extschema@.lock_status() IS
'the rows of the view pglocks.locks: read in an order that keeps them consistent, and with a fresh snapshot of pg_stat_activity';

CREATE VIEW @extschema@.locks AS SELECT * FROM @extschema@.lock_status();

GRANT SELECT ON @extschema@.locks TO PUBLIC;

COMMENT ON VIEW @extschema@.locks IS
'advisory locks of this database, held or awaited, keys decoded (kind: lock, or a semaphore''s slot or gate), with what pg_stat_activity shows of their holder';

CREATE FUNCTION @extschema@.orphaned_locks(older_than pg_catalog.interval DEFAULT '1 minute')
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

COMMENT ON FUNCTION @extschema@.orphaned_locks(pg_catalog.interval) IS
'session locks whose holder has been idle outside a transaction for longer than older_than';

CREATE FUNCTION @extschema@.holders(key pg_catalog.int8)
RETURNS TABLE (
    pid pg_catalog.int4,
    mode pg_catalog.text,
    granted pg_catalog.bool,
    kind pg_catalog.text,
    slot pg_catalog.int4,
    scope pg_catalog.text,
    application_name pg_catalog.text,
    state pg_catalog.text,
    backend_start pg_catalog.timestamptz,
    wait_start pg_catalog.timestamptz)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF key IS NULL THEN
        RAISE EXCEPTION 'argument "key" of pglocks.holders must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the key whose holders you want to see.';
    END IF;
    RETURN QUERY
        SELECT l.pid, l.mode, l.granted, l.kind, l.slot,
               CASE WHEN l.session_scope THEN 'session' END,
               l.application_name, l.state, l.backend_start, l.wait_start
        FROM @extschema@.lock_status() AS l
        WHERE l.key = holders.key
        ORDER BY l.kind, l.slot, l.granted DESC, l.wait_start, l.pid;
END $$;

COMMENT ON FUNCTION @extschema@.holders(pg_catalog.int8) IS
'sessions that hold or wait for the lock on a bigint key, or a slot of its semaphore, with what pg_stat_activity shows of them';

CREATE FUNCTION @extschema@.holders(key pg_catalog.text)
RETURNS TABLE (
    pid pg_catalog.int4,
    mode pg_catalog.text,
    granted pg_catalog.bool,
    kind pg_catalog.text,
    slot pg_catalog.int4,
    scope pg_catalog.text,
    application_name pg_catalog.text,
    state pg_catalog.text,
    backend_start pg_catalog.timestamptz,
    wait_start pg_catalog.timestamptz)
LANGUAGE sql VOLATILE PARALLEL RESTRICTED
AS $$ SELECT * FROM @extschema@.holders(@extschema@.key_id(key)) $$;

COMMENT ON FUNCTION @extschema@.holders(pg_catalog.text) IS
'sessions that hold or wait for the lock on a text key (its id is key_id(key)), or a slot of its semaphore, with what pg_stat_activity shows of them';

CREATE FUNCTION @extschema@.holders(key1 pg_catalog.int4, key2 pg_catalog.int4)
RETURNS TABLE (
    pid pg_catalog.int4,
    mode pg_catalog.text,
    granted pg_catalog.bool,
    kind pg_catalog.text,
    slot pg_catalog.int4,
    scope pg_catalog.text,
    application_name pg_catalog.text,
    state pg_catalog.text,
    backend_start pg_catalog.timestamptz,
    wait_start pg_catalog.timestamptz)
LANGUAGE plpgsql VOLATILE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF key1 IS NULL OR key2 IS NULL THEN
        RAISE EXCEPTION 'arguments "key1" and "key2" of pglocks.holders must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the key whose holders you want to see.';
    END IF;
    RETURN QUERY
        SELECT l.pid, l.mode, l.granted, l.kind, l.slot,
               CASE WHEN l.session_scope THEN 'session' END,
               l.application_name, l.state, l.backend_start, l.wait_start
        FROM @extschema@.lock_status() AS l
        WHERE l.key1 = holders.key1 AND l.key2 = holders.key2
        ORDER BY l.kind, l.slot, l.granted DESC, l.wait_start, l.pid;
END $$;

COMMENT ON FUNCTION @extschema@.holders(pg_catalog.int4, pg_catalog.int4) IS
'sessions that hold or wait for the lock on a pair of integer keys, with what pg_stat_activity shows of them';
