-- body_args for what PostgreSQL 14 added: multiranges, and array_remove and
-- array_append taking anycompatible (the calls the review found to crash
-- the server). Uses saw() and direct_and_locked() from body_args. On 13,
-- where none of these exist, the test stops here
-- (expected/body_args_pg14_1.out).
SELECT current_setting('server_version_num')::int < 140000 AS before_14 \gset
\if :before_14
\quit
\endif

CREATE FUNCTION b_multirange(a anymultirange, b anyelement) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s contains %s: %s', pg_typeof(a), a, b, a @> b)) $$;
CREATE FUNCTION b_compatible_multirange(a anycompatiblemultirange, b anycompatible) RETURNS text
LANGUAGE sql AS $$ SELECT saw(format('%s: %s contains %s: %s', pg_typeof(a), a, b, a @> b)) $$;

SELECT c.fn, c.args, r.locked, r.direct IS NOT DISTINCT FROM r.locked AS same_as_direct
FROM (VALUES
    ('b_multirange(anymultirange,anyelement)', $$int4multirange(int4range(1, 5)), 7$$),
    ('b_compatible_multirange(anycompatiblemultirange,anycompatible)', $$nummultirange(numrange(1, 5)), 7$$)
) AS c(fn, args), LATERAL direct_and_locked(c.fn, c.args) AS r;

-- The calls the review found to crash the server: a numeric array and an
-- integer, coerced to numeric as the body expects.
SELECT pglocks.with_lock('k', false, true, 'array_remove(anycompatiblearray,anycompatible)', ARRAY[1.5, 2.5], 1),
       pglocks.with_lock('k', false, true, 'array_append(anycompatiblearray,anycompatible)', ARRAY[1.5], 2);

SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = 'advisory';
