-- with_lock: run a function under a session lock released when it returns
-- or raises.

\set held 'SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = ''advisory'' AND pid = pg_backend_pid()'

CREATE TABLE body_log (n serial, note text);

-- records whether the lock named by its arguments was held while it ran
CREATE FUNCTION note_held(key text, shared boolean DEFAULT false) RETURNS void
LANGUAGE sql AS $$ INSERT INTO body_log (note) SELECT key || ': ' || pglocks.is_held(key, shared) $$;
CREATE FUNCTION note_held_bigint(key bigint) RETURNS void
LANGUAGE sql AS $$ INSERT INTO body_log (note) SELECT key || ': ' || pglocks.is_held(key) $$;
CREATE FUNCTION note_held_pair(key1 int, key2 int) RETURNS void
LANGUAGE sql AS $$ INSERT INTO body_log (note) SELECT key1 || ',' || key2 || ': ' || pglocks.is_held(key1, key2) $$;
CREATE FUNCTION note(msg text) RETURNS int
LANGUAGE sql AS $$ INSERT INTO body_log (note) VALUES (msg) RETURNING NULL::int $$;

-- the required signature: true, the body ran under the lock, the lock is gone
SELECT pglocks.with_lock('k', false, true, 'note_held(text,boolean)', 'k', false);
:held;
SELECT pglocks.with_lock('k', true, true, 'note_held(text,boolean)', 'k', true);
SELECT pglocks.with_lock(42, false, true, 'note_held_bigint(bigint)', 42::bigint);
SELECT pglocks.with_lock(1, 2, false, true, 'note_held_pair(int,int)', 1, 2);
SELECT pglocks.with_lock('k', false, false, 'note(text)', 'wait => false on a free lock');
:held;

-- the named form, with and without a timeout, for each key form
CREATE FUNCTION note_k() RETURNS void LANGUAGE sql AS $$ SELECT note_held('k') $$;
SELECT pglocks.with_lock('k', fn => 'note_k()');
SELECT pglocks.with_lock('k', fn => 'note_k()', timeout => '2s');
SELECT pglocks.with_lock(key => 'k', shared => false, wait => true, fn => 'note_k()');
SELECT pglocks.with_lock(42, fn => 'note_k()'::regprocedure, timeout => '0');
SELECT pglocks.with_lock(7, 8, fn => 'now()', wait => false);
SELECT pglocks.with_lock('k', 'note_k()');
:held;

-- the body's value is ignored (note() returns NULL); arguments pass through
SELECT pglocks.with_lock('order:42', false, true, 'note(text)', 'shipping ' || 42);
SELECT n, note FROM body_log ORDER BY n;

-- arguments: unknown literals take their parameter's type; other types convert
-- by an implicit cast, as in a direct call (int to bigint), or not at all
CREATE FUNCTION add_note(a int, b bigint, c numeric, d text) RETURNS void
LANGUAGE sql AS $$ INSERT INTO body_log (note) VALUES (concat_ws(' ', a, b, c, d)) $$;
SELECT pglocks.with_lock('k', false, true, 'add_note(int,bigint,numeric,text)', 1, 2::bigint, 3.5, 'four');
SELECT pglocks.with_lock('k', false, true, 'add_note(int,bigint,numeric,text)', '1', '2', '3.5', 'four');
SELECT pglocks.with_lock('k', false, true, 'add_note(int,bigint,numeric,text)', 1, 2, 3.5, 'four');
SELECT pglocks.with_lock('k', false, true, 'add_note(int,bigint,numeric,text)', 1::bigint, 2, 3.5, 'four');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'add_note(int,bigint,numeric,text)', 'one', '2', '3', '4');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'note(text)', 'varchar is text'::varchar);
SELECT pglocks.with_lock('k', false, true, 'note(text)');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'note(text)', 'a', 'b');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'note(text)', VARIADIC ARRAY['a']);
\echo :LAST_ERROR_SQLSTATE

-- polymorphic, "any", record-returning and OUT-parameter bodies
CREATE FUNCTION poly_note(a anyelement, b anyelement) RETURNS anyelement
LANGUAGE plpgsql AS $$ BEGIN PERFORM note(pg_typeof(a) || ' ' || a || ' ' || b); RETURN a; END $$;
SELECT pglocks.with_lock('k', false, true, 'poly_note(anyelement,anyelement)', 1, '2');
SELECT pglocks.with_lock('k', false, true, 'poly_note(anyelement,anyelement)', 'x'::text, 'y');
SELECT pglocks.with_lock('k', false, true, 'poly_note(anyelement,anyelement)', 1, 'y'::text);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'poly_note(anyelement,anyelement)', 'x', 'y');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'format(text,"any")', '%s-%s', 1, 'two');
CREATE FUNCTION a_record() RETURNS record LANGUAGE plpgsql AS $$ BEGIN RETURN (1, 'a'); END $$;
CREATE FUNCTION with_out(a int, OUT b int, OUT c text) LANGUAGE plpgsql AS $$ BEGIN b := a; c := 'c'; END $$;
SELECT pglocks.with_lock('k', false, true, 'a_record()'), pglocks.with_lock('k', false, true, 'with_out(int)', 1);
SELECT n, note FROM body_log WHERE n > 7 ORDER BY n;
:held;

-- a strict body would silently not run on NULL: that is an error instead
CREATE FUNCTION strict_note(msg text) RETURNS void STRICT LANGUAGE sql AS $$ SELECT note(msg) $$;
SELECT pglocks.with_lock('k', false, true, 'strict_note(text)', NULL::text);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'note(text)', NULL::text);

-- the body's error comes through unchanged, and the lock is released
CREATE FUNCTION fail(code text) RETURNS void LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'body failed with %', code USING ERRCODE = code, HINT = 'from the body'; END $$;
SELECT pglocks.with_lock('k', false, true, 'fail(text)', '22012');
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION fail_serialization() RETURNS void LANGUAGE sql AS $$ SELECT fail('40001') $$;
SELECT pglocks.with_lock(5, 6, fn => 'fail_serialization()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'fail(text)', 'P0001');
\echo :LAST_ERROR_SQLSTATE
:held;

-- a statement_timeout that fires in the body releases the lock too
SET statement_timeout = '100ms';
SELECT pglocks.with_lock('k', false, true, 'pg_sleep(double precision)', 10::double precision);
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
:held;

-- a body that releases the lock itself: no warning, no failure
SELECT pglocks.with_lock('k', false, true, 'pg_advisory_unlock_all()');
SELECT pglocks.with_lock(9::bigint, false, true, 'pg_advisory_unlock(bigint)', 9::bigint);
:held;
-- ... also when the session holds the same lock in transaction scope, which
-- with_lock then leaves alone
CREATE FUNCTION body_unlock() RETURNS void LANGUAGE sql AS 'SELECT pg_advisory_unlock(1)';
BEGIN;
SELECT pg_advisory_xact_lock(1);
SELECT pglocks.with_lock(1, 'body_unlock()');
:held;
COMMIT;
-- ... and when it held a session hold of its own before: the body's unlock
-- releases one of the two holds, with_lock the other
SELECT pglocks.lock(1);
SELECT pglocks.with_lock(1, 'body_unlock()');
:held;
-- a transaction hold taken by the body stays until the transaction ends
BEGIN;
SELECT pglocks.with_lock(1, false, true, 'pglocks.xact_lock(bigint,boolean,boolean,interval,text)', 1::bigint, false, true, NULL::interval, 'false');
:held;
COMMIT;
:held;

-- a lock the session already held stays held (holds nest)
SELECT pglocks.lock('outer');
SELECT pglocks.with_lock('outer', false, true, 'note_held(text,boolean)', 'outer', false);
SELECT pglocks.is_held('outer') AS still_held_once, pglocks.unlock('outer'), pglocks.is_held('outer') AS held_now;

-- nested with_lock, through a body that calls with_lock again
CREATE FUNCTION nested(depth int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM note('depth ' || depth || ' holds ' ||
                 (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()));
    IF depth < 3 THEN
        PERFORM pglocks.with_lock('nest ' || depth, false, true, 'nested(int)', depth + 1);
    END IF;
END $$;
SELECT pglocks.with_lock('nest 0', false, true, 'nested(int)', 1);
SELECT n, note FROM body_log WHERE note LIKE 'depth%' ORDER BY n;
:held;
