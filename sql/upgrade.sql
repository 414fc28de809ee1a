-- Upgrades: every older version, installed and then brought up to date with
-- ALTER EXTENSION pglocks UPDATE, must end up with exactly the catalog of a
-- fresh install of the newest version.

-- What an install leaves in the catalog: every member object with what
-- defines it (signature, defaults, result, volatility, strictness, parallel
-- safety, settings, source, ACL, comment; a view's columns and query), and
-- the initial privileges recorded for them.
CREATE FUNCTION pg_temp.surface() RETURNS TABLE (item text) LANGUAGE sql AS $$
    WITH member AS (
        SELECT d.classid, d.objid, d.objsubid
        FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
        WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'pglocks' AND d.deptype = 'e'
    )
    SELECT pg_describe_object(m.classid, m.objid, m.objsubid) || ' | ' || coalesce(
        (SELECT format('(%s) returns %s, volatility %s, strict %s, parallel %s, security definer %s, '
                       'config %s, cost %s, rows %s, language %s, %s, acl %s',
                       pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
                       p.provolatile, p.proisstrict, p.proparallel, p.prosecdef, p.proconfig,
                       p.procost, p.prorows, l.lanname,
                       CASE WHEN l.lanname = 'c' THEN 'symbol ' || p.prosrc ELSE 'body ' || p.prosrc END,
                       p.proacl)
         FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE m.classid = 'pg_proc'::regclass AND p.oid = m.objid),
        (SELECT format('relkind %s, acl %s, columns (%s), query %s', c.relkind, c.relacl,
                       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                        FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                       pg_get_viewdef(c.oid))
         FROM pg_class c WHERE m.classid = 'pg_class'::regclass AND c.oid = m.objid),
        (SELECT format('acl %s', n.nspacl)
         FROM pg_namespace n WHERE m.classid = 'pg_namespace'::regclass AND n.oid = m.objid),
        'other') || ' | comment ' || coalesce(obj_description(m.objid, m.classid::regclass::name), '-')
    FROM member m
    UNION ALL
    SELECT 'initial privileges of ' || pg_describe_object(i.classoid, i.objoid, i.objsubid) || ' | '
           || i.privtype::text || ' ' || i.initprivs::text
    FROM pg_init_privs i JOIN member m ON (m.classid, m.objid) = (i.classoid, i.objoid)
$$;

CREATE TEMP TABLE fresh AS SELECT * FROM pg_temp.surface();
SELECT extversion AS newest FROM pg_extension WHERE extname = 'pglocks';
-- (not counting the view's row types, members only from PostgreSQL 17 on)
SELECT count(*) AS catalog_items FROM fresh WHERE item NOT LIKE 'type %';

CREATE TEMP TABLE differences (from_version text, only_in text, item text);
CREATE TEMP TABLE checked (from_version text);
SET client_min_messages = warning;
DO $$
DECLARE
    old text;
BEGIN
    FOR old IN
        SELECT version FROM pg_available_extension_versions
        WHERE name = 'pglocks' AND version <> (SELECT extversion FROM pg_extension WHERE extname = 'pglocks')
        ORDER BY string_to_array(version, '.')::int[]
    LOOP
        DROP EXTENSION pglocks;
        EXECUTE format('CREATE EXTENSION pglocks VERSION %L', old);
        ALTER EXTENSION pglocks UPDATE;
        INSERT INTO checked VALUES (old);
        INSERT INTO differences
        SELECT old, 'fresh install', item FROM (TABLE fresh EXCEPT SELECT * FROM pg_temp.surface()) f
        UNION ALL
        SELECT old, 'updated from ' || old, item FROM (SELECT * FROM pg_temp.surface() EXCEPT TABLE fresh) u;
    END LOOP;
END $$;
RESET client_min_messages;

SELECT from_version AS updated_from FROM checked ORDER BY 1;
SELECT extversion AS after_update FROM pg_extension WHERE extname = 'pglocks';
-- must be empty
SELECT from_version, only_in, item FROM differences ORDER BY 1, 2, 3;

-- The 2.0 library computes 2.0's ids for text keys. A database still at 1.x
-- gets an error from its text-key functions rather than 2.0's ids under 1.x's
-- name; its bigint and pair keys, whose ids did not change, still work.
DROP EXTENSION pglocks;
CREATE EXTENSION pglocks VERSION '1.2.1';
SELECT pglocks.key_id('orders:42');
SELECT pglocks.lock('orders:42');
SELECT pglocks.with_lock('orders:42', false, true, 'pg_backend_pid()');
SELECT pglocks.lock(42::bigint), pglocks.unlock(42::bigint), pglocks.lock(4, 2), pglocks.unlock(4, 2);
ALTER EXTENSION pglocks UPDATE;
SELECT pglocks.key_id('orders:42');

-- 2.0 -> 2.1 re-creates lock, xact_lock, the named with_lock forms and the
-- view: privileges changed on them are named in a WARNING, not carried over
-- silently; the 2.0 catalog's calls keep working with the 2.1 library
-- before the update.
DROP EXTENSION pglocks;
CREATE EXTENSION pglocks VERSION '2.0.0';
SELECT pglocks.lock('k', wait => false), pglocks.unlock('k');
SELECT pglocks.with_lock('k', fn => 'pg_backend_pid()', timeout => '1 s');
REVOKE EXECUTE ON FUNCTION pglocks.lock(text, boolean, boolean, interval) FROM PUBLIC;
REVOKE SELECT ON pglocks.locks FROM PUBLIC;
ALTER EXTENSION pglocks UPDATE;
SELECT proacl IS NULL AS initial_privileges
FROM pg_proc WHERE oid = 'pglocks.lock(text, boolean, boolean, interval, text)'::regprocedure;
