"""advisory_lock against a live server, through a psycopg (3) connection, a
psycopg2 connection, and Django: every row of docs/clients.md's features
table. Connects with libpq's environment (PGHOST, PGPORT, PGUSER, ...).

Each driver's tests run in a database of their own, created without the
pglocks extension; only ExtensionTest creates it, to check that the client's
lock and key ids are the extension's."""

import datetime
import math
import os
import re
import threading
import time
import unittest

import psycopg
import psycopg2
import psycopg2.extensions

from pglocks import LockNotAcquired, Raise, Skip, advisory_lock, key_id
from tests import vectors

from .django_db import configure


def intercept(conn, execute):
    """conn's cursors run execute(run, sql, params) in place of run(sql,
    params), the driver's own execute."""
    base = conn.cursor_factory or psycopg2.extensions.cursor

    class Intercepted(base):
        def execute(self, sql, params=None):
            return execute(super().execute, sql, params)

    conn.cursor_factory = Intercepted
    return conn


def sql_key(key):
    """A key's placeholders and parameters for PostgreSQL's own functions."""
    if isinstance(key, tuple):
        return "%s::int, %s::int", key
    return "%s::bigint", (key_id(key) if isinstance(key, str) else key,)


# Stand-ins for PostgreSQL's lock functions that take the lock and then fail,
# as a statement ends that a timeout, a cancel or statement_timeout stops just
# as its lock is granted: pg_temp.raced_<function>, for both key forms.
_RACED = ("CREATE FUNCTION pg_temp.raced_{fn}({params}) RETURNS void LANGUAGE plpgsql AS $$ "
          "BEGIN PERFORM pg_catalog.{fn}({args}); "
          "RAISE EXCEPTION 'granted as it failed' USING ERRCODE = '{code}'; END $$")
_LOCK_CALL = re.compile(r"pg_catalog\.(pg_advisory(?:_xact)?_lock(?:_shared)?)\(")


class LiveTests:
    """Mixed into one TestCase per driver, which provides connect(**kwargs)
    and its driver's errors; self.conn is that driver's connection, and
    self.other a second session (psycopg) in the same database."""

    @classmethod
    def setUpClass(cls):
        cls.dbname = "pglocks_%s_%d" % (cls.__name__.lower(), os.getpid())
        with psycopg.connect(autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS %s" % cls.dbname)
            admin.execute("CREATE DATABASE %s TEMPLATE template0" % cls.dbname)

    @classmethod
    def tearDownClass(cls):
        with psycopg.connect(autocommit=True) as admin:
            admin.execute("DROP DATABASE %s WITH (FORCE)" % cls.dbname)

    def setUp(self):
        self.other = psycopg.connect(dbname=self.dbname, autocommit=True)
        self.conn = self.connect(dbname=self.dbname)
        self.conn.autocommit = True

    def tearDown(self):
        self.conn.close()
        self.other.close()

    # the session under test

    def begin(self):
        self.conn.autocommit = False

    def query(self, sql, params=()):
        cur = self.conn.cursor()
        try:
            cur.execute(sql, params)
            return cur.fetchone() if cur.description else None
        finally:
            cur.close()

    def status(self):
        return int(self.conn.info.transaction_status)

    def is_aborted(self):
        return self.status() == 3  # libpq's PQTRANS_INERROR

    def in_transaction(self):
        return self.status() == 2  # PQTRANS_INTRANS: open and usable

    def locks_held(self):
        """The advisory locks the session under test holds (asked by the
        other one, so that it works in an aborted transaction too)."""
        return self.other.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = %s AND granted",
            (self.conn.info.backend_pid,)).fetchone()[0]

    def table(self):
        self.other.execute("DROP TABLE IF EXISTS pglocks_rows")
        self.other.execute("CREATE TABLE pglocks_rows (step text)")

    def rows(self):
        return [r[0] for r in self.other.execute("SELECT step FROM pglocks_rows ORDER BY step")]

    def statements(self):
        """The SQL of every statement the session under test runs from now."""
        seen = []

        def record(run, sql, params):
            seen.append(sql)
            return run(sql, params)

        intercept(self.conn, record)
        return seen

    def raced(self, sqlstate):
        """From now, the session's lock statements take their lock and then
        fail with sqlstate."""
        for fn in ("pg_advisory_lock", "pg_advisory_lock_shared",
                   "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared"):
            for params, args in (("k bigint", "k"), ("k1 int, k2 int", "k1, k2")):
                self.query(_RACED.format(fn=fn, params=params, args=args, code=sqlstate))
        intercept(self.conn, lambda run, sql, params: run(_LOCK_CALL.sub(r"pg_temp.raced_\1(", sql), params))

    # the other session

    def free(self, key, shared=False):
        """Whether the other session could take the lock now (it gives it back)."""
        args, params = sql_key(key)
        mode = "_shared" if shared else ""
        if self.other.execute("SELECT pg_try_advisory_lock%s(%s)" % (mode, args), params).fetchone()[0]:
            self.other.execute("SELECT pg_advisory_unlock%s(%s)" % (mode, args), params)
            return True
        return False

    def hold(self, key, shared=False):
        args, params = sql_key(key)
        self.other.execute("SELECT pg_advisory_lock%s(%s)" % ("_shared" if shared else "", args), params)

    def unhold(self, key, shared=False):
        args, params = sql_key(key)
        self.assertTrue(self.other.execute(
            "SELECT pg_advisory_unlock%s(%s)" % ("_shared" if shared else "", args), params).fetchone()[0])

    def once_queued(self, action):
        """Run action() in a thread once the session under test waits in the
        server's lock queue (or after 10 s); join() it, then check .queued."""
        pid = self.conn.info.backend_pid
        other = self.other

        class Waiter(threading.Thread):
            queued = False

            def run(self):
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not self.queued:
                    time.sleep(0.01)
                    self.queued = other.execute(
                        "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = %s AND locktype = 'advisory' "
                        "AND NOT granted)", (pid,)).fetchone()[0]
                action()

        waiter = Waiter()
        waiter.start()
        return waiter

    # Keys

    def test_the_extension_is_absent_here(self):
        self.assertEqual(self.query("SELECT count(*) FROM pg_extension WHERE extname = 'pglocks'"), (0,))
        self.assertEqual(self.query("SELECT to_regnamespace('pglocks')"), (None,))

    def test_each_key_form_is_postgresqls_own_lock(self):
        for key in ("orders:42", "", "café", -42, 0, (1 << 63) - 1, -(1 << 63),
                    (1, 2), (-(1 << 31), (1 << 31) - 1)):
            with self.subTest(key=key):
                with advisory_lock(key, using=self.conn) as acquired:
                    self.assertTrue(acquired)
                    self.assertFalse(self.free(key))
                    self.assertEqual(self.locks_held(), 1)
                self.assertTrue(self.free(key))
                self.hold(key)
                with advisory_lock(key, wait=False, using=self.conn) as acquired:
                    self.assertFalse(acquired)
                self.unhold(key)
        # a pair is not the bigint of its halves
        with advisory_lock((0, 7), using=self.conn):
            self.assertTrue(self.free(7))

    def test_bad_keys_are_refused_before_any_query(self):
        seen = self.statements()
        for bad in (1.5, 1.0, True, False, b"k", [1], (1,), (1, 2, 3), (1, "2"), (1.0, 2), (True, 1),
                    (None, 1), 1 << 63, -(1 << 63) - 1, (1 << 31, 0), (0, -(1 << 31) - 1), {"k": 1}):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                advisory_lock(bad, using=self.conn)
        with self.assertRaises(ValueError):
            with advisory_lock(None, using=self.conn):  # None: a decorator's function name
                pass
        self.assertEqual(seen, [])

    # shared, try

    def test_shared(self):
        with advisory_lock("shared", shared=True, using=self.conn) as acquired:
            self.assertTrue(acquired)
            self.assertTrue(self.free("shared", shared=True), "two shared holders coexist")
            self.assertFalse(self.free("shared"), "a shared lock excludes an exclusive one")
            second = self.connect(dbname=self.dbname)
            try:
                with advisory_lock("shared", shared=True, wait=False, using=second) as acquired:
                    self.assertTrue(acquired)
                with advisory_lock("shared", wait=False, using=second) as acquired:
                    self.assertFalse(acquired)
            finally:
                second.close()
        self.assertEqual(self.locks_held(), 0)
        self.hold("shared", shared=True)
        with advisory_lock("shared", wait=False, using=self.conn) as acquired:
            self.assertFalse(acquired)
        with advisory_lock("shared", shared=True, wait=False, using=self.conn) as acquired:
            self.assertTrue(acquired)
        self.unhold("shared", shared=True)

    def test_try(self):
        for transaction in (False, True):
            self.conn.autocommit = not transaction
            self.hold("busy")
            started = time.monotonic()
            for options in ({"wait": False}, {"timeout": 0}, {"timeout": datetime.timedelta(0)}):
                with self.subTest(transaction=transaction, **options):
                    with advisory_lock("busy", using=self.conn, **options) as acquired:
                        self.assertFalse(acquired)
                    self.assertEqual(self.locks_held(), 0)
            self.assertLess(time.monotonic() - started, 1, "a try does not wait")
            self.unhold("busy")
            with advisory_lock("busy", wait=False, using=self.conn) as acquired:
                self.assertTrue(acquired)
                self.assertFalse(self.free("busy"))
            if transaction:
                self.assertTrue(self.in_transaction())
                self.conn.rollback()
        self.assertEqual(self.locks_held(), 0)

    # timeout

    def test_a_timeout_that_runs_out_is_not_acquired(self):
        self.hold("timed")
        self.hold("timed shared")
        self.query("SET lock_timeout = '7s'")
        for transaction, xact, shared in ((False, False, False), (True, False, False),
                                          (True, False, True), (True, True, False)):
            key = "timed shared" if shared else "timed"
            with self.subTest(transaction=transaction, xact=xact, shared=shared):
                if transaction:
                    self.begin()
                    self.query("SET LOCAL lock_timeout = '11s'")
                started = time.monotonic()
                with advisory_lock(key, shared=shared, xact=xact, timeout=0.3,
                                   using=self.conn) as acquired:
                    self.assertFalse(acquired)
                waited = time.monotonic() - started
                self.assertGreaterEqual(waited, 0.29, "did not wait")
                self.assertLess(waited, 3)
                self.assertEqual(self.locks_held(), 0)
                if transaction:
                    self.assertTrue(self.in_transaction(), "a timeout is not an error")
                    self.assertEqual(self.query("SHOW lock_timeout"), ("11s",))
                    self.conn.rollback()
                    self.conn.autocommit = True
                self.assertEqual(self.query("SHOW lock_timeout"), ("7s",))
        self.unhold("timed")
        self.unhold("timed shared")

    def test_a_timeout_waits_in_the_queue_until_granted(self):
        self.query("SET lock_timeout = '7s'")
        for transaction, xact in ((False, False), (True, False), (True, True)):
            with self.subTest(transaction=transaction, xact=xact):
                if transaction:
                    self.begin()
                    self.query("SET LOCAL lock_timeout = '11s'")
                self.hold("queued")
                waiter = self.once_queued(lambda: (time.sleep(0.2), self.unhold("queued")))
                started = time.monotonic()
                with advisory_lock("queued", xact=xact, timeout=datetime.timedelta(seconds=10),
                                   using=self.conn) as acquired:
                    waited = time.monotonic() - started
                    waiter.join()
                    self.assertTrue(waiter.queued, "the lock was not waited for in the server's queue")
                    self.assertTrue(acquired)
                    self.assertGreaterEqual(waited, 0.2)
                    self.assertLess(waited, 5)
                    self.assertFalse(self.free("queued"))
                    self.assertEqual(self.query("SHOW lock_timeout"), ("11s",) if transaction else ("7s",))
                self.assertEqual(self.free("queued"), not xact)
                if transaction:
                    self.conn.commit()
                    self.conn.autocommit = True
                self.assertTrue(self.free("queued"))
                self.assertEqual(self.locks_held(), 0)

    def test_bad_timeouts_are_refused(self):
        for bad in (-1, -0.001, math.nan, math.inf, -math.inf, "1", True, 3e6, 10 ** 400,
                    datetime.timedelta(seconds=-1), datetime.timedelta(days=30)):
            with self.subTest(timeout=bad), self.assertRaises(ValueError):
                advisory_lock("k", timeout=bad, using=self.conn)
        for timeout in (0, 1):
            with self.subTest(wait=False, timeout=timeout), self.assertRaises(ValueError):
                advisory_lock("k", wait=False, timeout=timeout, using=self.conn)

    def test_a_lock_granted_as_the_timeout_fires_is_given_back(self):
        self.query("SET lock_timeout = '7s'")
        self.raced("55P03")
        for transaction, xact, key, shared in ((False, False, "raced", False), (False, False, (-1, -2), True),
                                               (True, False, "raced", False), (True, False, (-1, -2), True),
                                               (True, True, "raced", False), (True, True, (-1, -2), True)):
            with self.subTest(transaction=transaction, xact=xact, key=key):
                if transaction:
                    self.begin()
                with self.assertRaises(LockNotAcquired):
                    with advisory_lock(key, shared=shared, xact=xact, timeout=5, side_effect=Raise,
                                       using=self.conn):
                        self.fail("the body ran without the lock")
                self.assertEqual(self.locks_held(), 0)
                if transaction:
                    self.assertTrue(self.in_transaction())
                    self.conn.rollback()
                    self.conn.autocommit = True
                self.assertEqual(self.query("SHOW lock_timeout"), ("7s",))

    # scope: session

    def test_released_on_return(self):
        for transaction in (False, True):
            self.conn.autocommit = not transaction
            with advisory_lock("returned", using=self.conn):
                self.assertFalse(self.free("returned"))
            self.assertTrue(self.free("returned"))
            if transaction:
                self.assertTrue(self.in_transaction())
                self.conn.rollback()

    def test_released_when_the_body_raises(self):
        for transaction in (False, True):
            self.conn.autocommit = not transaction
            error = KeyError("body")
            with self.assertRaises(KeyError) as raised:
                with advisory_lock("plain", using=self.conn):
                    raise error
            self.assertIs(raised.exception, error)
            self.assertTrue(self.free("plain"))
            if transaction:
                self.assertTrue(self.in_transaction(), "the body's error did not abort the transaction")
                self.conn.rollback()
        self.assertEqual(self.locks_held(), 0)

    def test_released_when_the_body_raises_in_a_broken_transaction(self):
        self.table()
        self.begin()
        self.query("INSERT INTO pglocks_rows VALUES ('before')")
        with self.assertRaises(self.driver_error):
            with advisory_lock("broken", using=self.conn):
                self.query("SELECT 1 / 0")
        self.assertTrue(self.is_aborted(), "a transaction the body aborted must stay aborted")
        self.assertTrue(self.free("broken"), "lock left behind")
        self.conn.commit()  # a commit of an aborted transaction rolls it back
        self.assertEqual(self.rows(), [])

    def test_a_swallowed_error_commits_nothing(self):
        self.table()
        self.begin()
        self.query("INSERT INTO pglocks_rows VALUES ('before')")
        with self.assertRaises(self.aborted_error):
            with advisory_lock("swallowed", using=self.conn):
                try:
                    self.query("SELECT 1 / 0")
                except self.driver_error:
                    pass  # and goes on
        self.assertTrue(self.free("swallowed"), "lock left behind")
        self.assertTrue(self.is_aborted())
        self.conn.commit()
        self.assertEqual(self.rows(), [])

    def test_a_body_that_commits_or_rolls_back(self):
        self.table()
        self.begin()
        with advisory_lock("manual", using=self.conn):
            self.query("INSERT INTO pglocks_rows VALUES ('committed')")
            self.conn.commit()
            self.query("INSERT INTO pglocks_rows VALUES ('rolled back')")
            self.conn.rollback()
        self.assertTrue(self.free("manual"), "lock left behind")
        with advisory_lock("manual", using=self.conn):
            self.query("INSERT INTO pglocks_rows VALUES ('rolled back too')")
            self.conn.rollback()
        self.assertTrue(self.free("manual"), "lock left behind")
        self.conn.rollback()
        self.assertEqual(self.rows(), ["committed"])

    def test_nested_blocks_of_one_object_and_one_key(self):
        lock = advisory_lock("nested", using=self.conn)
        self.begin()
        with lock:
            with lock:
                self.assertFalse(self.free("nested"))
            self.assertFalse(self.free("nested"), "the inner block released the outer one's hold")
            factory = self.conn.cursor_factory
            intercept(self.conn, lambda run, sql, params: run(
                sql.replace("pg_advisory_lock(", "no_such_function("), params))
            with self.assertRaises(self.undefined_function_error):  # fails before any grant
                with advisory_lock("nested", using=self.conn):
                    pass
            self.conn.cursor_factory = factory
            self.assertTrue(self.in_transaction(), "a failed lock statement is rolled back to our savepoint")
            self.assertFalse(self.free("nested"), "a failed attempt released the outer hold")
        self.assertTrue(self.free("nested"))
        self.assertEqual(self.locks_held(), 0)

    def test_a_released_older_savepoint_is_an_error_and_no_leak(self):
        self.begin()
        self.query("SAVEPOINT mine")
        with self.assertRaises(self.savepoint_error):
            with advisory_lock("released", using=self.conn):
                self.query("RELEASE SAVEPOINT mine")  # and ours with it
        self.assertTrue(self.free("released"), "lock left behind")
        self.conn.rollback()

    def test_a_rollback_to_an_older_savepoint(self):
        self.table()
        self.begin()
        self.query("INSERT INTO pglocks_rows VALUES ('before')")
        self.query("SAVEPOINT mine")
        with advisory_lock("rolled back to", using=self.conn):
            self.query("INSERT INTO pglocks_rows VALUES ('undone')")
            self.query("ROLLBACK TO SAVEPOINT mine")
        self.assertTrue(self.free("rolled back to"), "lock left behind")
        self.conn.commit()
        self.assertEqual(self.rows(), ["before"])

    # scope: transaction

    def test_xact_is_held_until_the_transaction_ends(self):
        for end in (self.conn.commit, self.conn.rollback):
            self.begin()
            with advisory_lock((3, 4), xact=True, using=self.conn) as acquired:
                self.assertTrue(acquired)
            self.assertFalse(self.free((3, 4)), "released before the transaction ended")
            end()
            self.assertTrue(self.free((3, 4)))
        self.hold((3, 4))
        self.begin()
        with advisory_lock((3, 4), xact=True, wait=False, using=self.conn) as acquired:
            self.assertFalse(acquired)
        self.assertTrue(self.in_transaction())
        self.conn.rollback()
        self.unhold((3, 4))

    def test_xact_needs_a_transaction(self):
        seen = self.statements()
        with self.assertRaises(ValueError):
            with advisory_lock("xact", xact=True, using=self.conn):
                self.fail("the body ran")
        self.assertEqual(seen, [])

    # with_lock

    def test_a_function_returns_its_value_and_raises_its_error(self):
        @advisory_lock("called", using=self.conn)
        def double(x):
            self.assertFalse(self.free("called"))
            return 2 * x

        @advisory_lock("called", using=self.conn)
        def fail(error):
            raise error

        self.assertEqual(double(21), 42)
        error = LookupError("mine")
        with self.assertRaises(LookupError) as raised:
            fail(error)
        self.assertIs(raised.exception, error)
        self.assertEqual(self.locks_held(), 0)

    def test_not_acquired(self):
        self.hold("busy")
        with self.assertRaises(LockNotAcquired):
            with advisory_lock("busy", wait=False, side_effect=Raise, using=self.conn):
                self.fail("the body ran without the lock")
        calls = []

        @advisory_lock("busy", timeout=0, side_effect=Skip, using=self.conn)
        def skipped():
            calls.append("skipped")
            return "ran"

        self.assertIsNone(skipped())
        with self.assertRaises(ValueError):
            with advisory_lock("busy", side_effect=Skip, using=self.conn):
                pass
        self.unhold("busy")
        self.assertEqual(skipped(), "ran")
        self.assertEqual(calls, ["skipped"])
        self.assertEqual(self.locks_held(), 0)

    def test_decorator_default_key_is_the_function(self):
        @advisory_lock(using=self.conn)
        def job():
            return self.free("%s.%s" % (job.__module__, job.__qualname__))

        self.assertFalse(job())
        self.assertEqual(self.locks_held(), 0)

    # unlock checked

    def test_an_unlock_inside_the_body_is_an_error(self):
        for transaction in (False, True):
            self.conn.autocommit = not transaction
            with self.assertRaisesRegex(RuntimeError, "no longer held"):
                with advisory_lock("unlocked", using=self.conn):
                    self.query("SELECT pg_advisory_unlock(%s::bigint)", (key_id("unlocked"),))
            error = KeyError("body")
            with self.assertRaises(KeyError) as raised:  # the body's own error comes first
                with advisory_lock("unlocked", using=self.conn):
                    self.query("SELECT pg_advisory_unlock(%s::bigint)", (key_id("unlocked"),))
                    raise error
            self.assertIs(raised.exception, error)
            self.assertEqual(self.locks_held(), 0)
            if transaction:
                self.conn.rollback()

    # a cancel or an interrupt during the wait

    def test_a_cancel_during_the_wait_leaves_no_lock(self):
        self.hold("canceled")
        for transaction, timeout in ((False, None), (True, None), (True, 10)):
            with self.subTest(transaction=transaction, timeout=timeout):
                self.conn.autocommit = not transaction
                waiter = self.once_queued(self.conn.cancel)
                with self.assertRaises(self.canceled_error):
                    with advisory_lock("canceled", timeout=timeout, using=self.conn):
                        self.fail("the body ran without the lock")
                waiter.join()
                self.assertTrue(waiter.queued)
                self.assertEqual(self.locks_held(), 0)
                if transaction:
                    self.assertTrue(self.in_transaction(), "the failed lock statement was rolled back to")
                    self.conn.rollback()
        self.unhold("canceled")

    def test_a_grant_that_races_with_a_cancel_is_given_back(self):
        self.raced("57014")  # query_canceled: a cancel, or statement_timeout
        for transaction in (False, True):
            self.conn.autocommit = not transaction
            for key, shared in (("raced", False), ((-1, -2), True)):
                with self.subTest(transaction=transaction, key=key):
                    with self.assertRaises(self.canceled_error):
                        with advisory_lock(key, shared=shared, using=self.conn):
                            self.fail("the body ran without the lock")
                    self.assertEqual(self.locks_held(), 0)
            if transaction:
                self.conn.rollback()

    def test_ctrl_c_as_the_lock_is_granted(self):
        def interrupted(run, sql, params):
            result = run(sql, params)
            if "pg_advisory_lock" in sql:
                raise KeyboardInterrupt
            return result

        intercept(self.conn, interrupted)
        for transaction in (False, True):
            self.conn.autocommit = not transaction
            with self.assertRaises(KeyboardInterrupt):
                with advisory_lock("interrupted", using=self.conn):
                    self.fail("the body ran")
            self.assertEqual(self.locks_held(), 0, transaction)
            if transaction:
                self.conn.rollback()

    def test_ctrl_c_as_lock_timeout_is_restored(self):
        def interrupted(run, sql, params):
            result = run(sql, params)
            if sql.startswith("SELECT pg_catalog.set_config('lock_timeout'"):
                raise KeyboardInterrupt  # after the restore, with the lock held
            return result

        self.begin()
        self.query("SET LOCAL lock_timeout = '11s'")
        intercept(self.conn, interrupted)
        with self.assertRaises(KeyboardInterrupt):
            with advisory_lock("interrupted", timeout=5, using=self.conn):
                self.fail("the body ran")
        self.assertEqual(self.locks_held(), 0)
        self.assertTrue(self.in_transaction(), "rolled back to our savepoint")
        self.assertEqual(self.query("SHOW lock_timeout"), ("11s",))
        with advisory_lock("interrupted", wait=False, using=self.conn) as acquired:
            self.assertTrue(acquired)
            self.assertFalse(self.free("interrupted"))
        self.assertEqual(self.locks_held(), 0)
        self.conn.rollback()

    # typed parameters

    def test_every_parameter_is_typed(self):
        seen = self.statements()
        for transaction in (False, True):
            self.conn.autocommit = not transaction
            for key in ("typed", 42, (4, 2)):
                for options in ({}, {"shared": True}, {"wait": False}, {"timeout": 1}):
                    for xact in (False, True) if transaction else (False,):
                        with advisory_lock(key, xact=xact, using=self.conn, **options):
                            pass
            if transaction:
                self.conn.commit()
        self.assertEqual(self.locks_held(), 0)
        casts = [re.findall(r"%s\)?(::\w+)?", sql) for sql in seen]  # each placeholder's type
        self.assertIn(["::bigint"], casts)
        self.assertIn(["::int", "::int"], casts)
        self.assertIn(["::text", "::bigint"], casts)  # the timeout's lock statement
        for sql, found in zip(seen, casts):
            self.assertNotIn("", found, sql)


class Psycopg3Test(LiveTests, unittest.TestCase):
    driver_error = psycopg.errors.DivisionByZero
    aborted_error = psycopg.errors.InFailedSqlTransaction
    savepoint_error = psycopg.errors.InvalidSavepointSpecification
    undefined_function_error = psycopg.errors.UndefinedFunction
    canceled_error = psycopg.errors.QueryCanceled

    def connect(self, **kwargs):
        return psycopg.connect(**kwargs)


class Psycopg3ClientCursorTest(Psycopg3Test):
    """psycopg's ClientCursor sends several statements as one query, and
    shows the first one's result."""

    def connect(self, **kwargs):
        return psycopg.connect(cursor_factory=psycopg.ClientCursor, **kwargs)


class Psycopg2Test(LiveTests, unittest.TestCase):
    driver_error = psycopg2.errors.DivisionByZero
    aborted_error = psycopg2.errors.InFailedSqlTransaction
    savepoint_error = psycopg2.errors.InvalidSavepointSpecification
    undefined_function_error = psycopg2.errors.UndefinedFunction
    canceled_error = psycopg2.errors.QueryCanceled

    def connect(self, **kwargs):
        return psycopg2.connect(**kwargs)


class UsingTest(unittest.TestCase):
    """A lock belongs to one session: a pool, or anything else that is not one
    connection, is refused before any query."""

    def test_a_pool_or_other_object_is_refused(self):
        import psycopg2.pool
        import psycopg_pool

        configure()
        from django.db import connection

        pools = [psycopg_pool.ConnectionPool("", min_size=1, open=True),
                 psycopg2.pool.SimpleConnectionPool(1, 1, ""), psycopg2.pool.ThreadedConnectionPool(1, 1, "")]
        try:
            for using in pools + [connection, object(), 42, b"default"]:
                with self.subTest(using=type(using).__name__):
                    with self.assertRaisesRegex(TypeError, "one session"):
                        advisory_lock("k", using=using)
        finally:
            pools[0].close()
            pools[1].closeall()
            pools[2].closeall()
            connection.close()


class ExtensionTest(unittest.TestCase):
    """The client's lock and key ids are the pglocks extension's."""

    def setUp(self):
        self.other = psycopg.connect(autocommit=True)
        self.other.execute("CREATE EXTENSION IF NOT EXISTS pglocks")
        self.conn = psycopg.connect(autocommit=True)

    def tearDown(self):
        self.conn.close()
        self.other.close()

    def test_key_ids_are_the_extensions(self):
        keys = [key for key, _, _, _ in vectors.load() if "\0" not in key]  # text holds no U+0000
        rows = self.other.execute("SELECT pglocks.key_id(k), pglocks.crc32_key_id(k) "
                                  "FROM unnest(%s::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n",
                                  (keys,)).fetchall()
        self.assertGreaterEqual(len(rows), 300)
        from pglocks import crc32_key_id

        self.assertEqual(rows, [(key_id(k), crc32_key_id(k)) for k in keys])

    def server_try(self, sql, params=()):
        free = self.other.execute("SELECT pglocks.lock(%s, wait => false)" % sql, params).fetchone()[0]
        if free:
            self.other.execute("SELECT pglocks.unlock(%s)" % sql, params)
        return free

    def test_the_extensions_lock_is_the_clients(self):
        for key, sql in (("orders:42", "'orders:42'::text"), (-42, "-42::bigint"), ((1, 2), "1, 2")):
            with self.subTest(key=key):
                with advisory_lock(key, using=self.conn):
                    self.assertFalse(self.server_try(sql))
                self.assertTrue(self.server_try(sql))
                self.other.execute("SELECT pglocks.lock(%s, shared => true)" % sql)
                with advisory_lock(key, wait=False, using=self.conn) as acquired:
                    self.assertFalse(acquired)
                with advisory_lock(key, shared=True, wait=False, using=self.conn) as acquired:
                    self.assertTrue(acquired)
                self.other.execute("SELECT pglocks.unlock(%s, true)" % sql)


class DjangoTest(unittest.TestCase):
    """``using`` is a database alias (Django's default database by default)."""

    @classmethod
    def setUpClass(cls):
        configure()

    def setUp(self):
        self.other = psycopg.connect(autocommit=True)

    def tearDown(self):
        from django.db import connection
        connection.close()
        self.other.close()

    def busy(self, key):
        free = self.other.execute("SELECT pg_try_advisory_lock(%s::bigint)", (key_id(key),)).fetchone()[0]
        if free:
            self.other.execute("SELECT pg_advisory_unlock(%s::bigint)", (key_id(key),))
        return not free

    def test_default_database(self):
        with advisory_lock("django") as acquired:
            self.assertTrue(acquired)
            self.assertTrue(self.busy("django"))
        self.assertFalse(self.busy("django"))

    def test_inside_atomic_with_a_failed_query(self):
        from django.db import DatabaseError, connection, transaction

        with self.assertRaises(DatabaseError):
            with transaction.atomic():
                with advisory_lock("django atomic", using="default"):
                    with connection.cursor() as cur:
                        cur.execute("SELECT 1 / 0")
        self.assertFalse(self.busy("django atomic"))
        with connection.cursor() as cur:  # the connection is usable again
            cur.execute("SELECT 1")

    def test_try_lock(self):
        self.other.execute("SELECT pg_advisory_lock(%s::bigint)", (key_id("django busy"),))
        with advisory_lock("django busy", wait=False) as acquired:
            self.assertFalse(acquired)
        self.other.execute("SELECT pg_advisory_unlock(%s::bigint)", (key_id("django busy"),))

    def test_a_timeout_that_runs_out_inside_atomic(self):
        from django.db import connection, transaction

        self.other.execute("SELECT pg_advisory_lock(%s::bigint)", (key_id("django timed"),))
        for xact in (False, True):
            with transaction.atomic():
                with advisory_lock("django timed", xact=xact, timeout=0.1) as acquired:
                    self.assertFalse(acquired)
                self.assertFalse(connection.needs_rollback)
                with connection.cursor() as cur:  # the transaction goes on
                    cur.execute("SHOW lock_timeout")
                    self.assertEqual(cur.fetchone(), ("0",))
        self.other.execute("SELECT pg_advisory_unlock(%s::bigint)", (key_id("django timed"),))
        with transaction.atomic(), advisory_lock("django timed", timeout=5) as acquired:
            self.assertTrue(acquired)
            self.assertTrue(self.busy("django timed"))


if __name__ == "__main__":
    unittest.main()
