-- key_id is the same in every database: a non-UTF-8 database converts the
-- key to UTF-8 first; SQL_ASCII hashes the bytes as stored.

SELECT current_database() AS regress_db \gset
CREATE DATABASE regress_pglocks_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE regress_pglocks_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;

SELECT pglocks.key_id('café') AS utf8_id, pglocks.crc32_key_id('café') AS utf8_crc32;

\c regress_pglocks_latin1
SET client_encoding = 'UTF8';
CREATE EXTENSION pglocks;
SELECT getdatabaseencoding(), octet_length('café') AS stored_bytes;
SELECT pglocks.key_id('café') AS latin1_id, pglocks.crc32_key_id('café') AS latin1_crc32;
SELECT pglocks.key_id('orders:42') AS ascii_id;
-- locking by text key uses the same id
SELECT pglocks.lock('café');
SELECT (classid::bigint << 32) | objid::bigint AS locked_id FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid();
SELECT pglocks.unlock('café');

\c regress_pglocks_sql_ascii
SET client_encoding = 'UTF8';
CREATE EXTENSION pglocks;
SELECT getdatabaseencoding(), octet_length('café') AS stored_bytes;
SELECT pglocks.key_id('café') AS sql_ascii_id;
-- bytes that are not UTF-8 are hashed as they are, not rejected
SELECT pglocks.key_id(convert_from('\xe9'::bytea, 'SQL_ASCII')) =
       (SELECT bit_or(get_byte(sha256('\xe9'::bytea), i)::bigint << (8 * i))
        FROM generate_series(0, 7) AS i) AS raw_bytes_hashed;

\c :regress_db
DROP DATABASE regress_pglocks_latin1;
DROP DATABASE regress_pglocks_sql_ascii;
