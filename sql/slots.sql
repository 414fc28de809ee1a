-- Semaphores in one session: slots, scopes, release, bad input. Two
-- sessions are in specs/semaphore.spec.

-- Each acquire takes a slot this session does not hold yet: 0 .. slots - 1
SELECT array_agg(s ORDER BY s) AS slots
FROM (SELECT pglocks.acquire_slot('pool', 3) AS s FROM generate_series(1, 3)) AS t;
-- every slot is taken (by this session): no wait, NULL
SELECT pglocks.acquire_slot('pool', 3, wait => false) IS NULL AS busy;
SELECT pglocks.acquire_slot('pool', 3, timeout => '0') IS NULL AS busy;
-- waiting for a slot only this session could release is a deadlock
SELECT pglocks.acquire_slot('pool', 3);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.acquire_slot('pool', 3, timeout => '10 ms');
\echo :LAST_ERROR_SQLSTATE

-- pglocks.locks shows the slots decoded, in their own lock space
SELECT kind, slot, key = pglocks.key_id('pool') AS same_key, key1, key2, mode, granted
FROM pglocks.locks WHERE pid = pg_backend_pid() ORDER BY slot;
SELECT DISTINCT objsubid >= 4 AS own_space FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid();
-- so PostgreSQL's functions can never take a slot: key 'pool' as a bigint is free
SELECT pg_try_advisory_lock(pglocks.key_id('pool')) AS builtin_lock_is_another_lock;
SELECT pg_advisory_unlock(pglocks.key_id('pool'));

-- release one slot, and it can be taken again
SELECT pglocks.release_slot('pool', 1);
SELECT pglocks.acquire_slot('pool', 3, wait => false);
-- releasing a slot not held: false with PostgreSQL's warning
SELECT pglocks.release_slot('pool', 7);
SELECT pglocks.release_slot('pool', s) FROM generate_series(0, 2) AS s;
SELECT count(*) AS left_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- bigint keys are their own id; the text key with the same id is the same semaphore
SELECT pglocks.acquire_slot(pglocks.key_id('pool'), 1) AS slot;
SELECT pglocks.acquire_slot('pool', 1, wait => false) IS NULL AS same_semaphore;
SELECT pglocks.release_slot('pool', 0);

-- transaction scope: held until the transaction ends
BEGIN;
SELECT pglocks.xact_acquire_slot('pool', 2) IS NOT NULL AS taken;
SELECT count(*) AS held FROM pglocks.locks WHERE pid = pg_backend_pid() AND kind = 'slot';
-- release_slot releases session holds only
SELECT pglocks.release_slot('pool', s) FROM generate_series(0, 1) AS s;
COMMIT;
SELECT count(*) AS after_commit FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- with_semaphore: the body runs holding a slot, released after it, also after an error
CREATE FUNCTION slots_held() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'slots held in the body: %',
        (SELECT count(*) FROM pglocks.locks WHERE pid = pg_backend_pid() AND kind = 'slot');
END $$;
CREATE FUNCTION failing_body(code text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'body failed' USING ERRCODE = code;
END $$;
SELECT pglocks.with_semaphore('pool', 2, 'slots_held()');
CREATE FUNCTION failing_body() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'body failed' USING ERRCODE = 'P0042';
END $$;
SELECT pglocks.with_semaphore('pool', 2, 'failing_body()');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_semaphore('pool', 2, interval '1 s', 'failing_body(text)', '22012');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS left_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
-- no free slot: false, the body does not run
SELECT pglocks.acquire_slot(42::bigint, 1);
SELECT pglocks.with_semaphore(42::bigint, 1, 'slots_held()', timeout => '0');
SELECT pglocks.with_semaphore(42::bigint, 1, interval '0', 'failing_body(text)', 'XX000');
SELECT pglocks.release_slot(42::bigint, 0);

-- bad input: a clear error, nothing held
SELECT pglocks.acquire_slot('pool', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.acquire_slot('pool', 10001);
SELECT pglocks.acquire_slot('pool', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.acquire_slot(NULL::text, 2);
SELECT pglocks.acquire_slot('pool', 2, wait => false, timeout => '1 s');
SELECT pglocks.acquire_slot('pool', 2, timeout => '-1 s');
SELECT pglocks.release_slot('pool', -1);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.release_slot('pool', 10000);
SELECT pglocks.release_slot('pool', NULL);
SELECT pglocks.with_semaphore('pool', 2, NULL::regprocedure);
SELECT pglocks.with_semaphore('pool', -1, 'slots_held()');
SELECT count(*) AS left_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
-- the largest semaphore
SELECT pglocks.acquire_slot('big', 10000) IS NOT NULL AS taken;
SELECT pglocks.unlock_all();
