#!/usr/bin/python3
"""Stress soak: concurrent clients hammer pglocks while a chaos thread cancels
and terminates them; then the run is checked for overlap, lost updates, leaked
locks, unexpected errors and server crashes.

Connects with libpq's environment (PGHOST, PGPORT, PGUSER, ...) as a superuser,
so that the chaos thread may cancel and terminate the clients.
"""

import argparse
import collections
import itertools
import random
import re
import sys
import threading
import time

import psycopg
from psycopg import errors

KEYS = ["soak:a", "soak:b", "soak:c", "soak:d"]
STATEMENT_TIMEOUT_MS = 300
# SQLSTATEs a client may see: the body's own RAISE, query cancel and
# statement_timeout, and pg_terminate_backend.
EXPECTED_SQLSTATES = {"P0001", "57014", "57P01"}
CONNECTION_LOST = "connection lost"

SETUP = """
CREATE EXTENSION IF NOT EXISTS pglocks;
DROP SCHEMA IF EXISTS soak CASCADE;
CREATE SCHEMA soak;
CREATE TABLE soak.counter (k text PRIMARY KEY, v bigint NOT NULL);
CREATE TABLE soak.rmw_log (call_id bigint PRIMARY KEY, k text NOT NULL);

-- The body under test: reports when it starts and ends (as NOTICEs, which
-- reach the client even if the statement later fails), then does its action.
CREATE FUNCTION soak.body(k text, call_id bigint, mode text, action text)
RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    seen bigint;
BEGIN
    RAISE NOTICE 'soak start % % % %', call_id, k, mode, soak.now_us();
    CASE action
    WHEN 'rmw' THEN
        -- read-modify-write with a gap: loses updates unless serialized
        SELECT v INTO seen FROM soak.counter WHERE counter.k = body.k;
        PERFORM pg_sleep(0.001);
        UPDATE soak.counter SET v = seen + 1 WHERE counter.k = body.k;
        INSERT INTO soak.rmw_log VALUES (call_id, k);
    WHEN 'sleep' THEN
        PERFORM pg_sleep(random() * 0.004);
    WHEN 'overrun' THEN
        PERFORM pg_sleep(1);  -- past statement_timeout: canceled in here
    ELSE
        NULL;
    END CASE;
    RAISE NOTICE 'soak end % % % %', call_id, k, mode, soak.now_us();
    IF action = 'raise' THEN
        RAISE EXCEPTION 'soak body raised on purpose';
    END IF;
    RETURN 1;
END $$;

CREATE FUNCTION soak.named_body() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    args text[] := string_to_array(current_setting('soak.args'), ' ');
BEGIN
    RETURN soak.body(args[1], args[2]::bigint, 'X', args[3]);
END $$;

CREATE FUNCTION soak.now_us() RETURNS bigint LANGUAGE sql VOLATILE
AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint $$;
"""

BODY = "'soak.body(text,bigint,text,text)'::regprocedure"
NOTICE = re.compile(r"^soak (start|end) (\d+) (\S+) ([SX]) (\d+)$")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = collections.Counter()
        self.errors = collections.Counter()
        self.unexpected = []
        self.leaks = []
        self.committed_rmw = set()
        self.cancels = 0
        self.terminations = 0
        self.reconnects = 0
        self.granted_then_canceled = 0

    def add(self, field, value):
        with self.lock:
            getattr(self, field).append(value)


class Client(threading.Thread):
    """One session running random pglocks operations until the deadline."""

    def __init__(self, number, dsn, deadline, stats, ids, events):
        super().__init__(name=f"client{number}", daemon=True)
        self.dsn = dsn
        self.deadline = deadline
        self.stats = stats
        self.ids = ids
        self.events = events  # (call_id, key, mode, kind, us) from NOTICEs
        self.rng = random.Random(number)
        self.pid = None
        self.terminated = threading.Event()  # set by the chaos thread
        self.conn = None

    def connect(self):
        self.conn = psycopg.connect(self.dsn, autocommit=True)
        self.conn.add_notice_handler(self.on_notice)
        self.conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        self.pid = self.conn.info.backend_pid

    def on_notice(self, diag):
        m = NOTICE.match(diag.message_primary or "")
        if m:
            kind, call_id, key, mode, us = m.groups()
            self.events.append((int(call_id), key, mode, kind, int(us)))

    def run(self):
        self.connect()
        operations = [self.with_lock, self.with_lock_timeout, self.with_xact_rmw,
                      self.lock_unlock, self.xact_lock_rmw, self.try_with_lock]
        while time.monotonic() < self.deadline:
            op = self.rng.choice(operations)
            key = self.rng.choice(KEYS)
            call_id = next(self.ids)
            with self.stats.lock:
                self.stats.calls[op.__name__] += 1
            try:
                op(key, call_id)
            except psycopg.Error as e:
                if not self.failed(e, op.__name__):
                    return
            if not self.check_no_locks(op.__name__):
                return

    def failed(self, e, what):
        """Record a failed call; reconnect if the session is gone. False when
        the client cannot go on."""
        state = e.sqlstate or CONNECTION_LOST
        with self.stats.lock:
            self.stats.errors[state] += 1
        lost = self.conn.closed or self.conn.broken
        expected = state in EXPECTED_SQLSTATES or (state == CONNECTION_LOST and lost)
        if state in ("57P01", CONNECTION_LOST) and not self.terminated.is_set():
            expected = False
        if not expected:
            self.stats.add("unexpected", f"{what}: {state}: {e}")
        if lost:
            self.terminated.clear()
            with self.stats.lock:
                self.stats.reconnects += 1
            try:
                self.connect()
            except psycopg.Error as again:
                self.stats.add("unexpected", f"reconnect: {again}")
                return False
        return True

    def action(self):
        return self.rng.choices(["ok", "sleep", "raise", "overrun"], [40, 40, 15, 5])[0]

    def execute(self, sql, params=()):
        return self.conn.execute(sql, params).fetchone()

    # --- operations -------------------------------------------------------

    def with_lock(self, key, call_id):
        shared = self.rng.random() < 0.3
        mode = "S" if shared else "X"
        self.execute(
            f"SELECT pglocks.with_lock(%s, %s, true, {BODY}, %s::text, %s::bigint, %s::text, %s::text)",
            (key, shared, key, call_id, mode, self.action()))

    def with_lock_timeout(self, key, call_id):
        # The named form takes no arguments for the body: it reads them from
        # settings made in the same statement.
        self.execute(
            "SELECT set_config('soak.args', %s, false),"
            " pglocks.with_lock(key => %s, fn => 'soak.named_body()', timeout => '20ms')",
            (f"{key} {call_id} {self.action()}", key))

    def try_with_lock(self, key, call_id):
        self.execute(
            f"SELECT pglocks.with_lock(%s, false, false, {BODY}, %s::text, %s::bigint, 'X', 'sleep')",
            (key, key, call_id))

    def with_xact_rmw(self, key, call_id):
        self.execute(
            f"SELECT pglocks.with_xact_lock(%s, false, true, {BODY}, %s::text, %s::bigint, 'X', 'rmw')",
            (key, key, call_id))
        self.stats.committed_rmw.add(call_id)

    def xact_lock_rmw(self, key, call_id):
        with self.conn.transaction():
            self.conn.execute("SELECT pglocks.xact_lock(%s)", (key,))
            self.conn.execute(f"SELECT soak.body(%s, %s, 'X', 'rmw')", (key, call_id))
        self.stats.committed_rmw.add(call_id)

    def lock_unlock(self, key, call_id):
        shared = self.rng.random() < 0.3
        mode = "S" if shared else "X"
        try:
            self.execute("SELECT pglocks.lock(%s, %s)", (key, shared))
        except psycopg.Error as e:
            # The lock may have been granted just before the cancel ended the
            # statement, as with pg_advisory_lock: then this session asked for
            # it, and gives it back like careful client code would.
            if not (self.conn.closed or self.conn.broken):
                self.give_back_if_granted(key, shared)
            raise e
        try:
            self.execute("SELECT soak.body(%s, %s, %s, %s)",
                         (key, call_id, mode, self.action()))
        finally:
            if not (self.conn.closed or self.conn.broken):
                self.retry(lambda: self.execute("SELECT pglocks.unlock(%s, %s)", (key, shared)))

    def give_back_if_granted(self, key, shared):
        held = self.retry(lambda: self.execute(
            "SELECT pglocks.is_held(%s, %s)", (key, shared)))[0]
        if held:
            with self.stats.lock:
                self.stats.granted_then_canceled += 1
            self.retry(lambda: self.execute("SELECT pglocks.unlock(%s, %s)", (key, shared)))

    def retry(self, statement):
        """Run a bookkeeping statement, retrying when a stray cancel hits it."""
        while True:
            try:
                return statement()
            except errors.QueryCanceled:
                continue

    def check_no_locks(self, what):
        """After every call the session must hold no advisory lock."""
        try:
            held = self.retry(lambda: self.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid = pg_backend_pid()"))[0]
        except psycopg.Error as e:
            return self.failed(e, "leak check")
        if held:
            self.stats.add("leaks", f"{what}: {held} advisory lock(s) left in pid {self.pid}")
            self.conn.execute("SELECT pg_advisory_unlock_all()")
        return True


def chaos(dsn, clients, deadline, stats, rng):
    """Cancel or terminate a random client every few tens of milliseconds."""
    conn = psycopg.connect(dsn, autocommit=True)
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(0.01, 0.08))
        victim = rng.choice(clients)
        if victim.pid is None or victim.terminated.is_set():
            continue
        if rng.random() < 0.85:
            conn.execute("SELECT pg_cancel_backend(%s)", (victim.pid,))
            stats.cancels += 1
        else:
            victim.terminated.set()
            conn.execute("SELECT pg_terminate_backend(%s)", (victim.pid,))
            stats.terminations += 1
    conn.close()


def overlaps(events):
    """Pairs of bodies on one key that ran at the same time although at least
    one was exclusive. A body that never reported its end counts as the
    instant it started (it was under the lock then, at least)."""
    bodies = {}
    for call_id, key, mode, kind, us in events:
        start, end = bodies.get(call_id, (None, None, None, None))[2:]
        if kind == "start":
            start = us
        else:
            end = us
        bodies[call_id] = (key, mode, start, end)
    by_key = collections.defaultdict(list)
    for call_id, (key, mode, start, end) in bodies.items():
        if start is not None:
            by_key[key].append((start, end if end is not None else start, mode, call_id))
    found = []
    for key, spans in by_key.items():
        spans.sort()
        active = []  # spans still running at the current start
        for start, end, mode, call_id in spans:
            active = [a for a in active if a[1] > start]
            for a in active:
                if mode == "X" or a[2] == "X":
                    found.append(f"{key}: call {a[3]} ({a[2]}) and call {call_id} ({mode})")
            active.append((start, end, mode, call_id))
    return found, len(bodies)


def server_crashes(log_path):
    if not log_path:
        return []
    pattern = re.compile(r"terminated by signal|terminated by exception|"
                         r"exited with exit code|server processes terminated")
    with open(log_path, errors="replace") as log:
        return [line.rstrip() for line in log if pattern.search(line)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--dsn", default="", help="libpq connection string (default: environment)")
    parser.add_argument("--server-log", help="the server's log, checked for crashed backends")
    args = parser.parse_args()

    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute(SETUP)
        conn.execute("INSERT INTO soak.counter SELECT k, 0 FROM unnest(%s::text[]) AS k", (KEYS,))

    stats = Stats()
    ids = itertools.count(1)  # next() on it is atomic under the GIL
    events = []
    started = time.monotonic()
    deadline = started + args.seconds
    clients = [Client(n, args.dsn, deadline, stats, ids, events) for n in range(args.clients)]
    for c in clients:
        c.start()
    chaos_thread = threading.Thread(
        target=chaos, args=(args.dsn, clients, deadline, stats, random.Random(99)), daemon=True)
    chaos_thread.start()
    for c in clients:
        c.join(args.seconds + 60)
    chaos_thread.join(10)
    elapsed = time.monotonic() - started

    problems = []
    hung = [c.name for c in clients if c.is_alive()]
    if hung:
        problems.append(f"clients still running after the deadline: {hung}")
    found, bodies = overlaps(events)
    problems += [f"overlap: {o}" for o in found]

    with psycopg.connect(args.dsn, autocommit=True) as conn:
        counted = dict(conn.execute("SELECT k, v FROM soak.counter").fetchall())
        logged = dict(conn.execute("SELECT k, count(*) FROM soak.rmw_log GROUP BY k").fetchall())
        ids_logged = {r[0] for r in conn.execute("SELECT call_id FROM soak.rmw_log")}
        leftover = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()[0]
    for key in KEYS:
        if counted.get(key, 0) != logged.get(key, 0):
            problems.append(f"lost update on {key}: counter {counted.get(key)} "
                            f"but {logged.get(key, 0)} committed increments")
    missing = stats.committed_rmw - ids_logged
    if missing:
        problems.append(f"{len(missing)} increments the client saw commit are missing")
    if leftover:
        problems.append(f"{leftover} advisory lock(s) left in the server after all clients ended")
    problems += [f"leak: {l}" for l in stats.leaks]
    problems += [f"unexpected error: {u}" for u in stats.unexpected[:20]]
    problems += [f"server log: {line}" for line in server_crashes(args.server_log)]

    total = sum(stats.calls.values())
    print(f"soak: {args.clients} clients, {elapsed:.1f} s, {total} calls "
          f"({total / elapsed:.0f}/s), {bodies} bodies checked for overlap, "
          f"{sum(logged.values())} committed increments")
    print("soak: calls by operation: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.calls.items())))
    print("soak: errors by SQLSTATE: " + (", ".join(
        f"{k} {v}" for k, v in sorted(stats.errors.items())) or "none"))
    print(f"soak: chaos: {stats.cancels} cancels, {stats.terminations} terminations, "
          f"{stats.reconnects} reconnects; {stats.granted_then_canceled} lock() calls "
          f"granted just before their cancel (given back by the client)")
    for p in problems:
        print("soak: FAIL " + p)
    print("soak: " + ("FAILED" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
