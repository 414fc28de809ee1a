-- on_busy => 'error': SQLSTATE 55P03 naming the key, with the holders in
-- DETAIL. The holder is a second session, through dblink.
CREATE EXTENSION dblink;
-- to this server, wherever its socket is
SELECT dblink_connect('holder', format('dbname=%s port=%s host=%s', current_database(),
    current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT * FROM dblink('holder', 'SELECT pg_backend_pid()') AS t(pid int) \gset holder_

-- what the holder holds
SELECT * FROM dblink('holder', $$
    SELECT pglocks.lock('orders:42') AND pglocks.lock(42::bigint) AND pglocks.lock(1, 2)
       AND pglocks.acquire_slot('pool', 1) = 0 AND pglocks.lock(7::bigint, shared => true)$$)
    AS t(ok bool);

-- Raises the error when asked to; reports message, detail and hint
CREATE FUNCTION busy_error(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    detail text;
    hint text;
BEGIN
    EXECUTE 'SELECT ' || call;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN state || ': ' || message || ' | ' || replace(detail, current_setting('pglocks_test.holder'), 'HOLDER')
           || ' | ' || hint;
END $$;
SELECT set_config('pglocks_test.holder', :'holder_pid', false) IS NOT NULL AS set;

CREATE FUNCTION body() RETURNS void LANGUAGE sql AS $$ SELECT $$;
SELECT call, busy_error(call) FROM unnest(ARRAY[
    $$pglocks.lock('orders:42', wait => false, on_busy => 'error')$$,
    $$pglocks.lock(42::bigint, wait => false, on_busy => 'error')$$,
    $$pglocks.lock(1, 2, wait => false, on_busy => 'error')$$,
    $$pglocks.lock('orders:42', timeout => '20 ms', on_busy => 'error')$$,
    $$pglocks.xact_lock(42::bigint, timeout => '0', on_busy => 'error')$$,
    $$pglocks.xact_lock(1, 2, shared => true, wait => false, on_busy => 'error')$$,
    $$pglocks.with_lock('orders:42', fn => 'body()', wait => false, on_busy => 'error')$$,
    $$pglocks.with_xact_lock(1, 2, fn => 'body()', timeout => '20 ms', on_busy => 'error')$$,
    $$pglocks.acquire_slot('pool', 1, wait => false, on_busy => 'error')$$,
    $$pglocks.xact_acquire_slot('pool', 1, timeout => '20 ms', on_busy => 'error')$$,
    $$pglocks.with_semaphore('pool', 1, 'body()', timeout => '0', on_busy => 'error')$$,
    $$pglocks.lock_all(ARRAY['a', 'orders:42', 'z'], timeout => '0', on_busy => 'error')$$,
    $$pglocks.xact_lock_all(ARRAY[41, 42, 43]::bigint[], timeout => '20 ms', on_busy => 'error')$$,
    $$pglocks.with_locks(ARRAY['orders:42'], 'body()', timeout => '0', on_busy => 'error')$$,
    -- a shared lock is busy only for an exclusive request
    $$pglocks.lock(7::bigint, shared => true, wait => false, on_busy => 'error')$$,
    $$pglocks.lock(7::bigint, wait => false, on_busy => 'error')$$,
    -- the default, and 'false', still return false / NULL
    $$pglocks.lock('orders:42', wait => false)$$,
    $$pglocks.lock('orders:42', wait => false, on_busy => 'false')$$
]) AS call;
SELECT pglocks.lock('orders:42', wait => false), pglocks.acquire_slot('pool', 1, wait => false),
       pglocks.lock_all(ARRAY['orders:42'], timeout => '0'),
       pglocks.with_lock('orders:42', fn => 'body()', wait => false);
-- whatever failed left nothing behind
SELECT pglocks.unlock(7::bigint, shared => true);
SELECT count(*) AS left_held FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();

-- a long text key is cut in the message
SELECT * FROM dblink('holder', $$SELECT pglocks.lock(repeat('k', 300))$$) AS t(ok bool);
SELECT busy_error($$pglocks.lock(repeat('k', 300), wait => false, on_busy => 'error')$$);

-- no holder in the way, but a waiter queued ahead: the DETAIL names it
SELECT * FROM dblink('holder', $$SELECT pglocks.lock('q', shared => true)$$) AS t(ok bool);
SELECT dblink_connect('waiter', format('dbname=%s port=%s host=%s', current_database(),
    current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1)));
SELECT * FROM dblink('waiter', 'SELECT pg_backend_pid()') AS t(pid int) \gset waiter_
SELECT dblink_send_query('waiter', $$SELECT pglocks.lock('q')$$);
DO $$ BEGIN
    FOR i IN 1..500 LOOP
        EXIT WHEN EXISTS (SELECT FROM pglocks.holders('q') WHERE NOT granted);
        PERFORM pg_sleep(0.01);
    END LOOP;
END $$;
SELECT replace(busy_error($$pglocks.lock('q', shared => true, wait => false, on_busy => 'error')$$),
               :'waiter_pid', 'WAITER') AS queued_ahead;
SELECT * FROM dblink('holder', $$SELECT pglocks.unlock('q', shared => true)$$) AS t(ok bool);
SELECT * FROM dblink_get_result('waiter') AS t(ok bool);
SELECT dblink_disconnect('waiter');

-- on_busy itself must be 'false' or 'error'
SELECT pglocks.lock('k', on_busy => 'raise');
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.lock('k', on_busy => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT pglocks.with_lock('k', fn => 'body()', on_busy => 'ERROR');

SELECT dblink_disconnect('holder');
DROP EXTENSION dblink;
