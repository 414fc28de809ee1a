-- Session-scope locks in the three key forms, in the same lock spaces as
-- PostgreSQL's own advisory lock functions.

\set held 'SELECT objsubid, classid, objid, mode, granted FROM pg_locks WHERE locktype = ''advisory'' AND pid = pg_backend_pid() ORDER BY objsubid, classid, objid, mode'

-- bigint keys are pg_advisory_lock(bigint)'s locks
SELECT pglocks.lock(42::bigint);
:held;
SELECT pg_advisory_unlock(42) AS released_by_core;
SELECT pglocks.lock(42);
SELECT pglocks.unlock(42);
:held;

-- a pair of ints is pg_advisory_lock(int, int)'s lock
SELECT pglocks.lock(1, 2);
:held;
SELECT pg_advisory_unlock(1, 2) AS released_by_core;
SELECT pg_advisory_lock(1, 2);
SELECT pglocks.unlock(1, 2) AS released_by_pglocks;
:held;

-- a text key is pg_advisory_lock(key_id(key))'s lock
SELECT pg_advisory_lock(pglocks.key_id('x'));
SELECT pglocks.is_held('x') AS held_through_text_key;
SELECT pglocks.unlock('x');
:held;

-- the bigint and pair spaces are distinct, as in PostgreSQL
SELECT pglocks.lock((1::bigint << 32) | 2);
SELECT pglocks.is_held(1, 2) AS pair_held, pglocks.is_held((1::bigint << 32) | 2) AS bigint_held;
SELECT pglocks.unlock((1::bigint << 32) | 2);

-- extreme keys
SELECT pglocks.lock(-9223372036854775808), pglocks.lock(9223372036854775807),
       pglocks.lock(-2147483648, 2147483647);
:held;
SELECT pglocks.unlock(-9223372036854775808), pglocks.unlock(9223372036854775807),
       pglocks.unlock(-2147483648, 2147483647);

-- holds nest: two locks need two unlocks
SELECT pglocks.lock('nested'), pglocks.lock('nested');
SELECT pglocks.unlock('nested') AS first, pglocks.is_held('nested') AS still_held;
SELECT pglocks.unlock('nested') AS second, pglocks.is_held('nested') AS still_held;

-- unlocking what is not held returns false with PostgreSQL's own warning
SELECT pglocks.unlock('never locked');
SELECT pglocks.unlock(7, 7);

-- shared and exclusive are different holds; is_held asks about one mode
SELECT pglocks.lock('mode', shared => true);
SELECT pglocks.is_held('mode', shared => true) AS shared_held, pglocks.is_held('mode') AS exclusive_held;
:held;
SELECT pglocks.unlock('mode') AS exclusive_released;
SELECT pglocks.unlock('mode', true) AS shared_released;

-- wait => false and timeouts succeed at once on a free lock
SELECT pglocks.lock('free', wait => false) AS try_lock,
       pglocks.lock('free', timeout => '1s') AS with_timeout,
       pglocks.lock('free', timeout => '0') AS zero_timeout,
       pglocks.lock('free', timeout => '1 microsecond') AS one_microsecond,
       pglocks.lock('free', timeout => '1000 years') AS thousand_years;
SELECT pglocks.unlock('free'), pglocks.unlock('free'), pglocks.unlock('free'),
       pglocks.unlock('free'), pglocks.unlock('free');

-- named parameters, in any order
SELECT pglocks.lock(key => 'named', wait => true, shared => false, timeout => NULL);
SELECT pglocks.lock(key1 => 3, key2 => 4, shared => true);
SELECT pglocks.unlock(key => 'named'), pglocks.unlock(key1 => 3, key2 => 4, shared => true);

-- session locks survive ROLLBACK
BEGIN;
SELECT pglocks.lock('survives');
ROLLBACK;
SELECT pglocks.is_held('survives') AS held_after_rollback;

-- unlock_all releases every session lock of this session, pglocks' or not
SELECT pg_advisory_lock(5), pglocks.lock(6, 7, shared => true);
SELECT pglocks.unlock_all();
:held;
