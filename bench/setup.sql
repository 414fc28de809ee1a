-- Benchmark fixtures: the empty body, and one timed loop per in-backend case.
-- bench.loop(variant, n) runs the variant n times in a PL/pgSQL loop and
-- returns the elapsed milliseconds.
CREATE EXTENSION IF NOT EXISTS pglocks;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
CREATE FUNCTION bench.body() RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION bench.body_args(a int, b text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;

CREATE FUNCTION bench.loop(variant text, n int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
    k text := 'bench key';
BEGIN
    CASE variant
    WHEN 'raw bigint: lock; body; unlock' THEN
        FOR i IN 1..n LOOP
            PERFORM pg_advisory_lock(42::bigint); PERFORM bench.body(); PERFORM pg_advisory_unlock(42::bigint);
        END LOOP;
    WHEN 'with_lock(text)' THEN
        FOR i IN 1..n LOOP PERFORM pglocks.with_lock(k, false, true, 'bench.body()'); END LOOP;
    WHEN 'with_lock(bigint)' THEN
        FOR i IN 1..n LOOP PERFORM pglocks.with_lock(42::bigint, false, true, 'bench.body()'); END LOOP;
    WHEN 'with_lock(text) with arguments' THEN
        FOR i IN 1..n LOOP
            PERFORM pglocks.with_lock(k, false, true, 'bench.body_args(int,text)', i, k);
        END LOOP;
    WHEN 'with_xact_lock(text)' THEN
        FOR i IN 1..n LOOP PERFORM pglocks.with_xact_lock(k, false, true, 'bench.body()'); END LOOP;
    WHEN 'lock(text); body; unlock(text)' THEN
        FOR i IN 1..n LOOP
            PERFORM pglocks.lock(k); PERFORM bench.body(); PERFORM pglocks.unlock(k);
        END LOOP;
    WHEN 'lock(bigint); body; unlock(bigint)' THEN
        FOR i IN 1..n LOOP
            PERFORM pglocks.lock(42::bigint); PERFORM bench.body(); PERFORM pglocks.unlock(42::bigint);
        END LOOP;
    WHEN 'hashtext idiom' THEN
        FOR i IN 1..n LOOP
            PERFORM pg_advisory_lock(hashtext(k)); PERFORM bench.body(); PERFORM pg_advisory_unlock(hashtext(k));
        END LOOP;
    WHEN 'md5 idiom' THEN
        FOR i IN 1..n LOOP
            PERFORM pg_advisory_lock(('x' || substr(md5(k), 1, 16))::bit(64)::bigint);
            PERFORM bench.body();
            PERFORM pg_advisory_unlock(('x' || substr(md5(k), 1, 16))::bit(64)::bigint);
        END LOOP;
    WHEN 'sha256 idiom' THEN
        FOR i IN 1..n LOOP
            PERFORM pg_advisory_lock(('x' || encode(substring(sha256(convert_to(k, 'UTF8')) FROM 1 FOR 8), 'hex'))::bit(64)::bigint);
            PERFORM bench.body();
            PERFORM pg_advisory_unlock(('x' || encode(substring(sha256(convert_to(k, 'UTF8')) FROM 1 FOR 8), 'hex'))::bit(64)::bigint);
        END LOOP;
    ELSE
        RAISE EXCEPTION 'unknown variant %', variant;
    END CASE;
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;

-- bench.hash(variant, n, bytes): n distinct keys of that many bytes, hashed
CREATE FUNCTION bench.hash(variant text, n int, bytes int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    CASE variant
    WHEN 'key_id' THEN
        PERFORM sum(pglocks.key_id(lpad(i::text, bytes, 'k'))) FROM generate_series(1, n) i;
    WHEN 'sha256 idiom' THEN
        PERFORM sum(('x' || encode(substring(sha256(convert_to(lpad(i::text, bytes, 'k'), 'UTF8')) FROM 1 FOR 8), 'hex'))::bit(64)::bigint)
        FROM generate_series(1, n) i;
    WHEN 'hashtext' THEN
        PERFORM sum(hashtext(lpad(i::text, bytes, 'k'))) FROM generate_series(1, n) i;
    WHEN 'key generation only' THEN
        PERFORM sum(length(lpad(i::text, bytes, 'k'))) FROM generate_series(1, n) i;
    ELSE
        RAISE EXCEPTION 'unknown variant %', variant;
    END CASE;
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;
