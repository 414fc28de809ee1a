#!/usr/bin/env bash
# Two sessions contending for one lock, and a failing body whose lock is
# freed. Run by scripts/demo.sh inside pg_virtualenv (PGHOST etc. are set).
set -euo pipefail

say() { printf '\n==> %s\n' "$*"; }
# psql in a named session; each line of its output is marked with its name.
# An ERROR is part of the show, not a reason to stop.
session() {
	{ PGAPPNAME="session $1" psql -X -q -e -c "$2" 2>&1 || true; } | sed "s/^/  $1 | /"
}

psql -X -q <<'SQL'
CREATE EXTENSION pglocks;
CREATE TABLE report_runs (finished_at timestamptz, built_by text);
CREATE FUNCTION build_report(who text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(3);
    INSERT INTO report_runs VALUES (clock_timestamp(), who);
END $$;
CREATE FUNCTION broken_job() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'broken_job failed halfway' USING ERRCODE = 'P0001';
END $$;
SQL

say "Session A runs build_report() (3 seconds) under the lock 'nightly report'"
session A "SELECT pglocks.with_lock('nightly report', false, true, 'build_report(text)', 'A')" &
sleep 1

say "Session B tries the same lock without waiting: busy"
session B "SELECT pglocks.lock('nightly report', wait => false) AS acquired"

say "Who holds it? (pglocks.locks)"
session B "SELECT key = pglocks.key_id('nightly report') AS is_nightly_report, mode, granted, application_name FROM pglocks.locks"

say "Session B waits at most 500 ms: false, no error, and its transaction goes on"
session B "BEGIN; SELECT pglocks.lock('nightly report', timeout => '500ms') AS acquired; SELECT 'still usable' AS transaction; COMMIT"

say "Session B waits its turn, then runs its own build_report()"
session B "SELECT pglocks.with_lock('nightly report', false, true, 'build_report(text)', 'B')"
wait
session B "SELECT built_by, finished_at FROM report_runs ORDER BY finished_at"

say "Session A runs broken_job() under the lock: the error comes through..."
session A "SELECT pglocks.with_lock('nightly report', false, true, 'broken_job()')"

say "...and the lock was released all the same: B takes it at once"
session B "SELECT pglocks.lock('nightly report', wait => false) AS acquired"

say "Done. The throwaway cluster is removed now."
