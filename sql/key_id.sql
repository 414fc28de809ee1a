-- Key hashing: the published spec, its examples, and the SQL that computes
-- the same id without the extension.

SELECT pglocks.key_id('some lock') AS some_lock, pglocks.key_id('') AS empty;
SELECT pglocks.crc32_key_id('some lock') AS crc32_some_lock, pglocks.crc32_key_id('') AS crc32_empty;

-- Reference ids from an independent implementation (Python hashlib and zlib).
SELECT k.label, pglocks.key_id(k.key) = k.expected AS key_id_ok,
       pglocks.crc32_key_id(k.key) = k.expected_crc32 AS crc32_ok
FROM (VALUES
    ('ascii',      'orders:42',                 260941440247488394,  218055877),
    ('nfc',        U&'caf\00E9',               -8503059731156496507, -1733475659),
    ('nfd',        U&'cafe\0301',               -4058419682770227327,   911280202),
    ('cjk',        U&'\65E5\672C\8A9E',         -6643004304765849225, -1475652891),
    ('astral',     U&'\+01F512',                -1544007693426826902,  1514244864),
    ('55 bytes',   repeat('a', 55),             -2797565688979373153, -1428167858),
    ('56 bytes',   repeat('a', 56),             5190802832801486003,  2037976375),
    ('64 bytes',   repeat('a', 64),                7911663989264015615, -1984666283),
    ('1000 bytes', repeat('x', 1000),           268709184000096324,   994167270)
) AS k(label, key, expected, expected_crc32);

-- No Unicode normalization: NFC and NFD spellings are different keys.
SELECT pglocks.key_id(U&'caf\00E9') <> pglocks.key_id(U&'cafe\0301') AS nfc_and_nfd_differ;

-- The same id in plain SQL (docs/key-hashing.md), for every kind of key
-- above and a 1 MB key.
CREATE FUNCTION pg_temp.sql_key_id(key text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT bit_or(get_byte(digest, i)::bigint << (8 * i))
    FROM sha256(convert_to(key, 'UTF8')) AS digest, generate_series(0, 7) AS i
$$;
SELECT bool_and(pglocks.key_id(k) = pg_temp.sql_key_id(k)) AS sql_idiom_agrees
FROM (VALUES ('some lock'), (''), (U&'caf\00E9'), (U&'\+01F512'), (repeat('a', 64)),
             (repeat('long key ', 120000))) AS v(k);

-- A 1 MB key, stored compressed, hashes like its plain bytes.
CREATE TEMP TABLE big_key AS SELECT repeat('0123456789abcdef', 65536) AS k;
SELECT octet_length(k) AS bytes,
       pglocks.key_id(k) = pg_temp.sql_key_id(k) AS agrees
FROM big_key;

-- A text key locks the same lock as pg_advisory_lock(key_id(key)).
SELECT pglocks.lock('some lock');
SELECT objsubid, (classid::bigint << 32) | objid::bigint = pglocks.key_id('some lock') AS same_id
FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid();
SELECT pg_advisory_unlock(pglocks.key_id('some lock'));

-- NULL in, NULL out, like sha256() and md5().
SELECT pglocks.key_id(NULL) IS NULL AS key_id_null, pglocks.crc32_key_id(NULL) IS NULL AS crc32_null;
