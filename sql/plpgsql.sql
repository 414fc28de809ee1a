-- pglocks from PL/pgSQL: functions, DO blocks and EXCEPTION blocks.

\set held 'SELECT count(*) AS advisory_locks_held FROM pg_locks WHERE locktype = ''advisory'' AND pid = pg_backend_pid()'

CREATE TABLE jobs (id int PRIMARY KEY, done boolean DEFAULT false);
INSERT INTO jobs SELECT g FROM generate_series(1, 5) g;

CREATE FUNCTION finish(job int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF job = 4 THEN
        RAISE EXCEPTION 'job % failed', job USING ERRCODE = 'JB004';
    END IF;
    UPDATE jobs SET done = true WHERE id = job;
END $$;

-- a worker loop: each job under its own lock; a failed job does not stop it
CREATE FUNCTION work_all() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    job int;
    report text := '';
BEGIN
    FOR job IN SELECT id FROM jobs ORDER BY id LOOP
        BEGIN
            IF pglocks.with_lock('job:' || job, false, false, 'finish(int)', job) THEN
                report := report || job || ' done; ';
            ELSE
                report := report || job || ' busy; ';
            END IF;
        EXCEPTION WHEN SQLSTATE 'JB004' THEN
            report := report || job || ' failed (' || SQLERRM || ', locked: '
                      || pglocks.is_held('job:' || job) || '); ';
        END;
    END LOOP;
    RETURN report;
END $$;
SELECT work_all();
SELECT id, done FROM jobs ORDER BY id;
:held;

-- DO blocks
DO $$
BEGIN
    IF NOT pglocks.lock('do block', timeout => '1s') THEN
        RAISE EXCEPTION 'not acquired';
    END IF;
    RAISE NOTICE 'held in DO: %', pglocks.is_held('do block');
    PERFORM pglocks.unlock('do block');
    PERFORM pglocks.with_lock('do block', fn => 'finish(int)'::regprocedure);
EXCEPTION WHEN undefined_function THEN
    RAISE NOTICE 'caught: %', SQLERRM;
END $$;
:held;

-- with_xact_lock in an EXCEPTION block: the failed block's subtransaction
-- takes the lock with it
DO $$
BEGIN
    BEGIN
        PERFORM pglocks.with_xact_lock('sub', false, true, 'finish(int)', 4);
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'caught %: %, still locked: %', SQLSTATE, SQLERRM, pglocks.is_held('sub');
    END;
    PERFORM pglocks.with_xact_lock('sub', false, true, 'finish(int)', 5);
    RAISE NOTICE 'after success, locked until commit: %', pglocks.is_held('sub');
END $$;
:held;

-- a session lock taken in a block that fails stays: that is what session
-- scope means, and why with_lock exists
DO $$
BEGIN
    BEGIN
        PERFORM pglocks.lock('leaky');
        PERFORM finish(4);
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'bare lock still held after the error: %', pglocks.is_held('leaky');
    END;
    PERFORM pglocks.unlock('leaky');
END $$;
:held;

-- with_lock caches its checks. One call site, row by row, with
-- a body that alters or drops itself on its first call: the next call sees it.
CREATE FUNCTION turns_strict(x text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'turns_strict(%)', x;
    ALTER FUNCTION turns_strict(text) STRICT;
END $$;
SELECT x, pglocks.with_lock('v', false, true, 'turns_strict(text)', x)
FROM (VALUES ('first'), (NULL)) AS v(x);
\echo :LAST_ERROR_SQLSTATE

CREATE FUNCTION drops_itself(x text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'drops_itself(%)', x;
    DROP FUNCTION drops_itself(text);
END $$;
\set VERBOSITY sqlstate
SELECT x, pglocks.with_lock('v', false, true, 'drops_itself(text)', x)
FROM (VALUES ('first'), ('second')) AS v(x);
\set VERBOSITY default
:held;

-- one call site running different bodies, row by row
CREATE FUNCTION body_a() RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'a'; END $$;
CREATE FUNCTION body_b() RETURNS void LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'b'; END $$;
SELECT pglocks.with_lock('rows', false, true, f)
FROM (VALUES ('body_a()'::regprocedure), ('body_b()'), ('body_a()')) AS v(f);
:held;
