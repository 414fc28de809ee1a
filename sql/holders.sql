-- Who holds a key (holders) and whether it is free (is_free), seen from
-- this session with a second session (dblink) holding and waiting.
CREATE EXTENSION dblink;
-- to this server, wherever its socket is
SELECT dblink_connect('other', format('dbname=%s port=%s host=%s', current_database(),
    current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT * FROM dblink('other', $$SELECT set_config('application_name', 'pglocks other', false)$$) AS t(s text);
SELECT * FROM dblink('other', 'SELECT pg_backend_pid()') AS t(pid int) \gset other_

-- nothing held
SELECT count(*) FROM pglocks.holders('k');
SELECT pglocks.is_free('k'), pglocks.is_free('k', shared => true);

-- the other session holds 'k' shared (session scope) and two slots of 'k'
SELECT * FROM dblink('other', $$
    SELECT pglocks.lock('k', shared => true) AND pglocks.acquire_slot('k', 2) IS NOT NULL
       AND pglocks.acquire_slot('k', 2) IS NOT NULL$$) AS t(ok bool);
SELECT pid = :other_pid AS other, mode, granted, kind, slot, scope, application_name, state,
       backend_start IS NOT NULL AS has_start, wait_start
FROM pglocks.holders('k');
-- the bigint form sees the same rows; the pair form looks at pairs only
SELECT count(*) FROM pglocks.holders(pglocks.key_id('k'));
SELECT count(*) FROM pglocks.holders(1, 2);
-- free for another shared holder, not for an exclusive one
SELECT pglocks.is_free('k', shared => true) AS shared_free, pglocks.is_free('k') AS exclusive_free;
-- is_free took nothing
SELECT count(*) AS held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
-- a lock this session holds is free to it in that mode
SELECT pglocks.lock('mine'), pglocks.is_free('mine');
SELECT * FROM dblink('other', $$SELECT pglocks.is_free('mine'), pglocks.is_free('mine', true)$$)
    AS t(exclusive bool, shared bool);
SELECT pglocks.unlock('mine');

-- a waiter shows up, not granted, with its wait_start
SELECT pglocks.lock(5::bigint);
SELECT dblink_send_query('other', 'SELECT pglocks.lock(5::bigint)');
DO $$ BEGIN
    FOR i IN 1..500 LOOP
        EXIT WHEN EXISTS (SELECT FROM pglocks.holders(5::bigint) WHERE NOT granted);
        PERFORM pg_sleep(0.01);
    END LOOP;
END $$;
-- (wait_start is known from PostgreSQL 14 on)
SELECT pid = :other_pid AS other, mode, granted FROM pglocks.holders(5::bigint);
SELECT pglocks.unlock(5::bigint);
-- the waiter got it: busy in both modes now
SELECT * FROM dblink_get_result('other') AS t(ok bool);
SELECT pglocks.is_free(5::bigint), pglocks.is_free(5::bigint, true);

-- NULL keys are errors
SELECT * FROM pglocks.holders(NULL::text);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pglocks.holders(1, NULL);
SELECT pglocks.is_free(NULL::bigint);
SELECT pglocks.is_free('k', shared => NULL);

SELECT dblink_disconnect('other');
DROP EXTENSION dblink;
