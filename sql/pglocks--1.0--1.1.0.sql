-- pglocks 1.0 to 1.1.0
\echo Use "ALTER EXTENSION pglocks UPDATE TO '1.1.0'" to load this file. \quit

-- pglocks.locks: every operator schema-qualified, so that no object on the
-- search_path of whoever (re)creates the view can be picked up.
CREATE OR REPLACE VIEW @extschema@.locks AS
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
