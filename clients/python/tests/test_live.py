"""advisory_lock against a live server with the pglocks extension, through a
psycopg (3) connection, a psycopg2 connection, and Django. Connects with
libpq's environment (PGHOST, PGPORT, PGUSER, ...)."""

import datetime
import math
import re
import unittest

import psycopg
import psycopg2

from pglocks import LockNotAcquired, Raise, Skip, advisory_lock, key_id

from .django_db import configure


class Racing:
    """A connection whose pg_advisory_lock calls go to
    pg_temp.granted_as_canceled (see test_a_grant_that_races...)."""

    def __init__(self, conn):
        self._conn = conn

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def cursor(self):
        return RacingCursor(self._conn.cursor())


class RacingCursor:
    def __init__(self, cursor):
        self._cursor = cursor

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def execute(self, sql, params=()):
        sql = re.sub(r"(?:pg_catalog\.)?pg_advisory_lock(_shared)?\(", r"pg_temp.granted_as_canceled\1(", sql)
        return self._cursor.execute(sql, params)


class Interrupted(Racing):
    """A connection whose lock statements complete and then raise
    KeyboardInterrupt, as a driver does when Ctrl-C comes during the wait."""

    def cursor(self):
        return InterruptedCursor(self._conn.cursor())


class InterruptedCursor(RacingCursor):
    def execute(self, sql, params=()):
        self._cursor.execute(sql, params)
        if "pg_advisory_lock" in sql:
            raise KeyboardInterrupt


class Breakable(Racing):
    """A connection whose lock statements, once ``broken`` is set, call a
    function that does not exist: they fail in the server before any lock is
    granted."""

    broken = False

    def cursor(self):
        return BreakableCursor(self._conn.cursor(), self)


class BreakableCursor(RacingCursor):
    def __init__(self, cursor, conn):
        super().__init__(cursor)
        self._conn = conn

    def execute(self, sql, params=()):
        if self._conn.broken:
            sql = sql.replace("pg_advisory_lock(", "no_such_function(")
        return self._cursor.execute(sql, params)


def server_connection():
    conn = psycopg.connect(autocommit=True)
    conn.execute("CREATE EXTENSION IF NOT EXISTS pglocks")
    return conn


class LiveTests:
    """Mixed into one TestCase per driver, which provides connect(),
    is_aborted() and driver_error; self.conn is that driver's connection,
    self.other a second session (psycopg) acting as the server side."""

    def setUp(self):
        self.other = server_connection()
        self.conn = self.connect()
        self.conn.autocommit = True

    def tearDown(self):
        self.conn.close()
        self.other.execute("DROP TABLE IF EXISTS pglocks_rows")
        self.other.close()

    def begin(self):
        self.conn.autocommit = False

    def autocommit(self):
        self.conn.autocommit = True

    def execute(self, sql):
        cur = self.conn.cursor()
        cur.execute(sql)
        cur.close()

    def table(self):
        self.other.execute("DROP TABLE IF EXISTS pglocks_rows")
        self.other.execute("CREATE TABLE pglocks_rows (step text)")

    def advisory_locks_held(self):
        cur = self.conn.cursor()
        cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        (n,) = cur.fetchone()
        cur.close()
        return n

    def server_try(self, key, shared=False):
        return self.other.execute(
            "SELECT pglocks.lock(%s, shared => %s, wait => false)", (key, shared)).fetchone()[0]

    def test_client_lock_is_the_servers_lock(self):
        with advisory_lock("orders:42", using=self.conn) as acquired:
            self.assertTrue(acquired)
            self.assertFalse(self.server_try("orders:42"))
        self.assertTrue(self.server_try("orders:42"))
        self.other.execute("SELECT pglocks.unlock('orders:42')")

    def test_servers_lock_is_the_clients_lock(self):
        self.assertTrue(self.server_try("jobs"))
        with advisory_lock("jobs", wait=False, using=self.conn) as acquired:
            self.assertFalse(acquired)
        with advisory_lock(key_id("jobs"), wait=False, using=self.conn) as acquired:
            self.assertFalse(acquired)
        self.other.execute("SELECT pglocks.unlock('jobs')")
        with advisory_lock("jobs", wait=False, using=self.conn) as acquired:
            self.assertTrue(acquired)
        self.assertEqual(self.advisory_locks_held(), 0)

    def test_key_forms(self):
        with advisory_lock((1, 2), using=self.conn):
            self.assertFalse(self.other.execute(
                "SELECT pglocks.lock(1, 2, wait => false)").fetchone()[0])
        with advisory_lock(-42, using=self.conn):
            self.assertFalse(self.other.execute(
                "SELECT pglocks.lock(-42::bigint, wait => false)").fetchone()[0])
        for bad in [(1,), (1, "2"), 1.5, None, True, 1 << 63, (1 << 31, 0)]:
            with self.assertRaises(ValueError):
                with advisory_lock(bad, using=self.conn):
                    pass

    def test_shared(self):
        self.assertTrue(self.server_try("shared", shared=True))
        with advisory_lock("shared", shared=True, wait=False, using=self.conn) as acquired:
            self.assertTrue(acquired)
        with advisory_lock("shared", wait=False, using=self.conn) as acquired:
            self.assertFalse(acquired)
        self.other.execute("SELECT pglocks.unlock('shared', true)")

    def test_released_when_the_body_raises_in_a_broken_transaction(self):
        self.begin()
        with self.assertRaises(self.driver_error):
            with advisory_lock("broken", using=self.conn):
                cur = self.conn.cursor()
                cur.execute("SELECT 1 / 0")
        self.assertTrue(self.is_aborted(), "a transaction the body aborted must stay aborted")
        self.assertTrue(self.server_try("broken"), "lock left behind")
        self.other.execute("SELECT pglocks.unlock('broken')")
        self.conn.rollback()

    def test_a_swallowed_error_commits_nothing(self):
        self.table()
        self.begin()
        self.execute("INSERT INTO pglocks_rows VALUES ('before')")
        with self.assertRaises(self.aborted_error):
            with advisory_lock("swallowed", using=self.conn):
                try:
                    self.execute("SELECT 1 / 0")
                except self.driver_error:
                    pass  # and goes on
        self.assertTrue(self.server_try("swallowed"), "lock left behind")
        self.other.execute("SELECT pglocks.unlock('swallowed')")
        self.assertTrue(self.is_aborted())
        self.conn.commit()  # a commit of an aborted transaction rolls it back
        self.assertEqual(self.other.execute("SELECT count(*) FROM pglocks_rows").fetchone()[0], 0)

    def test_a_body_that_commits(self):
        self.table()
        self.begin()
        with advisory_lock("manual", using=self.conn):
            self.execute("INSERT INTO pglocks_rows VALUES ('committed')")
            self.conn.commit()
            self.execute("INSERT INTO pglocks_rows VALUES ('rolled back')")
            self.conn.rollback()
        self.assertTrue(self.server_try("manual"), "lock left behind")
        self.other.execute("SELECT pglocks.unlock('manual')")
        self.conn.rollback()
        self.assertEqual(self.other.execute("SELECT step FROM pglocks_rows").fetchall(), [("committed",)])

    def test_timeout(self):
        self.assertTrue(self.server_try("timed"))
        for timeout in (0.05, datetime.timedelta(milliseconds=50), 0):
            with advisory_lock("timed", timeout=timeout, using=self.conn) as acquired:
                self.assertFalse(acquired)
        self.begin()
        with advisory_lock("timed", timeout=0.05, using=self.conn) as acquired:
            self.assertFalse(acquired)
        self.assertFalse(self.is_aborted(), "a timeout is not an error")
        self.conn.rollback()
        self.other.execute("SELECT pglocks.unlock('timed')")
        with advisory_lock("timed", timeout=5, using=self.conn) as acquired:
            self.assertTrue(acquired)
            self.assertFalse(self.server_try("timed"))
        self.assertEqual(self.advisory_locks_held(), 0)
        for bad in (-1, "1", True):
            with self.assertRaises(ValueError):
                advisory_lock("timed", timeout=bad, using=self.conn)

    def test_side_effects(self):
        self.assertTrue(self.server_try("busy"))
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
        self.other.execute("SELECT pglocks.unlock('busy')")
        self.assertEqual(skipped(), "ran")
        self.assertEqual(calls, ["skipped"])
        self.assertEqual(self.advisory_locks_held(), 0)

    def test_decorator_default_key_is_the_function(self):
        @advisory_lock(using=self.conn)
        def job():
            return self.server_try("%s.%s" % (job.__module__, job.__qualname__))

        self.assertFalse(job())
        self.assertEqual(self.advisory_locks_held(), 0)

    def test_released_when_the_body_raises_outside_a_transaction(self):
        with self.assertRaises(KeyError):
            with advisory_lock("plain", using=self.conn):
                raise KeyError("body")
        self.assertEqual(self.advisory_locks_held(), 0)

    def test_a_grant_that_races_with_an_error_is_given_back(self):
        # What a cancel or statement_timeout that fires just as the lock is
        # granted leaves: the lock granted and the statement failed. Stand in
        # for pg_advisory_lock with a function that does both.
        cur = self.conn.cursor()
        for suffix, params, args in (("", "k bigint", "k"), ("_shared", "k1 int, k2 int", "k1, k2")):
            cur.execute(
                "CREATE FUNCTION pg_temp.granted_as_canceled%s(%s) RETURNS void LANGUAGE plpgsql "
                "AS $$ BEGIN PERFORM pg_advisory_lock%s(%s); RAISE EXCEPTION "
                "'canceling statement due to statement timeout' USING ERRCODE = '57014'; END $$"
                % (suffix, params, suffix, args))
        cur.close()
        for key, shared in (("raced", False), ((-1, -2), True)):
            with self.assertRaises(self.canceled_error):
                with advisory_lock(key, shared=shared, using=Racing(self.conn)):
                    self.fail("the body ran without the lock")
            self.assertEqual(self.advisory_locks_held(), 0, key)

    def test_ctrl_c_during_the_wait(self):
        for transaction in (False, True):
            if transaction:
                self.begin()
            with self.assertRaises(KeyboardInterrupt):
                with advisory_lock("interrupted", using=Interrupted(self.conn)):
                    self.fail("the body ran")
            self.conn.rollback()
            self.assertEqual(self.advisory_locks_held(), 0, transaction)

    def test_nested_blocks_of_one_object_and_one_key(self):
        conn = Breakable(self.conn)
        lock = advisory_lock("nested", using=conn)
        self.begin()
        with lock:
            with lock:
                self.assertFalse(self.server_try("nested"))
            self.assertFalse(self.server_try("nested"), "the inner block released the outer one's hold")
            conn.broken = True
            with self.assertRaises(self.undefined_function_error):  # fails before any grant
                with advisory_lock("nested", using=conn):
                    pass
            conn.broken = False
            self.conn.rollback()
            self.assertFalse(self.server_try("nested"), "a failed attempt released the outer hold")
        self.assertEqual(self.advisory_locks_held(), 0)
        for bad in (math.inf, math.nan):
            with self.assertRaises(ValueError):
                advisory_lock("nested", timeout=bad, using=self.conn)

    def test_a_released_older_savepoint_is_an_error_and_no_leak(self):
        self.begin()
        self.execute("SAVEPOINT mine")
        with self.assertRaises(self.savepoint_error):
            with advisory_lock("released", using=self.conn):
                self.execute("RELEASE SAVEPOINT mine")  # and ours with it
        self.assertTrue(self.server_try("released"), "lock left behind")
        self.other.execute("SELECT pglocks.unlock('released')")
        self.conn.rollback()

    def test_a_rollback_to_an_older_savepoint(self):
        self.table()
        self.begin()
        self.execute("INSERT INTO pglocks_rows VALUES ('before')")
        self.execute("SAVEPOINT mine")
        with advisory_lock("rolled back to", using=self.conn):
            self.execute("INSERT INTO pglocks_rows VALUES ('undone')")
            self.execute("ROLLBACK TO SAVEPOINT mine")
        self.assertTrue(self.server_try("rolled back to"), "lock left behind")
        self.other.execute("SELECT pglocks.unlock('rolled back to')")
        self.conn.commit()
        self.assertEqual(self.other.execute("SELECT step FROM pglocks_rows").fetchall(), [("before",)])

    def test_xact(self):
        self.begin()
        with advisory_lock("xact", xact=True, using=self.conn) as acquired:
            self.assertTrue(acquired)
        self.assertFalse(self.server_try("xact"), "released before the transaction ended")
        self.conn.commit()
        self.assertTrue(self.server_try("xact"))
        self.other.execute("SELECT pglocks.unlock('xact')")

    def test_xact_needs_a_transaction(self):
        self.autocommit()
        with self.assertRaises(ValueError):
            with advisory_lock("xact", xact=True, using=self.conn):
                pass


class Psycopg3Test(LiveTests, unittest.TestCase):
    driver_error = psycopg.errors.DivisionByZero
    aborted_error = psycopg.errors.InFailedSqlTransaction
    savepoint_error = psycopg.errors.InvalidSavepointSpecification
    undefined_function_error = psycopg.errors.UndefinedFunction
    canceled_error = psycopg.errors.QueryCanceled

    def connect(self):
        return psycopg.connect()

    def is_aborted(self):
        return self.conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR


class Psycopg2Test(LiveTests, unittest.TestCase):
    driver_error = psycopg2.errors.DivisionByZero
    aborted_error = psycopg2.errors.InFailedSqlTransaction
    savepoint_error = psycopg2.errors.InvalidSavepointSpecification
    undefined_function_error = psycopg2.errors.UndefinedFunction
    canceled_error = psycopg2.errors.QueryCanceled

    def connect(self):
        return psycopg2.connect("")

    def is_aborted(self):
        return self.conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INERROR


class DjangoTest(unittest.TestCase):
    """django-pglocks-style usage: ``using`` is a database alias."""

    @classmethod
    def setUpClass(cls):
        configure()

    def setUp(self):
        self.other = server_connection()

    def tearDown(self):
        from django.db import connection
        connection.close()
        self.other.close()

    def busy(self, key):
        free = self.other.execute("SELECT pglocks.lock(%s, wait => false)", (key,)).fetchone()[0]
        if free:
            self.other.execute("SELECT pglocks.unlock(%s)", (key,))
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
        self.other.execute("SELECT pglocks.lock('django busy')")
        with advisory_lock("django busy", wait=False) as acquired:
            self.assertFalse(acquired)
        self.other.execute("SELECT pglocks.unlock('django busy')")


if __name__ == "__main__":
    unittest.main()
