-- The installed SQL surface: volatility, strictness and parallel safety of
-- every function, and who may use them.

SELECT p.oid::regprocedure AS function, p.provolatile AS volatility, p.proisstrict AS strict,
       p.proparallel AS parallel, p.prosecdef AS security_definer
FROM pg_proc p WHERE p.pronamespace = 'pglocks'::regnamespace
ORDER BY p.proname, p.oid::regprocedure::text;

SELECT extname, extversion, extrelocatable, extnamespace::regnamespace FROM pg_extension WHERE extname = 'pglocks';
SELECT name, version, superuser, trusted, relocatable, schema FROM pg_available_extension_versions WHERE name = 'pglocks'
ORDER BY string_to_array(version, '.')::int[];
