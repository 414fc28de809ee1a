-- Several keys at once, in one session: order, de-duplication, scopes,
-- unlock_keys, with_locks, bad input. Two sessions: specs/lock_all.spec.

-- Taken in ascending id order, each once
SELECT pglocks.lock_all(ARRAY['b', 'a', 'b', 'c']);
SELECT key, mode FROM pglocks.locks WHERE pid = pg_backend_pid() ORDER BY key;
SELECT array_agg(pglocks.key_id(k) ORDER BY pglocks.key_id(k)) AS expected_ids
FROM unnest(ARRAY['a', 'b', 'c']) AS k;
-- one hold each, so one unlock each
SELECT pglocks.unlock_keys(ARRAY['c', 'a', 'b', 'a']);
SELECT count(*) AS left_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
-- a key not held: false, with PostgreSQL's warning for it
SELECT pglocks.lock_all(ARRAY[1, 2]::bigint[]);
SELECT pglocks.unlock_keys(ARRAY[1, 2, 3]::bigint[]);

-- shared mode, and bigint keys are pg_advisory_lock's keys
SELECT pglocks.lock_all(ARRAY[10, 20]::bigint[], shared => true);
SELECT objid, mode FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() ORDER BY objid;
SELECT pglocks.unlock_keys(ARRAY[10, 20]::bigint[]);
SELECT pglocks.unlock_keys(ARRAY[20, 10]::bigint[], shared => true);
-- any array shape
SELECT pglocks.lock_all(ARRAY[[1, 2], [3, 4]]::bigint[]);
SELECT pglocks.unlock_keys('{1,2,3,4}'::bigint[]);

-- transaction scope
BEGIN;
SELECT pglocks.xact_lock_all(ARRAY['x', 'y'], timeout => '1 s');
SELECT count(*) AS held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
COMMIT;
SELECT count(*) AS after_commit FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- with_locks: the body runs under every key, released after it, also after an error
CREATE FUNCTION keys_held(note text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE '%: % keys held', note,
        (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid());
END $$;
CREATE FUNCTION failing_keys() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'body failed' USING ERRCODE = 'P0042';
END $$;
CREATE FUNCTION keys_held() RETURNS void LANGUAGE sql AS $$ SELECT keys_held('named') $$;
SELECT pglocks.with_locks(ARRAY['p', 'q', 'r'], 'keys_held()');
SELECT pglocks.with_locks(ARRAY['p', 'q', 'r'], false, interval '1 s', 'keys_held(text)', 'positional');
SELECT pglocks.with_locks(ARRAY[5, 6]::bigint[], 'failing_keys()');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS left_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- Bad input: a clear error, nothing held
SELECT pglocks.lock_all(NULL::text[]);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock_all('{}'::text[]);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock_all(ARRAY['a', NULL]);
SELECT pglocks.lock_all(ARRAY['a'], NULL);
SELECT pglocks.lock_all(ARRAY['a'], timeout => '-1 s');
SELECT pglocks.lock_all(ARRAY['a'], on_busy => 'raise');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.unlock_keys(NULL::bigint[]);
SELECT pglocks.with_locks(ARRAY['a'], NULL::regprocedure);
SELECT pglocks.with_locks('{}'::bigint[], 'keys_held()');
-- (SQLSTATEs only: the wording varies between majors)
\set VERBOSITY sqlstate
-- an untyped array literal could be text[] or bigint[]
SELECT pglocks.lock_all('{a,b}');
-- more keys than the lock table holds: the error gives back every key taken
SELECT pglocks.lock_all(ARRAY(SELECT generate_series(1, 1000000)::bigint));
\set VERBOSITY default
SELECT count(*) AS left_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
