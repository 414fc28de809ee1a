#!/usr/bin/python3
"""pglocks behind a real PgBouncer in transaction pooling.

Runs against the server in libpq's environment (scripts/suites.sh starts a
throwaway cluster) and starts its own PgBouncer in front of it, with
pool_mode = transaction and fewer server connections than clients. It shows:

1. with_lock, with_xact_lock and xact_lock keep mutual exclusion across
   clients that share server connections, lose no update, and leave no
   advisory lock on any server connection;
2. the hazard they avoid (a negative control): a session lock() in one
   transaction and unlock() in the next run on different server connections;
   the unlock fails and the lock is orphaned, and pglocks.orphaned_locks()
   finds it.
"""

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import psycopg

KEYS = ["pool:a", "pool:b", "pool:c"]
FORMS = ["with_lock", "with_xact_lock", "xact_lock"]
COUNTED = {"with_xact_lock", "xact_lock"}  # the lock outlives the body's transaction

SETUP = """
CREATE EXTENSION IF NOT EXISTS pglocks;
DROP TABLE IF EXISTS bodies, counters;
CREATE TABLE bodies (key text, form text, backend int, started timestamptz, ended timestamptz);
CREATE TABLE counters (key text PRIMARY KEY, n int NOT NULL);
-- The body: records when it ran and on which server connection; with count,
-- a read-modify-write with a pause between read and write, which loses
-- updates unless the lock is held until the transaction commits.
CREATE OR REPLACE FUNCTION body(k text, form text, count boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
    seen int;
BEGIN
    IF count THEN
        SELECT n INTO seen FROM counters WHERE key = k;
    END IF;
    PERFORM pg_sleep(0.001);
    IF count THEN
        UPDATE counters SET n = seen + 1 WHERE key = k;
    END IF;
    INSERT INTO bodies VALUES (k, form, pg_backend_pid(), started, clock_timestamp());
END $$;
"""

failures = []


def check(ok, what):
    print(("ok: " if ok else "FAILED: ") + what)
    if not ok:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgBouncer:
    """PgBouncer in front of libpq's server, pool_mode = transaction."""

    def __init__(self, pool_size):
        self.dir = tempfile.mkdtemp(prefix="pglocks-pgbouncer-")
        self.port = free_port()
        self.user = os.environ.get("PGUSER")
        if not self.user:
            with direct() as conn:
                self.user = conn.info.user
        self.db = os.environ.get("PGDATABASE", self.user)
        server = " ".join(f"{k}={v}" for k, v in [
            ("host", os.environ.get("PGHOST", "/var/run/postgresql")),
            ("port", os.environ.get("PGPORT", "5432")),
            ("password", os.environ.get("PGPASSWORD", ""))] if v)
        with open(os.path.join(self.dir, "users.txt"), "w") as f:
            f.write(f'"{self.user}" ""\n')
        with open(os.path.join(self.dir, "pgbouncer.ini"), "w") as f:
            f.write(f"""[databases]
{self.db} = {server} dbname={self.db} user={self.user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/users.txt
pool_mode = transaction
default_pool_size = {pool_size}
max_db_connections = {pool_size}
max_client_conn = 100
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        command = ["/usr/sbin/pgbouncer", os.path.join(self.dir, "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            shutil.chown(self.dir, "postgres")
            command = ["runuser", "-u", "postgres", "--"] + command
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            try:
                self.connect().close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("PgBouncer did not start")
                time.sleep(0.1)

    def connect(self, autocommit=True):
        # No server-side prepared statements: they would not follow the
        # client from one server connection to the next.
        return psycopg.connect(host="127.0.0.1", port=self.port, dbname=self.db, user=self.user,
                               autocommit=autocommit, prepare_threshold=None)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        log = os.path.join(self.dir, "pgbouncer.log")
        if failures and os.path.exists(log):
            print(open(log).read()[-4000:])
        shutil.rmtree(self.dir, ignore_errors=True)


def direct():
    return psycopg.connect(autocommit=True)


def one_call(conn, form, key):
    count = form in COUNTED
    if form == "xact_lock":
        with conn.transaction():
            conn.execute("SELECT pglocks.xact_lock(%s)", (key,))
            conn.execute("SELECT body(%s, %s, %s)", (key, form, count))
    else:  # with_lock or with_xact_lock
        conn.execute(f"SELECT pglocks.{form}(%s, false, true, 'body(text,text,boolean)', "
                     "%s::text, %s::text, %s::boolean)", (key, key, form, count))


def hammer(bouncer, clients, seconds):
    """clients threads, one PgBouncer connection each, calling at random."""
    committed = {k: 0 for k in KEYS}
    calls = {f: 0 for f in FORMS}
    errors = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed):
        rng = random.Random(seed)
        try:
            with bouncer.connect() as conn:
                while time.monotonic() < stop_at:
                    form, key = rng.choice(FORMS), rng.choice(KEYS)
                    one_call(conn, form, key)
                    with lock:
                        calls[form] += 1
                        if form in COUNTED:
                            committed[key] += 1
        except Exception as e:  # every error is a failure here: nothing is injected
            with lock:
                errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return calls, committed, errors


def overlaps(conn):
    """Bodies on one key that ran at the same time: none may."""
    rows = conn.execute("SELECT key, started, ended FROM bodies ORDER BY key, started").fetchall()
    found, last_key, last_end = 0, None, None
    for key, started, ended in rows:
        if key == last_key and started < last_end:
            found += 1
        if key != last_key or ended > last_end:
            last_key, last_end = key, ended
    return found, len(rows)


def server_connections(conn):
    return [r[0] for r in conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' "
        "AND pid <> pg_backend_pid() AND datname = current_database()").fetchall()]


def safe_forms(bouncer, clients, pool_size, seconds):
    print(f"== with_lock, with_xact_lock, xact_lock: {clients} clients over "
          f"{pool_size} server connections, {seconds} s")
    calls, committed, errors = hammer(bouncer, clients, seconds)
    total = sum(calls.values())
    print(f"calls: {total} ({', '.join(f'{f} {n}' for f, n in calls.items())}), "
          f"{total / seconds:.0f}/s, errors: {len(errors)}")
    for e in errors[:5]:
        print("  " + e)
    check(not errors, "no client saw an error")
    check(all(n > 0 for n in calls.values()), "every form ran")
    with direct() as conn:
        found, bodies = overlaps(conn)
        check(bodies == total, f"every call ran its body once ({bodies} bodies)")
        check(found == 0, f"mutual exclusion: no two bodies on one key overlapped ({found} did)")
        counters = dict(conn.execute("SELECT key, n FROM counters").fetchall())
        check(counters == committed,
              f"no lost update: counters {counters} equal committed calls {committed}")
        backends = conn.execute("SELECT count(DISTINCT backend) FROM bodies").fetchone()[0]
        check(1 < backends <= pool_size,
              f"{clients} clients shared {backends} server connections (at most {pool_size})")
        pool = server_connections(conn)
        left = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()[0]
        check(len(pool) > 0 and left == 0,
              f"no advisory lock left on the {len(pool)} server connections still open ({left} left)")


def negative_control(bouncer, pool_size):
    print("== negative control: lock() in one transaction, unlock() in the next")
    warnings = []
    owner = bouncer.connect()
    owner.add_notice_handler(lambda d: warnings.append(d.message_primary))
    taken, p1 = owner.execute("SELECT pglocks.lock('orphan'), pg_backend_pid()").fetchone()
    check(taken, f"lock('orphan') taken on server connection {p1}")

    # Occupy server connections with open transactions until one of them is
    # the connection that holds the lock: the owner's next transaction must
    # then run on another one, as it may at any time under real load.
    holders = []
    for _ in range(pool_size):
        holder = bouncer.connect(autocommit=False)
        holders.append(holder)
        if holder.execute("SELECT pg_backend_pid()").fetchone()[0] == p1:
            break
    released, p2 = owner.execute("SELECT pglocks.unlock('orphan'), pg_backend_pid()").fetchone()
    for holder in holders:
        holder.rollback()
        holder.close()
    check(p2 != p1 and not released,
          f"unlock('orphan') ran on server connection {p2} and returned {released}")
    check(any("you don't own a lock" in w for w in warnings), f"the server warned: {warnings}")
    owner.close()

    time.sleep(1.2)
    with direct() as conn:
        orphans = conn.execute(
            "SELECT pid, key = pglocks.key_id('orphan'), state, session_scope "
            "FROM pglocks.orphaned_locks('1 s')").fetchall()
        check(orphans == [(p1, True, "idle", True)],
              f"pglocks.orphaned_locks('1 s') finds it on {p1}: {orphans}")
        young = conn.execute("SELECT count(*) FROM pglocks.orphaned_locks()").fetchone()[0]
        check(young == 0, f"pglocks.orphaned_locks() (1 minute) does not list it yet ({young})")
        ended = conn.execute("SELECT pg_terminate_backend(pid) FROM pglocks.orphaned_locks('1 s')").fetchall()
        deadline = time.monotonic() + 10
        while conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()[0]:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        left = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()[0]
        check(ended == [(True,)] and left == 0,
              "pg_terminate_backend() on the orphan's holder ends the lock")
    with bouncer.connect() as conn:
        check(conn.execute("SELECT pglocks.lock('orphan', wait => false)").fetchone()[0],
              "the next client through PgBouncer can take the lock again")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--pool-size", type=int, default=4)
    args = parser.parse_args()

    with direct() as conn:
        conn.execute(SETUP)
        conn.execute("INSERT INTO counters SELECT k, 0 FROM unnest(%s::text[]) AS k", (KEYS,))
    bouncer = PgBouncer(args.pool_size)
    try:
        safe_forms(bouncer, args.clients, args.pool_size, args.seconds)
        negative_control(bouncer, args.pool_size)
    finally:
        bouncer.stop()
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} checks failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
