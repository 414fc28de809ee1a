-- Bad-input sweep: every entry point against NULLs, extreme keys, huge keys,
-- odd timeouts and every kind of body. Each call must give its documented
-- result or a clear ERROR (never XX000, never a crash) and leave no lock.
--
-- sweep.run(call) runs one call in a subtransaction, reports its result or
-- its error, how many advisory locks it held right after, and how many are
-- left once the subtransaction is rolled back (only session locks survive
-- that; a failed call must leave none).
CREATE SCHEMA sweep;
CREATE TABLE sweep.outcome (n serial, call text, outcome text, locks_after int, left_behind int);

CREATE FUNCTION sweep.advisory_locks() RETURNS int LANGUAGE sql VOLATILE AS $$
    SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
$$;

CREATE FUNCTION sweep.run(call text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    result text;
    locks_after int;
    state text;
    message text;
BEGIN
    BEGIN
        EXECUTE 'SELECT (' || call || ')::text' INTO result;
        locks_after := sweep.advisory_locks();
        -- roll the subtransaction back: transaction locks go, session locks stay
        RAISE EXCEPTION USING ERRCODE = 'SWEEP';
    EXCEPTION
        WHEN SQLSTATE 'SWEEP' THEN
            NULL;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            result := 'ERROR ' || state || ': ' || message;
            locks_after := NULL;
    END;
    INSERT INTO sweep.outcome (call, outcome, locks_after, left_behind)
    VALUES (call, coalesce(result, 'NULL'), locks_after, sweep.advisory_locks());
    PERFORM pg_advisory_unlock_all();
END $$;

-- Bodies of every kind
CREATE FUNCTION sweep.noop() RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE PROCEDURE sweep.a_procedure() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE AGGREGATE sweep.an_aggregate(int) (sfunc = int4pl, stype = int);
CREATE FUNCTION sweep.a_set() RETURNS SETOF int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION sweep.a_table() RETURNS TABLE (a int) LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION sweep.poly(anyelement) RETURNS anyelement LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION sweep.poly_array(anyarray, anyelement) RETURNS anyarray LANGUAGE sql
    AS $$ SELECT $1 || $2 $$;
CREATE FUNCTION sweep.a_record() RETURNS record LANGUAGE sql AS $$ SELECT 1, 'x' $$;
CREATE FUNCTION sweep.a_row() RETURNS sweep.outcome LANGUAGE sql
    AS $$ SELECT 0, 'c', 'o', 0, 0 $$;
CREATE FUNCTION sweep.a_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE FUNCTION sweep.variadic_ints(VARIADIC int[]) RETURNS int LANGUAGE sql
    AS $$ SELECT array_length($1, 1) $$;
CREATE FUNCTION sweep.with_default(a int, b int DEFAULT 2) RETURNS int LANGUAGE sql
    AS $$ SELECT a + b $$;
CREATE FUNCTION sweep.with_out(a int, OUT doubled int, OUT tripled int) LANGUAGE sql
    AS $$ SELECT a * 2, a * 3 $$;
CREATE FUNCTION sweep.strict_body(a int) RETURNS int LANGUAGE sql STRICT AS $$ SELECT a $$;
CREATE FUNCTION sweep.lax_body(a int) RETURNS int LANGUAGE sql AS $$ SELECT coalesce(a, -1) $$;
CREATE FUNCTION sweep.raises() RETURNS void LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'body failed' USING ERRCODE = 'P0042'; END $$;
-- recursion through with_lock, a new key on every level, until the stack ends
CREATE FUNCTION sweep.recurse(depth int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pglocks.with_lock('recurse ' || depth, false, true, 'sweep.recurse(int)', depth + 1);
    RETURN depth;
END $$;
-- a body that takes transaction locks until the shared lock table is full
CREATE FUNCTION sweep.exhaust_lock_table() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..10000000 LOOP
        PERFORM pglocks.xact_lock(i::bigint);
    END LOOP;
END $$;

-- The calls: every entry point, every key form
CREATE TEMP TABLE keys (n serial, key text);
INSERT INTO keys (key) VALUES
    ($$NULL::text$$), ($$''$$), ($$repeat('x', 1048576)$$), ($$repeat('é', 524288)$$),
    ($$E'\u0001\t '$$),
    ('NULL::bigint'), ('(-9223372036854775807 - 1)::bigint'), ('9223372036854775807::bigint'),
    ('0::bigint'),
    ('NULL::int, 1'), ('1, NULL::int'), ('(-2147483647 - 1)::int, 2147483647'),
    ('2147483647, (-2147483647 - 1)::int');

CREATE TEMP TABLE calls (n serial, call text);
INSERT INTO calls (call)
SELECT format(f, key) FROM keys, unnest(ARRAY[
    'pglocks.lock(%s)', 'pglocks.lock(%s, true)', 'pglocks.lock(%s, wait => false)',
    'pglocks.xact_lock(%s)', 'pglocks.xact_lock(%s, shared => true, wait => false)',
    'pglocks.unlock(%s)', 'pglocks.is_held(%s)',
    'pglocks.with_lock(%s, false, true, ''sweep.noop()'')',
    'pglocks.with_lock(%s, true, false, ''sweep.lax_body(int)'', 1)',
    'pglocks.with_lock(%s, fn => ''sweep.noop()'', timeout => ''1 s'')',
    'pglocks.with_xact_lock(%s, false, true, ''sweep.noop()'')',
    'pglocks.with_xact_lock(%s, fn => ''sweep.noop()'', shared => true)',
    'pglocks.with_lock(%s, false, interval ''1 s'', ''sweep.lax_body(int)'', 1)',
    'pglocks.lock(%s, wait => false, on_busy => ''error'')',
    'pglocks.is_free(%s)', '(SELECT count(*) FROM pglocks.holders(%s))'
]) WITH ORDINALITY AS f(f, i) ORDER BY i, keys.n;
INSERT INTO calls (call) VALUES
    -- hashing
    ($$pglocks.key_id(NULL)$$), ($$pglocks.key_id(repeat('x', 1048576))$$),
    ($$pglocks.crc32_key_id(NULL)$$), ($$pglocks.crc32_key_id(repeat('x', 1048576))$$),
    ($$pglocks.unlock_all()$$),
    -- introspection
    ($$(SELECT count(*) FROM pglocks.orphaned_locks(NULL))$$),
    ($$(SELECT count(*) FROM pglocks.orphaned_locks('-1 microsecond'))$$),
    ($$(SELECT count(*) FROM pglocks.orphaned_locks('0'))$$),
    ($$(SELECT count(*) FROM pglocks.orphaned_locks('1000 years'))$$),
    -- NULL options, in every position
    ($$pglocks.lock('k', NULL::boolean)$$), ($$pglocks.lock('k', wait => NULL)$$),
    ($$pglocks.xact_lock(1::bigint, NULL::boolean, true)$$),
    ($$pglocks.unlock(1, 2, NULL)$$), ($$pglocks.is_held(1::bigint, NULL)$$),
    ($$pglocks.with_lock('k', NULL::boolean, true, 'sweep.noop()')$$),
    ($$pglocks.with_lock('k', false, NULL::boolean, 'sweep.noop()')$$),
    ($$pglocks.with_lock('k', false, true, NULL::regprocedure)$$),
    ($$pglocks.with_xact_lock(1, 2, false, true, NULL::regprocedure)$$),
    ($$pglocks.with_lock('k', fn => 'sweep.noop()', wait => NULL)$$),
    -- timeouts
    ($$pglocks.lock('k', timeout => NULL)$$),
    ($$pglocks.lock('k', timeout => '-1 microsecond')$$),
    ($$pglocks.lock('k', timeout => '0')$$),
    ($$pglocks.lock('k', timeout => '1 microsecond')$$),
    ($$pglocks.lock('k', timeout => '1000 years')$$),
    ($$pglocks.lock('k', timeout => '1 mon')$$),
    ($$pglocks.lock('k', timeout => '-1 mon 31 days')$$),
    ($$pglocks.lock('k', wait => false, timeout => '0')$$),
    ($$pglocks.xact_lock(1, 2, timeout => '1 microsecond')$$),
    ($$pglocks.with_lock('k', fn => 'sweep.noop()', timeout => '-1 s')$$),
    ($$pglocks.with_lock('k', fn => 'sweep.noop()', timeout => '0')$$),
    ($$pglocks.with_xact_lock(7::bigint, fn => 'sweep.noop()', timeout => '1000 years')$$),
    -- bodies
    ($$pglocks.with_lock('k', false, true, 'sweep.a_procedure()')$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.an_aggregate(int)', 1)$$),
    ($$pglocks.with_lock('k', false, true, 'row_number()')$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.a_set()')$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.a_table()')$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.poly(anyelement)', 1)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.poly(anyelement)', 'untyped')$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.poly(anyelement)', NULL)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.poly_array(anyarray,anyelement)', ARRAY[1], 2)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.poly_array(anyarray,anyelement)', ARRAY[1], 'x'::text)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.a_record()')$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.a_row()')$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.a_trigger()')$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.variadic_ints(int[])', 1, 2, 3)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.variadic_ints(int[])', ARRAY[1, 2])$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.variadic_ints(int[])', VARIADIC ARRAY[1, 2])$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.with_default(int,int)', 1)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.with_default(int,int)', 1, 5)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.with_out(int)', 1)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.strict_body(int)', NULL::int)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.lax_body(int)', NULL::int)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.lax_body(int)', 1::bigint)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.lax_body(int)')$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.lax_body(int)', 1, 2)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.raises()')$$),
    ($$pglocks.with_xact_lock('k', false, true, 'sweep.raises()')$$),
    ($$pglocks.with_lock('k', false, true, 0)$$),
    ($$pglocks.with_lock('k', false, true, 4294967295::oid::regprocedure)$$),
    ($$pglocks.with_lock('k', false, true, 'pg_class'::regclass::oid::regprocedure)$$),
    ($$pglocks.with_lock('k', false, true, 'int4pl(int,int)', 1, 2)$$),
    ($$pglocks.with_lock('k', false, true, 'textin(cstring)', 'x'::cstring)$$),
    ($$pglocks.with_lock('k', false, true, 'array_typanalyze(internal)', 1)$$),
    ($$pglocks.with_lock('k', false, true, 'plpgsql_call_handler()')$$),
    ($$pglocks.with_lock('k', false, true, 'pg_sleep(float8)', 0.001::float8)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.recurse(int)', 1)$$),
    ($$pglocks.with_lock('k', false, true, 'sweep.exhaust_lock_table()')$$),
    -- on_busy
    ($$pglocks.lock('k', on_busy => NULL)$$), ($$pglocks.lock('k', on_busy => '')$$),
    ($$pglocks.xact_lock(1::bigint, on_busy => 'Error')$$),
    ($$pglocks.with_lock('k', fn => 'sweep.noop()', on_busy => 'error')$$),
    -- semaphores
    ($$pglocks.acquire_slot(NULL::text, 2)$$), ($$pglocks.acquire_slot('k', NULL)$$),
    ($$pglocks.acquire_slot('k', 0)$$), ($$pglocks.acquire_slot('k', -2147483647 - 1)$$),
    ($$pglocks.acquire_slot('k', 10001)$$), ($$pglocks.acquire_slot('k', 2147483647)$$),
    ($$pglocks.acquire_slot('k', 1)$$), ($$pglocks.acquire_slot(repeat('x', 1048576), 3) IS NOT NULL$$),
    ($$pglocks.acquire_slot((-9223372036854775807 - 1)::bigint, 10000) IS NOT NULL$$),
    ($$pglocks.acquire_slot('k', 2, wait => NULL)$$),
    ($$pglocks.acquire_slot('k', 2, wait => false, timeout => '1 s')$$),
    ($$pglocks.acquire_slot('k', 2, timeout => '-1 s')$$),
    ($$pglocks.acquire_slot('k', 2, timeout => '1000 years', on_busy => 'error') IN (0, 1)$$),
    ($$pglocks.acquire_slot('k', 2, on_busy => NULL)$$),
    ($$pglocks.xact_acquire_slot(1::bigint, 2, wait => false) IN (0, 1)$$),
    ($$pglocks.release_slot('k', NULL)$$), ($$pglocks.release_slot(NULL::bigint, 0)$$),
    ($$pglocks.release_slot('k', -1)$$), ($$pglocks.release_slot('k', 10000)$$),
    ($$pglocks.release_slot('k', 0)$$),
    ($$pglocks.with_semaphore('k', 2, 'sweep.noop()')$$),
    ($$pglocks.with_semaphore('k', 2, 'sweep.raises()')$$),
    ($$pglocks.with_semaphore('k', 0, 'sweep.noop()')$$),
    ($$pglocks.with_semaphore('k', 2, NULL::regprocedure)$$),
    ($$pglocks.with_semaphore('k', 2, 'sweep.noop()', timeout => '-1 s')$$),
    ($$pglocks.with_semaphore(1::bigint, 2, interval '1 s', 'sweep.lax_body(int)', NULL::int)$$),
    ($$pglocks.with_semaphore('k', 2, NULL::interval, 'sweep.strict_body(int)', 1)$$),
    -- several keys
    ($$pglocks.lock_all(NULL::text[])$$), ($$pglocks.lock_all('{}'::text[])$$),
    ($$pglocks.lock_all(ARRAY['a', NULL])$$), ($$pglocks.lock_all(ARRAY[[1, 2], [3, 4]]::bigint[])$$),
    ($$pglocks.lock_all(ARRAY['a', 'a', 'b'])$$), ($$pglocks.lock_all(ARRAY[repeat('x', 1048576), ''])$$),
    ($$pglocks.lock_all(ARRAY['a'], NULL)$$), ($$pglocks.lock_all(ARRAY['a'], timeout => '-1 s')$$),
    ($$pglocks.lock_all(ARRAY['a'], timeout => '1000 years')$$),
    ($$pglocks.lock_all(ARRAY['a'], on_busy => 'x')$$),
    ($$pglocks.lock_all(ARRAY(SELECT generate_series(1, 1000000)::bigint))$$),
    ($$pglocks.xact_lock_all(ARRAY[(-9223372036854775807 - 1)::bigint, 9223372036854775807], true)$$),
    ($$pglocks.xact_lock_all(ARRAY(SELECT generate_series(1, 1000000)::bigint))$$),
    ($$pglocks.unlock_keys(NULL::text[])$$), ($$pglocks.unlock_keys(ARRAY['zz'])$$),
    ($$pglocks.unlock_keys(ARRAY['a'], NULL)$$),
    ($$pglocks.with_locks(ARRAY['a'], 'sweep.noop()')$$),
    ($$pglocks.with_locks(ARRAY['a'], 'sweep.raises()')$$),
    ($$pglocks.with_locks(ARRAY['a'], NULL::regprocedure)$$),
    ($$pglocks.with_locks('{}'::bigint[], 'sweep.noop()')$$),
    ($$pglocks.with_locks(ARRAY['a', 'b'], false, interval '1 s', 'sweep.lax_body(int)', 1)$$),
    ($$pglocks.with_locks(ARRAY['a'], 'sweep.exhaust_lock_table()')$$),
    -- introspection
    ($$(SELECT count(*) FROM pglocks.holders(NULL::text))$$),
    ($$(SELECT count(*) FROM pglocks.holders(NULL::int, 1))$$),
    ($$pglocks.is_free(NULL::text)$$), ($$pglocks.is_free('k', NULL)$$),
    ($$pglocks.is_free(1, NULL::int)$$);

DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT call FROM calls ORDER BY n LOOP
        PERFORM sweep.run(c.call);
    END LOOP;
END $$;

-- Every outcome, in order
SELECT n, call, outcome, locks_after, left_behind FROM sweep.outcome ORDER BY n;

-- The guarantees, counted: no internal error, and a failed call never leaves
-- a lock behind (session locks left after a success are the ones asked for).
SELECT count(*) FILTER (WHERE outcome LIKE 'ERROR XX%') AS internal_errors,
       count(*) FILTER (WHERE outcome LIKE 'ERROR %' AND left_behind > 0) AS failed_calls_leaving_locks
FROM sweep.outcome;

-- The lock table is usable again after the body that filled it
SELECT pglocks.lock('after the sweep'), pglocks.unlock('after the sweep');

SET client_min_messages = warning;
DROP SCHEMA sweep CASCADE;
