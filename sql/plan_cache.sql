-- with_lock checks a body once and keeps the result for the whole session
-- (every statement gets a new call site): the next statement must still see
-- every change to the body, its privileges, and calls that reenter it.

\set held 'SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = ''advisory'' AND pid = pg_backend_pid()'

CREATE FUNCTION shows(x text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'shows(%)', x; END $$;

-- cached by the first statement, changed between statements
SELECT pglocks.with_lock('pc', false, true, 'shows(text)', NULL::text);
ALTER FUNCTION shows(text) STRICT;
SELECT pglocks.with_lock('pc', false, true, 'shows(text)', NULL::text);
ALTER FUNCTION shows(text) CALLED ON NULL INPUT;
SELECT pglocks.with_lock('pc', false, true, 'shows(text)', NULL::text);
DROP FUNCTION shows(text);
CREATE FUNCTION shows(x text) RETURNS SETOF int LANGUAGE sql AS $$ SELECT 1 $$;
SELECT pglocks.with_lock('pc', false, true, 'shows(text)', 'set');
DROP FUNCTION shows(text);
CREATE FUNCTION shows(x text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'new shows(%)', x; END $$;
SELECT pglocks.with_lock('pc', false, true, 'shows(text)', 'recreated');
:held;

-- the same body with other argument types is another plan
CREATE FUNCTION echo(x anyelement) RETURNS anyelement LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'echo(%) as %', x, pg_typeof(x); RETURN x; END $$;
SELECT pglocks.with_lock('pc', false, true, 'echo(anyelement)', 1);
SELECT pglocks.with_lock('pc', false, true, 'echo(anyelement)', 'one'::text);
SELECT pglocks.with_lock('pc', false, true, 'echo(anyelement)', 1.5);
SELECT pglocks.with_lock('pc', false, true, 'echo(anyelement)', 2);

-- EXECUTE is checked on every call, not cached
CREATE ROLE regress_pglocks_cache_user;
GRANT USAGE ON SCHEMA public TO regress_pglocks_cache_user;
CREATE FUNCTION guarded() RETURNS void LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'guarded ran'; END $$;
SET ROLE regress_pglocks_cache_user;
SELECT pglocks.with_lock('pc', false, true, 'guarded()');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION guarded() FROM PUBLIC;
SET ROLE regress_pglocks_cache_user;
SELECT pglocks.with_lock('pc', false, true, 'guarded()');
:held;
RESET ROLE;
DROP FUNCTION guarded();
REVOKE USAGE ON SCHEMA public FROM regress_pglocks_cache_user;
DROP ROLE regress_pglocks_cache_user;

-- a SQL-language body (its fmgr state lives in the plan) that calls itself
-- through with_lock: each level gets a plan of its own
CREATE TABLE levels (n int);
CREATE FUNCTION descend(n int) RETURNS void LANGUAGE sql AS $$
    INSERT INTO levels VALUES (n);
    SELECT pglocks.with_lock('descend', false, true, 'descend(int)', n - 1) WHERE n > 0;
$$;
SELECT pglocks.with_lock('descend', false, true, 'descend(int)', 3);
SELECT pglocks.with_lock('descend', false, true, 'descend(int)', 2);
SELECT array_agg(n ORDER BY n) AS levels FROM levels;
:held;

-- more distinct plans than the cache keeps: it starts over, calls still right
DO $$
DECLARE
    args text;
BEGIN
    FOR i IN 0..1299 LOOP
        SELECT string_agg(CASE WHEN i & (1 << b) = 0 THEN '1' ELSE '''t''::text' END, ', ')
        INTO args FROM generate_series(0, 10) b;
        EXECUTE format('SELECT pglocks.with_lock(''pc'', false, true, ''json_build_array("any")'', %s)', args);
    END LOOP;
END $$;
SELECT pglocks.with_lock('pc', false, true, 'echo(anyelement)', 3);
:held;
