#!/usr/bin/python3
"""A timed wait must never swallow another interrupt: a statement_timeout
that ran out with it, or a parallel worker's message.

The backend under test is stopped (SIGSTOP) while it waits, so that its lock
timeout and the other event are both pending when it runs again, then
continued (SIGCONT): the test driver must be allowed to signal the server's
processes (root, or the user the server runs as).

Connects with libpq's environment (PGHOST, PGPORT, ...) as a superuser.
"""

import os
import signal
import sys
import threading
import time

import psycopg
from psycopg import errors

SETUP = """
CREATE EXTENSION IF NOT EXISTS pglocks;
DROP TABLE IF EXISTS faults_rows;
-- 50 pages, for a parallel scan. The 20 rows that pass the filter come
-- first and fill more than the quarter of a tuple queue that makes a worker
-- flush them to the leader, but not the whole queue, so the workers can
-- finish while the leader is stopped; the other rows keep them busy a while.
CREATE TABLE faults_rows AS SELECT g, repeat('x', 2000) AS pad FROM generate_series(1, 200) AS g;
ANALYZE faults_rows;
CREATE OR REPLACE FUNCTION faults_slow(g int) RETURNS boolean
LANGUAGE sql PARALLEL SAFE AS $$ SELECT g <= 20 OR pg_sleep(0.005) IS NULL $$;
"""

# The three ways to wait with a timeout, each followed by a long sleep in the
# same statement: if statement_timeout is lost, the statement returns.
TIMED_WAITS = {
    "lock": "SELECT pglocks.lock(42, timeout => '{t}'), pg_sleep({after})",
    "xact_lock": "SELECT pglocks.xact_lock(42, timeout => '{t}'), pg_sleep({after})",
    "with_lock": "SELECT pglocks.with_lock(42, fn => 'now()', timeout => '{t}'), pg_sleep({after})",
}

failures = []


def check(name, ok, detail=""):
    print(("ok: " if ok else "FAILED: ") + name + (f" ({detail})" if detail else ""))
    if not ok:
        failures.append(name)


def connect():
    return psycopg.connect(autocommit=True)


def holder():
    """A session that holds advisory lock 42."""
    conn = connect()
    conn.execute("SELECT pg_advisory_lock(42)")
    return conn


def run(conn, sql, outcome):
    """Run sql on conn; record its result or SQLSTATE and how long it took."""
    start = time.monotonic()
    try:
        outcome["rows"] = conn.execute(sql).fetchall()
    except psycopg.Error as e:
        outcome["sqlstate"] = e.sqlstate
    outcome["seconds"] = time.monotonic() - start


def waiting(observer, pid):
    return observer.execute(
        "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = %s AND NOT granted)", (pid,)
    ).fetchone()[0]


def stop_while_waiting(observer, pid, seconds, not_before=0.3):
    """SIGSTOP pid once it waits for a lock, SIGCONT it `seconds` later."""
    deadline = time.monotonic() + 5
    time.sleep(not_before)
    while not waiting(observer, pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"backend {pid} never waited for the lock")
        time.sleep(0.01)
    os.kill(pid, signal.SIGSTOP)
    time.sleep(seconds)
    os.kill(pid, signal.SIGCONT)


def statement_timeout_survives_a_stopped_wait(form):
    """(a) statement_timeout 2 s, lock timeout 1 s: the backend is stopped
    past both, so both are pending when it runs again. PostgreSQL reports the
    lock timeout (its deadline was earlier); the statement must fail, as for
    pg_advisory_lock under lock_timeout, not return and sleep 6 s more."""
    with holder(), connect() as observer, connect() as waiter:
        pid = waiter.info.backend_pid
        waiter.execute("SET statement_timeout = '2s'")
        outcome = {}
        sql = TIMED_WAITS[form].format(t="1s", after=6)
        if form == "xact_lock":
            waiter.execute("BEGIN")
        thread = threading.Thread(target=run, args=(waiter, sql, outcome))
        thread.start()
        stop_while_waiting(observer, pid, 2.1)
        thread.join()
        check(f"{form}: statement_timeout is not lost when it runs out with the lock timeout",
              outcome.get("sqlstate") in ("55P03", "57014") and outcome["seconds"] < 4,
              f"{outcome.get('sqlstate') or outcome.get('rows')} after {outcome['seconds']:.1f} s")


def statement_timeout_at_the_same_deadline():
    """(a) without signals: the lock's deadline is swept from 3 ms before to
    1 ms after the statement's, in steps of 50 us (where exactly they meet
    depends on the machine). Whichever fires first, the statement must fail:
    its pg_sleep(0.5) outlasts statement_timeout."""
    survived = []
    offsets = range(-3000, 1001, 50)
    with holder(), connect() as waiter:
        waiter.execute("SET statement_timeout = '200ms'")
        for offset_us in offsets:
            sql = (f"SELECT pg_sleep(0.1), pglocks.lock(42, timeout => '{100_000 + offset_us} us'), "
                   f"pg_sleep(0.5)")
            outcome = {}
            run(waiter, sql, outcome)
            if "rows" in outcome:
                survived.append(offset_us)
    check("a lock timeout that runs out with statement_timeout never outlives the statement",
          not survived, f"{len(survived)} of {len(offsets)} statements returned: offsets {survived} us")


def parallel_leader_finishes():
    """(b) a query whose parallel plan would have its leader wait with a
    timeout while the workers finish: the leader is stopped during a wait
    until both workers have exited and the lock timeout has fired, so that
    their messages and the timeout are pending together. The query must
    still end (there is no parallel plan: lock() is PARALLEL UNSAFE)."""
    with holder(), connect() as observer, connect() as waiter:
        pid = waiter.info.backend_pid
        for setting in ("parallel_setup_cost = 0", "parallel_tuple_cost = 0",
                        "min_parallel_table_scan_size = 0", "max_parallel_workers_per_gather = 2",
                        "parallel_leader_participation = off", "statement_timeout = '15s'"):
            waiter.execute("SET " + setting)
        sql = ("SELECT pglocks.lock(42, timeout => '100ms'), length(pad) "
               "FROM faults_rows WHERE faults_slow(g)")
        outcome = {}
        thread = threading.Thread(target=run, args=(waiter, sql, outcome))
        thread.start()
        stop_while_waiting(observer, pid, 2, not_before=0)
        thread.join()
        rows = outcome.get("rows")
        check("a timed wait in a query that could run in parallel returns, and the query ends",
              rows == [(False, 2000)] * 20 and outcome["seconds"] < 12,
              f"{outcome.get('sqlstate') or len(rows)} after {outcome['seconds']:.1f} s")


def main():
    with connect() as conn:
        conn.execute(SETUP)
    for form in TIMED_WAITS:
        statement_timeout_survives_a_stopped_wait(form)
    statement_timeout_at_the_same_deadline()
    parallel_leader_finishes()
    with connect() as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()[0]
    check("no advisory lock is left behind", left == 0, f"{left} left")
    print(f"{len(failures)} of the checks failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
