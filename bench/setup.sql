-- Benchmark fixtures: the empty body, and one timed loop per in-backend case.
-- bench.loop(variant, n) runs the variant n times in a PL/pgSQL loop and
-- returns the elapsed milliseconds. The variants "... of <m> keys ..." take
-- m keys at once ('bench key 1' .. 'bench key m').
CREATE EXTENSION IF NOT EXISTS pglocks;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
CREATE FUNCTION bench.body() RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION bench.body_args(a int, b text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;

CREATE FUNCTION bench.loop(variant text, n int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
    k text := 'bench key';
    slot int;
    -- a hand-made semaphore's lock for the key's slot 0: (high 32 bits of its id, slot)
    k1 int4 := (pglocks.key_id('bench key') >> 32)::int4;
    m int := substring(variant FROM ' of ([0-9]+) keys?')::int;
    noun text := CASE WHEN m = 1 THEN 'key' ELSE 'keys' END;
    keys text[] := ARRAY(SELECT 'bench key ' || i FROM generate_series(1, m) AS i);
    -- the raw variants' ids, computed once (lock_all hashes its text keys on
    -- every call) and sorted as lock_all orders them
    ids bigint[] := ARRAY(SELECT pglocks.key_id(key) FROM unnest(keys) AS key ORDER BY 1);
    id bigint;
BEGIN
    started := clock_timestamp();  -- not counting the set-up above
    CASE variant
    WHEN 'raw bigint: lock; body; unlock' THEN
        FOR i IN 1..n LOOP
            PERFORM pg_advisory_lock(42::bigint); PERFORM bench.body(); PERFORM pg_advisory_unlock(42::bigint);
        END LOOP;
    -- the least one statement can do: one PERFORM, the lock manager, one body call
    WHEN 'raw calls in one statement: lock, body, unlock' THEN
        FOR i IN 1..n LOOP
            PERFORM pg_advisory_lock(42::bigint), bench.body(), pg_advisory_unlock(42::bigint);
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
    -- A semaphore of 4 slots, none busy. PostgreSQL's own calls cannot reach
    -- pglocks' slot locks (objsubid 4 and up), so the raw equivalent is the
    -- semaphore made by hand from the two-int advisory locks: one lock per
    -- (key, slot), tried in turn with pg_try_advisory_lock (waiting on one
    -- slot would miss the others freeing) and released with
    -- pg_advisory_unlock. Uncontended, the first try wins: one try, one
    -- unlock, like acquire_slot's one try of a free slot and release_slot.
    WHEN 'acquire_slot+release_slot(text); body' THEN
        FOR i IN 1..n LOOP
            slot := pglocks.acquire_slot(k, 4);
            PERFORM bench.body();
            PERFORM pglocks.release_slot(k, slot);
        END LOOP;
    WHEN 'raw slot: pg_try_advisory_lock(int, int); body; pg_advisory_unlock(int, int)' THEN
        FOR i IN 1..n LOOP
            slot := 0;
            IF NOT pg_try_advisory_lock(k1, slot) THEN
                RAISE EXCEPTION 'slot % busy', slot;
            END IF;
            PERFORM bench.body();
            PERFORM pg_advisory_unlock(k1, slot);
        END LOOP;
    -- m keys at once against the same ids locked one by one in lock_all's
    -- (ascending) order with pg_advisory_lock(bigint)
    WHEN 'lock_all(text[]) of ' || m || ' ' || noun || '; body; unlock_keys(text[])' THEN
        FOR i IN 1..n LOOP
            PERFORM pglocks.lock_all(keys);
            PERFORM bench.body();
            PERFORM pglocks.unlock_keys(keys);
        END LOOP;
    WHEN 'raw bigint: pg_advisory_lock of ' || m || ' ' || noun || ' in id order; body; unlocks' THEN
        FOR i IN 1..n LOOP
            FOREACH id IN ARRAY ids LOOP
                PERFORM pg_advisory_lock(id);
            END LOOP;
            PERFORM bench.body();
            FOREACH id IN ARRAY ids LOOP
                PERFORM pg_advisory_unlock(id);
            END LOOP;
        END LOOP;
    ELSE
        RAISE EXCEPTION 'unknown variant %', variant;
    END CASE;
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;

-- bench.make_keys(n, bytes): n distinct keys of that many bytes in
-- bench.keys_<bytes>, made once so that hashing them is timed alone (bench.py
-- vacuums the table before timing: no hint bits set during a timed scan)
CREATE FUNCTION bench.make_keys(n int, bytes int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS bench.keys_%s', bytes);
    EXECUTE format('CREATE TABLE bench.keys_%s AS SELECT lpad(i::text, %s, ''k'') AS k '
                   'FROM generate_series(1, %s) AS i', bytes, bytes, n);
END $$;

-- bench.hash(variant, bytes): every key of bench.keys_<bytes> through the
-- variant in one scan ('scan only' counts the keys themselves), in ms
CREATE FUNCTION bench.hash(variant text, bytes int) RETURNS float8 LANGUAGE plpgsql
SET jit = off SET max_parallel_workers_per_gather = 0 AS $$
DECLARE
    started timestamptz;
    expr text := CASE variant
        WHEN 'key_id' THEN 'pglocks.key_id(k)'
        WHEN 'hashtext' THEN 'hashtext(k)'
        WHEN 'sha256 idiom' THEN
            '(''x'' || encode(substring(sha256(convert_to(k, ''UTF8'')) FROM 1 FOR 8), ''hex''))::bit(64)::bigint'
        WHEN 'scan only' THEN 'k'
    END;
BEGIN
    IF expr IS NULL THEN
        RAISE EXCEPTION 'unknown variant %', variant;
    END IF;
    started := clock_timestamp();
    EXECUTE format('SELECT count(%s) FROM bench.keys_%s', expr, bytes);
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;
