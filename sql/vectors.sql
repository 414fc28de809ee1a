-- The shared key vectors (vectors/key_ids.tsv), which every client checks
-- too: key_id and crc32_key_id of each key, from the extension and from the
-- plain-SQL idiom of docs/key-hashing.md.
CREATE TEMP TABLE vectors (key_column text, key_id bigint, crc32_key_id bigint, description text);
\copy vectors FROM PROGRAM 'grep -v "^#" vectors/key_ids.tsv'

-- a key is its UTF-8 bytes in hex, or repeat:<unit in hex>:<count>
CREATE TEMP VIEW keys AS
SELECT CASE WHEN key_column LIKE 'repeat:%'
            THEN repeat(convert_from(decode(split_part(key_column, ':', 2), 'hex'), 'UTF8'),
                        split_part(key_column, ':', 3)::int)
            ELSE convert_from(decode(key_column, 'hex'), 'UTF8') END AS key,
       key_id, crc32_key_id, description
FROM vectors;

SELECT count(*) AS vectors,
       count(*) FILTER (WHERE octet_length(key) > 1048576) AS over_1_mb,
       count(*) FILTER (WHERE pglocks.key_id(key) = key_id) AS key_id_matches,
       count(*) FILTER (WHERE pglocks.crc32_key_id(key) = crc32_key_id) AS crc32_matches,
       count(*) FILTER (WHERE sql_idiom.id = key_id) AS sql_idiom_matches
FROM keys,
     LATERAL (SELECT bit_or(get_byte(digest, i)::bigint << (8 * i))
              FROM sha256(convert_to(key, 'UTF8')) AS digest, generate_series(0, 7) AS i) AS sql_idiom(id);

-- any mismatch, by name
SELECT description, key_id, pglocks.key_id(key) AS extension_key_id
FROM keys WHERE pglocks.key_id(key) <> key_id OR pglocks.crc32_key_id(key) <> crc32_key_id;
