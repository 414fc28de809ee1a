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
    a.application_name
FROM pg_catalog.pg_locks AS l
LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid OPERATOR(pg_catalog.=) l.pid
WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'
  AND l.database OPERATOR(pg_catalog.=) (
      SELECT d.oid FROM pg_catalog.pg_database AS d
      WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database());

