-- pglocks 1.2.1 to 2.0.0
\echo Use "ALTER EXTENSION pglocks UPDATE TO '2.0.0'" to load this file. \quit

-- key_id reads the digest's first 8 bytes little-endian, as django-pglock
-- does. The id is computed by the shared library, so it changed when the 2.0
-- library was installed; this only brings the description up to date.
COMMENT ON FUNCTION @extschema@.key_id(pg_catalog.text) IS
'lock id of a text key: first 8 bytes of SHA-256 over its UTF-8 bytes, little-endian signed';
