-- The arguments after fn reach the body exactly as in a direct call
-- fn(arg, ...): polymorphic types resolved, implicit casts applied, domains
-- checked, untyped literals read, variadic arrays built. Each body records
-- the type and value of what it received; each case runs directly and
-- through with_lock, and both records must be the same. (body_args_pg14
-- adds the polymorphic types of PostgreSQL 14 and later.)

CREATE TABLE seen (n serial PRIMARY KEY, got text);
CREATE FUNCTION saw(got text) RETURNS text
LANGUAGE sql AS $$ INSERT INTO seen (got) VALUES (got) RETURNING got $$;

-- One body per polymorphic type, and a few plain ones.
CREATE FUNCTION b_element(a anyelement, b anyelement) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s, %s', pg_typeof(a), a, b)) $$;
CREATE FUNCTION b_array(a anyarray, b anyelement) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s, %s', pg_typeof(a), a, b)) $$;
CREATE FUNCTION b_nonarray(a anynonarray) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(a), a)) $$;
CREATE TYPE colour AS ENUM ('red', 'green');
CREATE FUNCTION b_enum(a anyenum, b anyelement) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s, %s', pg_typeof(a), a, b)) $$;
CREATE FUNCTION b_range(a anyrange, b anyelement) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s contains %s: %s', pg_typeof(a), a, b, a @> b)) $$;
CREATE FUNCTION b_compatible(a anycompatible, b anycompatible) RETURNS text
LANGUAGE plpgsql AS $$ BEGIN RETURN saw(format('%s: %s, %s', pg_typeof(a), a, b)); END $$;
CREATE FUNCTION b_compatible_array(a anycompatiblearray, b anycompatible) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(a), array_remove(a, b))) $$;
CREATE FUNCTION b_compatible_nonarray(a anycompatiblenonarray, b anycompatible) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s, %s', pg_typeof(a), a, b)) $$;
CREATE FUNCTION b_compatible_range(a anycompatiblerange, b anycompatible) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s contains %s: %s', pg_typeof(a), a, b, a @> b)) $$;
CREATE FUNCTION b_variadic(VARIADIC a int[]) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(a), a)) $$;
CREATE FUNCTION b_variadic_compatible(VARIADIC a anycompatiblearray) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(a), a)) $$;
CREATE FUNCTION b_bigint(a bigint) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(a), a)) $$;
CREATE FUNCTION b_numbers(a numeric, b double precision, c bigint) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s %s %s: %s %s %s', pg_typeof(a), pg_typeof(b), pg_typeof(c), a, b, c)) $$;
CREATE FUNCTION b_text(a text) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(a), a)) $$;
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE DOMAIN int_list AS int[];
CREATE FUNCTION b_positive(a positive) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(a), a)) $$;
CREATE FUNCTION b_int(a int) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(a), a)) $$;

-- Run fn(args) directly, then through with_lock, and return both records.
CREATE FUNCTION direct_and_locked(fn text, args text, OUT direct text, OUT locked text)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SELECT %s(%s)', split_part(fn, '(', 1), args) INTO direct;
    EXECUTE format('SELECT pglocks.with_lock(%L, false, true, %L, %s)', 'k', fn, args);
    SELECT s.got INTO locked FROM seen AS s ORDER BY s.n DESC LIMIT 1;
END $$;

SELECT c.fn, c.args, r.locked, r.direct IS NOT DISTINCT FROM r.locked AS same_as_direct
FROM (VALUES
    ('b_element(anyelement,anyelement)', $$1, 2$$),
    ('b_element(anyelement,anyelement)', $$1, '2'$$),
    ('b_element(anyelement,anyelement)', $$'x'::text, 'y'$$),
    ('b_array(anyarray,anyelement)', $$ARRAY[1, 2], 3$$),
    ('b_array(anyarray,anyelement)', $$'{1,2}'::int_list, 3$$),
    ('b_nonarray(anynonarray)', $$42$$),
    ('b_enum(anyenum,anyelement)', $$'green'::colour, 'red'$$),
    ('b_range(anyrange,anyelement)', $$int4range(1, 5), 3$$),
    ('b_compatible(anycompatible,anycompatible)', $$1, 2.5$$),
    ('b_compatible(anycompatible,anycompatible)', $$1::smallint, 2::bigint$$),
    ('b_compatible(anycompatible,anycompatible)', $$'1', 2$$),
    ('b_compatible(anycompatible,anycompatible)', $$'a', 'b'$$),
    ('b_compatible_array(anycompatiblearray,anycompatible)', $$ARRAY[1.5, 2.5], 1$$),
    ('b_compatible_array(anycompatiblearray,anycompatible)', $$ARRAY[1, 2], 2.0$$),
    ('b_compatible_nonarray(anycompatiblenonarray,anycompatible)', $$1, 2.5$$),
    ('b_compatible_range(anycompatiblerange,anycompatible)', $$numrange(1, 5), 2$$),
    ('b_variadic(int[])', $$1, 2, 3$$),
    ('b_variadic(int[])', $$1::smallint, '2'$$),
    ('b_variadic_compatible(anycompatiblearray)', $$1, 2.5, 3::bigint$$),
    ('b_bigint(bigint)', $$42$$),
    ('b_bigint(bigint)', $$'43'$$),
    ('b_numbers(numeric,double precision,bigint)', $$1, 2, 3::smallint$$),
    ('b_text(text)', $$'v'::varchar$$),
    ('b_text(text)', $$'n'::name$$),
    ('b_positive(positive)', $$5$$),
    ('b_positive(positive)', $$'6'$$),
    ('b_int(int)', $$7::positive$$),
    ('b_int(int)', $$NULL$$)
) AS c(fn, args), LATERAL direct_and_locked(c.fn, c.args) AS r;

-- What a direct call refuses is refused before anything is locked.
SELECT pglocks.with_lock('k', false, true, 'b_compatible(anycompatible,anycompatible)', 1, 'x'::text);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'b_bigint(bigint)', 1.5);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'b_int(int)', 1::bigint);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'b_element(anyelement,anyelement)', 5::positive, 6);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'b_element(anyelement,anyelement)', 'x', 'y');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'b_variadic(int[])', 1, 'x'::text);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'b_variadic(int[])');
\echo :LAST_ERROR_SQLSTATE
-- and what a conversion refuses fails as it does in a direct call
SELECT pglocks.with_lock('k', false, true, 'b_positive(positive)', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'b_bigint(bigint)', 'forty');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = 'advisory';

-- A variadic function also takes its array whole, as with VARIADIC, which
-- with_lock cannot pass on.
SELECT pglocks.with_lock('k', false, true, 'b_variadic(int[])', ARRAY[4, 5]);
SELECT got FROM seen ORDER BY n DESC LIMIT 1;

-- A domain's constraints are checked as they are at the time of the call,
-- also for a body checked (and cached) before the constraint was added.
SELECT pglocks.with_lock('k', false, true, 'b_positive(positive)', 500);
ALTER DOMAIN positive ADD CONSTRAINT below_100 CHECK (VALUE < 100);
SELECT pglocks.with_lock('k', false, true, 'b_positive(positive)', 500);
SELECT pglocks.with_lock('k', false, true, 'b_positive(positive)', 50);
SELECT got FROM seen ORDER BY n DESC LIMIT 2;

-- A strict body is not called with NULL, after conversion too.
CREATE FUNCTION b_strict(a bigint) RETURNS text STRICT
LANGUAGE sql AS $$ SELECT saw(format('%s', a)) $$;
SELECT pglocks.with_lock('k', false, true, 'b_strict(bigint)', NULL::int);
\echo :LAST_ERROR_SQLSTATE

-- Collations: the body gets the collation its arguments give it, as in a
-- direct call; the key's collation does not reach it, and a call site's
-- collation does not stick to the body for the next one.
CREATE FUNCTION b_less(a text, b text) RETURNS text
LANGUAGE plpgsql AS $$ BEGIN RETURN saw(format('%s < %s: %s', a, b, a < b)); END $$;
SELECT c.args, r.locked, r.direct IS NOT DISTINCT FROM r.locked AS same_as_direct
FROM (VALUES ($$'a' COLLATE "C", 'B'$$),
             ($$'a' COLLATE "en-x-icu", 'B'$$),
             ($$'a' COLLATE "C", 'B'$$)) AS c(args),
     LATERAL direct_and_locked('b_less(text,text)', c.args) AS r;
-- (one of these two differs from the database's default collation)
SELECT b_less('a', 'B') AS direct \gset
SELECT pglocks.with_lock('k' COLLATE "C", false, true, 'b_less(text,text)', 'a', 'B');
SELECT got = :'direct' AS same_as_direct FROM seen ORDER BY n DESC LIMIT 1;
SELECT pglocks.with_lock('k' COLLATE "en-x-icu", false, true, 'b_less(text,text)', 'a', 'B');
SELECT got = :'direct' AS same_as_direct FROM seen ORDER BY n DESC LIMIT 1;
-- an explicit COLLATE wins over the columns' own, as in a direct call
CREATE TABLE words (a text COLLATE "C", b text COLLATE "C");
INSERT INTO words VALUES ('a', 'B');
SELECT b_less(a COLLATE "en-x-icu", b) AS direct FROM words \gset
SELECT pglocks.with_lock('k', false, true, 'b_less(text,text)', a COLLATE "en-x-icu", b) FROM words;
SELECT got, got = :'direct' AS same_as_direct FROM seen ORDER BY n DESC LIMIT 1;
-- an explicit COLLATE on the key is the key's only
SELECT pglocks.with_lock('k' COLLATE "en-x-icu", false, true, 'b_less(text,text)', a, b) FROM words;
SELECT got FROM seen ORDER BY n DESC LIMIT 1;
-- a domain with a collation of its own gives the body that collation
CREATE DOMAIN icu_text AS text COLLATE "en-x-icu";
CREATE FUNCTION b_less_icu(a icu_text, b text) RETURNS text
LANGUAGE plpgsql AS $$ BEGIN RETURN saw(format('%s < %s: %s', a, b, a < b)); END $$;
SELECT c.args, r.locked, r.direct IS NOT DISTINCT FROM r.locked AS same_as_direct
FROM (VALUES ($$'a', 'B'$$), ($$'a'::text, 'B'$$)) AS c(args),
     LATERAL direct_and_locked('b_less_icu(icu_text,text)', c.args) AS r;
-- an untyped literal takes its parameter type's collation
SELECT pglocks.with_lock(1, false, true, 'upper(text)', 'x');

-- An untyped literal for an "any" parameter arrives as text.
SELECT pglocks.with_lock(1, false, true, 'jsonb_build_array("any")', 'a');

-- A body that raised is never called again through the state it was left in:
-- here a SQL function's, left mid-query by an error in a subtransaction.
CREATE FUNCTION b_divide(x int) RETURNS int LANGUAGE sql AS 'SELECT 10 / x';
BEGIN;
SELECT pglocks.with_lock(1, false, true, 'b_divide(int)', 1);
SAVEPOINT s;
SELECT pglocks.with_lock(1, false, true, 'b_divide(int)', 0);
ROLLBACK TO s;
SELECT pglocks.with_lock(1, false, true, 'b_divide(int)', 1);
COMMIT;
DO $$
BEGIN
    PERFORM pglocks.with_lock(2, false, true, 'b_divide(int)', 1);
    BEGIN
        PERFORM pglocks.with_lock(2, false, true, 'b_divide(int)', 0);
    EXCEPTION WHEN division_by_zero THEN
        RAISE NOTICE 'caught %', SQLERRM;
    END;
    PERFORM pglocks.with_lock(2, false, true, 'b_divide(int)', 1);
END $$;

-- The same for an argument's conversion, which may run user code (a
-- domain's CHECK) that fails...
CREATE FUNCTION ten_over(v int) RETURNS boolean
LANGUAGE sql AS 'SELECT 1; SELECT 10 / v > 0';
CREATE DOMAIN ten_divisor AS int CHECK (ten_over(VALUE));
CREATE FUNCTION b_divisor(d ten_divisor) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(d), d)) $$;
BEGIN;
SELECT pglocks.with_lock(1, false, true, 'b_divisor(ten_divisor)', '5');
SAVEPOINT s;
SELECT pglocks.with_lock(1, false, true, 'b_divisor(ten_divisor)', '0');
ROLLBACK TO s;
SELECT pglocks.with_lock(1, false, true, 'b_divisor(ten_divisor)', '5');
COMMIT;
-- ... or that calls with_lock again, with the same body, after a change to
-- pg_proc that drops every cached plan: the outer call's plan is in use
-- from its arguments' conversion on, so the inner call gets its own.
CREATE FUNCTION reenter(v int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF v < 0 THEN
        CREATE OR REPLACE FUNCTION churn() RETURNS int LANGUAGE sql AS 'SELECT 1';
        PERFORM pglocks.with_lock('inner', false, true, 'b_reentered(reentered)', '7');
    END IF;
    RETURN true;
END $$;
CREATE DOMAIN reentered AS int CHECK (reenter(VALUE) AND VALUE > 0);
CREATE FUNCTION b_reentered(r reentered) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(r), r)) $$;
SELECT pglocks.with_lock('k', false, true, 'b_reentered(reentered)', '5');
SELECT pglocks.with_lock('k', false, true, 'b_reentered(reentered)', '-5');
\echo :LAST_ERROR_SQLSTATE
SELECT got FROM seen ORDER BY n DESC LIMIT 2;

-- A cast dropped after a body was checked with it is not used any more.
CREATE TYPE pair AS (a int, b int);
CREATE FUNCTION int_to_pair(int) RETURNS pair LANGUAGE sql AS 'SELECT ROW($1, $1)::pair';
CREATE CAST (int AS pair) WITH FUNCTION int_to_pair(int) AS IMPLICIT;
CREATE FUNCTION b_pair(p pair) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(p), p)) $$;
SELECT pglocks.with_lock('k', false, true, 'b_pair(pair)', 5);
DROP CAST (int AS pair);
SELECT pglocks.with_lock('k', false, true, 'b_pair(pair)', 6);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = 'advisory';

-- Each call site calls the body through state of its own, as the executor
-- gives a direct call an FmgrInfo of its own per query: a SQL body resolves
-- names under the search_path (and role) of the call it runs in, even when
-- the same body already ran under another earlier in the transaction.
CREATE SCHEMA first_path;
CREATE SCHEMA second_path;
CREATE FUNCTION first_path.helper() RETURNS text LANGUAGE sql AS $$ SELECT 'first_path.helper' $$;
CREATE FUNCTION second_path.helper() RETURNS text LANGUAGE sql AS $$ SELECT 'second_path.helper' $$;
SET check_function_bodies = off;
CREATE FUNCTION b_helper() RETURNS text LANGUAGE sql AS $$ SELECT public.saw(helper()) $$;
RESET check_function_bodies;
BEGIN;
SET LOCAL search_path = first_path, public;
SELECT pglocks.with_lock('k', false, true, 'public.b_helper()');
SET LOCAL search_path = second_path, public;
SELECT pglocks.with_lock('k', false, true, 'public.b_helper()');
COMMIT;
SELECT got FROM seen ORDER BY n DESC LIMIT 2;

-- An anonymous record for a composite parameter: a direct call converts a
-- ROW(...) field by field at parse time; through with_lock it needs a cast.
SELECT pglocks.with_lock('k', false, true, 'b_pair(pair)', ROW(1, 2));
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', false, true, 'b_pair(pair)', ROW(1, 2)::pair);
SELECT got FROM seen ORDER BY n DESC LIMIT 1;

-- A table's inheritance, changed after a body was checked with it: a child's
-- row no longer converts to the parent's type.
CREATE TABLE parent_row (a int);
CREATE TABLE child_row (b text) INHERITS (parent_row);
INSERT INTO child_row VALUES (1, 'x');
CREATE FUNCTION b_parent(p parent_row) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s', pg_typeof(p), p)) $$;
SELECT pglocks.with_lock('k', false, true, 'b_parent(parent_row)', c) FROM ONLY child_row AS c;
ALTER TABLE child_row NO INHERIT parent_row;
SELECT pglocks.with_lock('k', false, true, 'b_parent(parent_row)', c) FROM ONLY child_row AS c;
\echo :LAST_ERROR_SQLSTATE
