-- The body runs with the caller's rights: with_lock checks EXECUTE on it,
-- for the current user and through role membership, before locking.

\set held 'SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = ''advisory'' AND pid = pg_backend_pid()'

CREATE ROLE regress_pglocks_caller;
CREATE ROLE regress_pglocks_group;
CREATE ROLE regress_pglocks_other;
GRANT regress_pglocks_group TO regress_pglocks_caller;

CREATE TABLE body_runs (body text, ran_as text);
GRANT SELECT, INSERT ON body_runs TO PUBLIC;

CREATE FUNCTION restricted() RETURNS void LANGUAGE sql
AS $$ INSERT INTO body_runs VALUES ('restricted', current_user) $$;
REVOKE EXECUTE ON FUNCTION restricted() FROM PUBLIC;

CREATE FUNCTION via_group() RETURNS void LANGUAGE sql
AS $$ INSERT INTO body_runs VALUES ('via_group', current_user) $$;
REVOKE EXECUTE ON FUNCTION via_group() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION via_group() TO regress_pglocks_group;

-- SECURITY DEFINER and SET clauses work as in a direct call
CREATE FUNCTION definer() RETURNS void LANGUAGE sql SECURITY DEFINER
AS $$ INSERT INTO body_runs VALUES ('definer', current_user) $$;
ALTER FUNCTION definer() OWNER TO regress_pglocks_other;
CREATE FUNCTION with_setting() RETURNS void LANGUAGE sql SET work_mem = '1234kB'
AS $$ INSERT INTO body_runs VALUES ('with_setting ' || current_setting('work_mem'), current_user) $$;

SET ROLE regress_pglocks_caller;
-- no EXECUTE: 42501, and the lock was never taken
SELECT pglocks.with_lock('k', false, true, 'restricted()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_xact_lock('k', fn => 'restricted()');
\echo :LAST_ERROR_SQLSTATE
:held;
-- EXECUTE held through a group role
SELECT pglocks.with_lock('k', false, true, 'via_group()');
SELECT pglocks.with_lock('k', false, true, 'definer()');
SELECT pglocks.with_lock('k', false, true, 'with_setting()');
SHOW work_mem;
RESET ROLE;
SELECT * FROM body_runs ORDER BY body;

-- privileges are checked on every call, not once per call site: the same
-- call site, run twice in one transaction, loses the membership in between
CREATE FUNCTION twice_losing_membership() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text := '';
BEGIN
    FOR i IN 1..2 LOOP
        SET LOCAL ROLE regress_pglocks_caller;
        BEGIN
            PERFORM pglocks.with_lock('k', false, true, 'via_group()');
            result := result || 'call ' || i || ' ran; ';
        EXCEPTION WHEN insufficient_privilege THEN
            result := result || 'call ' || i || ' denied; ';
        END;
        RESET ROLE;
        IF i = 1 THEN
            REVOKE regress_pglocks_group FROM regress_pglocks_caller;
        END IF;
    END LOOP;
    RETURN result;
END $$;
SELECT twice_losing_membership();

-- every role may use pglocks: the schema is open to PUBLIC
SELECT has_schema_privilege('public', 'pglocks', 'USAGE') AS public_usage,
       has_schema_privilege('public', 'pglocks', 'CREATE') AS public_create;
SET ROLE regress_pglocks_other;
SELECT pglocks.lock('anyone'), pglocks.unlock('anyone'), pglocks.key_id('anyone') = pglocks.key_id('anyone');
RESET ROLE;

DROP FUNCTION twice_losing_membership(), restricted(), via_group(), definer(), with_setting();
DROP TABLE body_runs;
DROP ROLE regress_pglocks_caller, regress_pglocks_group, regress_pglocks_other;
