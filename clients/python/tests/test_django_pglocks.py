"""pglocks.django_pglocks against a live server, through Django: the checks
of django-pglocks 1.0.4's own suite, and what a switch from django-pglocks
relies on that those checks can't see."""

import contextlib
import unittest
import zlib

import psycopg

from pglocks.django_pglocks import advisory_lock

from .django_db import configure


def django_pglocks_id(key):
    """django-pglocks 1.x's id of a string, as it computes it."""
    pos = zlib.crc32(key.encode("utf-8"))
    lock_id = (2 ** 31 - 1) & pos
    if pos & 2 ** 31:
        lock_id -= 2 ** 31
    return lock_id


class DropInTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        configure()

    def setUp(self):
        from django.db import connection

        self.other = psycopg.connect(autocommit=True)
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS pglocks_dropin_rows")
            cur.execute("CREATE TABLE pglocks_dropin_rows (step text)")

    def tearDown(self):
        from django.db import connection, transaction

        if not transaction.get_autocommit():
            transaction.rollback()
            transaction.set_autocommit(True)
        with connection.cursor() as cur:
            cur.execute("DROP TABLE pglocks_dropin_rows")
        connection.close()
        self.other.close()

    def query(self, sql, params=()):
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None

    def locks_held(self):
        return self.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                          "AND pid = pg_backend_pid()")[0][0]

    def other_try(self, *key):
        """Whether a second session could take the lock now (and gives it back)."""
        args = ", ".join(["%s::bigint"] if len(key) == 1 else ["%s::int", "%s::int"])
        free = self.other.execute("SELECT pg_try_advisory_lock(%s)" % args, key).fetchone()[0]
        if free:
            self.other.execute("SELECT pg_advisory_unlock(%s)" % args, key)
        return free

    def rows(self):
        return [r[0] for r in self.query("SELECT step FROM pglocks_dropin_rows ORDER BY step")]

    def insert(self, step):
        self.query("INSERT INTO pglocks_dropin_rows VALUES (%s) RETURNING step", (step,))

    # django-pglocks 1.0.4's own checks: one lock while the block runs, none after

    def test_key_forms_and_options_hold_one_lock_for_the_block(self):
        for lock_id, options in (("test", {}), (123, {}), ((123, 456), {}),
                                 (123, {"wait": False}), (123, {"shared": True}),
                                 (123, {"shared": True, "wait": False})):
            with self.subTest(lock_id=lock_id, **options):
                self.assertEqual(self.locks_held(), 0)
                with advisory_lock(lock_id, **options) as acquired:
                    self.assertTrue(acquired)
                    self.assertEqual(self.locks_held(), 1)
                self.assertEqual(self.locks_held(), 0)

    # the same lock ids

    def test_a_string_is_django_pglocks_crc32_id(self):
        with advisory_lock("orders:42"):
            self.assertFalse(self.other_try(django_pglocks_id("orders:42")))
        self.assertTrue(self.other_try(django_pglocks_id("orders:42")))
        with advisory_lock("café"):
            self.assertFalse(self.other_try(django_pglocks_id("café")))

    def test_busy_try_lock_yields_false_and_runs_nothing_at_exit(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.other.execute("SELECT pg_advisory_lock(%s::bigint)", (django_pglocks_id("busy"),))
        with CaptureQueriesContext(connection) as queries:
            with advisory_lock("busy", wait=False) as acquired:
                self.assertFalse(acquired)
        self.assertEqual(len(queries), 1)
        self.assertEqual(self.locks_held(), 0)

    # no partial commit

    def test_a_swallowed_error_inside_atomic_commits_nothing(self):
        from django.db import DatabaseError, transaction

        with self.assertRaises(DatabaseError):
            with transaction.atomic():
                self.insert("1 before")
                with advisory_lock("orders:42"):
                    self.insert("2 inside")
                    try:
                        self.query("SELECT 1 / 0")
                    except DatabaseError:
                        pass  # and goes on
                self.insert("3 after")
        self.assertEqual(self.rows(), [])
        self.assertTrue(self.other_try(django_pglocks_id("orders:42")), "lock left behind")

    def test_an_atomic_block_that_catches_the_exit_error_still_commits_nothing(self):
        from django.db import DatabaseError, transaction
        from django.db.transaction import TransactionManagementError

        with transaction.atomic():
            self.insert("1 before")
            try:
                with advisory_lock("orders:42"):
                    try:
                        self.query("SELECT 1 / 0")
                    except DatabaseError:
                        pass
            except DatabaseError:
                pass
            with self.assertRaises((DatabaseError, TransactionManagementError)):
                self.insert("3 after")
        self.assertEqual(self.rows(), [])
        self.assertTrue(self.other_try(django_pglocks_id("orders:42")))

    def test_a_body_error_inside_atomic_propagates_and_the_lock_is_released(self):
        from django.db import DatabaseError, transaction

        with self.assertRaises(DatabaseError):
            with transaction.atomic():
                self.insert("1 before")
                with advisory_lock("orders:42"):
                    self.query("SELECT 1 / 0")
        self.assertEqual(self.rows(), [])
        self.assertEqual(self.locks_held(), 0)

    def test_a_nested_atomic_block_around_the_lock_recovers_as_django_does(self):
        from django.db import DatabaseError, transaction

        with transaction.atomic():
            self.insert("1 before")
            with self.assertRaises(DatabaseError):
                with transaction.atomic():
                    with advisory_lock("orders:42"):
                        self.insert("2 inside")
                        self.query("SELECT 1 / 0")
            self.insert("3 after")
        self.assertEqual(self.rows(), ["1 before", "3 after"])
        self.assertEqual(self.locks_held(), 0)

    def test_a_body_that_marks_the_atomic_block_for_rollback(self):
        from django.db import DatabaseError, transaction

        with transaction.atomic():
            self.insert("1 before")
            with advisory_lock("marked"):
                transaction.set_rollback(True)
        with self.assertRaises(DatabaseError):  # as plain Django raises on the next query
            with transaction.atomic():
                with advisory_lock("marked"):
                    try:
                        with transaction.atomic(savepoint=False):
                            self.query("SELECT 1 / 0")
                    except DatabaseError:
                        pass
        self.assertEqual(self.rows(), [])
        self.assertTrue(self.other_try(django_pglocks_id("marked")), "lock left behind")

    def test_a_rollback_to_a_savepoint_taken_before_the_block(self):
        from django.db import transaction

        with transaction.atomic():
            self.insert("1 before")
            sid = transaction.savepoint()
            with advisory_lock("rolled back to"):
                self.insert("2 undone")
                transaction.savepoint_rollback(sid)
            self.assertTrue(self.other_try(django_pglocks_id("rolled back to")), "lock left behind")
            self.insert("3 after")
        self.assertEqual(self.rows(), ["1 before", "3 after"])

    def test_nested_blocks_release_every_savepoint_they_take(self):
        import re

        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            for _ in range(3):
                with advisory_lock("outer"), advisory_lock("inner"), advisory_lock("outer"):
                    pass
        sql = " ".join(q["sql"] for q in queries)
        taken = re.findall(r"(?<!RELEASE )(?<!TO )SAVEPOINT (pglocks_\d+)", sql)
        self.assertEqual(len(taken), 9)
        self.assertEqual(sorted(re.findall(r"RELEASE SAVEPOINT (pglocks_\d+)", sql)), sorted(taken))
        self.assertEqual(self.locks_held(), 0)

    # manual transactions

    def test_a_body_that_commits_and_rolls_back(self):
        from django.db import transaction

        transaction.set_autocommit(False)
        with advisory_lock("manual"):
            self.insert("committed")
            transaction.commit()
            self.insert("rolled back")
            transaction.rollback()
        self.assertTrue(self.other_try(django_pglocks_id("manual")), "lock left behind")
        transaction.commit()
        transaction.set_autocommit(True)
        self.assertEqual(self.rows(), ["committed"])

    def test_a_body_that_commits_then_breaks_its_next_transaction(self):
        from django.db import DatabaseError, transaction

        transaction.set_autocommit(False)
        self.insert("1 before")
        with self.assertRaises(DatabaseError):
            with advisory_lock("manual"):
                transaction.commit()
                self.insert("2 inside")
                self.query("SELECT 1 / 0")
        self.assertTrue(self.other_try(django_pglocks_id("manual")), "lock left behind")
        with self.assertRaises(DatabaseError):  # still aborted: it must be rolled back
            self.insert("3 after")
        transaction.rollback()
        transaction.set_autocommit(True)
        self.assertEqual(self.rows(), ["1 before"])

    # Django's cursor

    def test_queries_go_through_djangos_cursor(self):
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        for atomic in (False, True):
            with self.subTest(atomic=atomic), CaptureQueriesContext(connection) as queries:
                with transaction.atomic() if atomic else contextlib.nullcontext():
                    with advisory_lock("captured"):
                        pass
            sql = [q["sql"] for q in queries if "advisory" in q["sql"]]
            self.assertEqual(len(sql), 2, sql)
            self.assertIn("pg_advisory_lock(%d)" % django_pglocks_id("captured"), sql[0])
            self.assertIn("pg_advisory_unlock(%d)" % django_pglocks_id("captured"), sql[1])

    def test_statement_timeout_while_waiting_is_djangos_operational_error(self):
        from django.db import DatabaseError, OperationalError, transaction

        self.other.execute("SELECT pg_advisory_lock(%s::bigint)", (django_pglocks_id("slow"),))
        self.query("SET statement_timeout = '100ms'")
        try:
            with self.assertRaises(OperationalError):
                with advisory_lock("slow"):
                    self.fail("the body ran without the lock")
            with self.assertRaises(OperationalError):
                with transaction.atomic():
                    with advisory_lock("slow"):
                        self.fail("the body ran without the lock")
            transaction.set_autocommit(False)
            with self.assertRaises(OperationalError):
                with advisory_lock("slow"):
                    self.fail("the body ran without the lock")
            with self.assertRaises(DatabaseError):  # left aborted, as django-pglocks leaves it
                self.query("SELECT 1")
            transaction.rollback()
            transaction.set_autocommit(True)
        finally:
            self.query("RESET statement_timeout")
        self.assertEqual(self.locks_held(), 0)

    # key handling and arguments

    def test_bools_are_ints_as_in_django_pglocks(self):
        with advisory_lock(True):
            self.assertFalse(self.other_try(1))
        with advisory_lock((True, 1)):
            self.assertFalse(self.other_try(1, 1))

    def test_bad_keys_fail_as_in_django_pglocks(self):
        from django.db import ProgrammingError

        for bad, message in (((1,), "exactly two entries"), ((1, "2"), "must be integers"),
                             (1.5, "Cannot use 1.5 as a lock id"), (None, "Cannot use None")):
            with self.subTest(bad=bad), self.assertRaisesRegex(ValueError, message):
                with advisory_lock(bad):
                    pass
        for out_of_range in (1 << 70, (1 << 31, 1)):  # the server refuses them
            with self.subTest(out_of_range=out_of_range), self.assertRaises(ProgrammingError):
                with advisory_lock(out_of_range):
                    pass
        self.assertEqual(self.locks_held(), 0)

    def test_empty_using_is_no_connection(self):
        from django.db.utils import ConnectionDoesNotExist

        with self.assertRaises(ConnectionDoesNotExist):
            with advisory_lock("k", using=""):
                pass

    def test_comment_names_the_key_and_the_caller(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for args, kwargs in ((("c", False, True, True), {}), (("c",), {"comment": True}),
                             (("c",), {"comment": "why"}), (("c", False, True, True, "default"), {})):
            with self.subTest(args=args, kwargs=kwargs), CaptureQueriesContext(connection) as queries:
                with advisory_lock(*args, **kwargs):
                    pass
            sql = [q["sql"] for q in queries if "advisory" in q["sql"]]
            self.assertEqual(len(sql), 2)
            for statement in sql:
                self.assertIn("-- 'c' @ %s:" % __file__, statement)
        with CaptureQueriesContext(connection) as queries:
            with advisory_lock("c", comment=False):
                pass
        self.assertNotIn("--", " ".join(q["sql"] for q in queries))


if __name__ == "__main__":
    unittest.main()
