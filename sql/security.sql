-- Security: installing as a database owner (the extension is trusted), a
-- pre-existing "pglocks" schema that someone else controls, and objects
-- planted on the search_path, none of which may be picked up.

CREATE ROLE regress_pglocks_dbowner LOGIN;
CREATE ROLE regress_pglocks_mallory LOGIN;
CREATE DATABASE regress_pglocks_security OWNER regress_pglocks_dbowner;
\c regress_pglocks_security

-- Objects planted where a careless script would find them: in public (on
-- everyone's search_path here), in the installer's own schema and in pg_temp.
-- Each one fails loudly if it is ever used.
CREATE FUNCTION public.planted() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'a planted object was used'; END $$;
CREATE FUNCTION public.planted_bool(anyelement, anyelement) RETURNS boolean LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'a planted operator was used'; END $$;
CREATE FUNCTION public.to_jsonb(pg_locks) RETURNS jsonb LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'planted to_jsonb was used'; END $$;
CREATE FUNCTION public.pg_blocking_pids(integer) RETURNS integer[] LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'planted pg_blocking_pids was used'; END $$;
CREATE FUNCTION public.current_database() RETURNS name LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'planted current_database was used'; END $$;
CREATE FUNCTION public.key_id(text) RETURNS bigint LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'planted key_id was used'; END $$;
CREATE OPERATOR public.= (leftarg = text, rightarg = text, function = public.planted_bool);
CREATE OPERATOR public.= (leftarg = oid, rightarg = oid, function = public.planted_bool);
CREATE OPERATOR public.= (leftarg = integer, rightarg = integer, function = public.planted_bool);
CREATE OPERATOR public.= (leftarg = name, rightarg = name, function = public.planted_bool);
CREATE OPERATOR public.<> (leftarg = oid, rightarg = oid, function = public.planted_bool);
GRANT ALL ON SCHEMA public TO PUBLIC;
ALTER DATABASE regress_pglocks_security SET search_path = public, "$user", pg_catalog;

-- A schema named "pglocks" that another role owns is refused: its owner
-- could add overloads that capture calls meant for pglocks. (The context of
-- these errors names the install script's statement from 18 on: not shown.)
\set SHOW_CONTEXT never
GRANT CREATE ON DATABASE regress_pglocks_security TO regress_pglocks_mallory;
SET SESSION AUTHORIZATION regress_pglocks_mallory;
CREATE SCHEMA pglocks;
RESET SESSION AUTHORIZATION;
CREATE EXTENSION pglocks;
\echo :LAST_ERROR_SQLSTATE
ALTER SCHEMA pglocks OWNER TO regress_pglocks_dbowner;
-- ... and so is one that others may create objects in
GRANT CREATE ON SCHEMA pglocks TO regress_pglocks_mallory;
SET SESSION AUTHORIZATION regress_pglocks_dbowner;
CREATE EXTENSION pglocks;
\echo :LAST_ERROR_SQLSTATE
\set SHOW_CONTEXT errors
RESET SESSION AUTHORIZATION;
DROP SCHEMA pglocks;
REVOKE CREATE ON DATABASE regress_pglocks_security FROM regress_pglocks_mallory;

-- The database owner, not a superuser, installs the trusted extension, with
-- the planted objects on its search_path and in its temporary schema.
\c regress_pglocks_security
SET SESSION AUTHORIZATION regress_pglocks_dbowner;
CREATE SCHEMA regress_pglocks_dbowner;
CREATE FUNCTION regress_pglocks_dbowner.pg_blocking_pids(integer) RETURNS integer[] LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION 'planted pg_blocking_pids was used'; END $$;
CREATE TEMP VIEW pg_locks AS SELECT 'planted'::text AS locktype;
CREATE TEMP VIEW pg_stat_activity AS SELECT 'planted'::text AS application_name;
SHOW search_path;
CREATE EXTENSION pglocks;
SELECT n.nspname AS schema, pg_get_userbyid(n.nspowner) AS schema_owner,
       pg_get_userbyid(e.extowner) AS extension_owner
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pglocks';
-- the functions belong to the bootstrap superuser, as for every trusted
-- extension, and none is SECURITY DEFINER
SELECT count(*) AS functions, bool_and(proowner = 10) AS bootstrap_owned,
       bool_or(prosecdef) AS any_security_definer
FROM pg_proc WHERE pronamespace = 'pglocks'::regnamespace;

-- Every kind of function, and the view, work without touching a planted object
SELECT pglocks.key_id('k') = -698013235227175806 AS key_id_ok,
       pglocks.lock('k'), pglocks.is_held('k'), pglocks.xact_lock(1, 2);
CREATE FUNCTION body() RETURNS void LANGUAGE sql AS $$ SELECT $$;
SELECT pglocks.with_lock('k', false, true, 'body()'),
       pglocks.with_xact_lock(7::bigint, fn => 'body()', timeout => '1s');
SELECT key, key1, key2, mode, granted, pid = pg_backend_pid() AS mine, blocked_by,
       application_name
FROM pglocks.locks ORDER BY key, key1;
SELECT count(*) AS orphans FROM pglocks.orphaned_locks('0');
SELECT pglocks.unlock('k');

-- What does not hold (SECURITY.md, "Who should install it"): the database
-- owner owns the schema it installed into, so it can add an overload that
-- captures a call any other role makes, a superuser's included (an untyped
-- literal prefers text to regprocedure).
CREATE FUNCTION pglocks.with_lock(text, boolean, boolean, text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'captured a call; superuser: %', current_setting('is_superuser');
    RETURN false;
END $$;
RESET SESSION AUTHORIZATION;
SELECT pglocks.with_lock('k', false, true, 'body()');
SET SESSION AUTHORIZATION regress_pglocks_dbowner;
DROP FUNCTION pglocks.with_lock(text, boolean, boolean, text);
DROP FUNCTION body();
DROP EXTENSION pglocks;
RESET SESSION AUTHORIZATION;

-- What holds: installed by a superuser, the schema is the superuser's, and
-- the database owner can neither add to it nor drop it or the extension.
DROP SCHEMA pglocks;
CREATE EXTENSION pglocks;
SELECT r.rolsuper AS schema_owner_is_superuser
FROM pg_namespace AS n JOIN pg_roles AS r ON r.oid = n.nspowner WHERE n.nspname = 'pglocks';
SET SESSION AUTHORIZATION regress_pglocks_dbowner;
CREATE FUNCTION pglocks.with_lock(text, boolean, boolean, text) RETURNS boolean
LANGUAGE sql AS 'SELECT false';
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA pglocks CASCADE;
\echo :LAST_ERROR_SQLSTATE
DROP EXTENSION pglocks;
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
DROP EXTENSION pglocks;

\c contrib_regression
DROP DATABASE regress_pglocks_security;
DROP ROLE regress_pglocks_dbowner, regress_pglocks_mallory;
